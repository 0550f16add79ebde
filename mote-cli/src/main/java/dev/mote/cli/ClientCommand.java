package dev.mote.cli;

import dev.mote.mqtt.ConnectionEvent;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.ProtocolViolationException;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/** What pub, sub and bench share: the broker options, the streams, debug output, stop and fatal errors. */
abstract class ClientCommand implements Callable<Integer>, Stoppable {
    final Io io;
    private final String name;
    /** Set by {@link #stop()} (Ctrl-C, SIGTERM). */
    volatile boolean stopped;
    /** A failure during the session that reconnecting will not fix (the broker broke the protocol, the client gave up). */
    private volatile MqttException fatal;

    ClientCommand(Io io, String name) {
        this.io = io;
        this.name = name;
    }

    /** The connection options (a mixin of each command, declared after its own options for --help). */
    abstract BrokerOptions broker();

    /** The command's thread while it blocks in a call that Ctrl-C should cut short (connect, a single publish). */
    private Thread blocked;

    @Override
    public void stop() {
        synchronized (this) {
            stopped = true;
            if (blocked != null) {
                blocked.interrupt();
            }
        }
    }

    /**
     * Runs a blocking call that {@link #stop()} interrupts (the library then throws
     * {@link dev.mote.mqtt.MqttInterruptedException}); a stop that comes after it returned
     * leaves no interrupt behind.
     */
    <T> T interruptibly(java.util.function.Supplier<T> call) {
        synchronized (this) {
            if (stopped) {
                throw new dev.mote.mqtt.MqttInterruptedException("stopped", new InterruptedException());
            }
            blocked = Thread.currentThread();
        }
        try {
            return call.get();
        } finally {
            synchronized (this) {
                blocked = null;
                Thread.interrupted();
            }
        }
    }

    /**
     * How the command ends when Ctrl-C interrupted it in a blocking call: by default with status
     * 0 and nothing on stderr (sub and bench, like mosquitto_sub).
     */
    ExitCodes.Failure stoppedEarly() {
        return new ExitCodes.Failure(ExitCodes.OK, null);
    }

    /** The failure that ended the session, or null. */
    MqttException fatal() {
        return fatal;
    }

    /** Prints a line on stderr if -d was given. */
    void debug(String message) {
        if (broker().debug) {
            synchronized (io.err()) {
                io.err().println("mote " + name + ": " + message);
                io.err().flush();
            }
        }
    }

    /** Prints a warning on stderr. */
    void warn(String message) {
        synchronized (io.err()) {
            io.err().println("mote " + name + ": warning: " + message);
            io.err().flush();
        }
    }

    /**
     * The connection listener: reports events with -d, and records as fatal a broker that broke
     * the protocol (reconnecting to it would only repeat that) and a client that gave up.
     */
    Consumer<ConnectionEvent> events() {
        return event -> {
            switch (event) {
                case ConnectionEvent.Connected c -> debug((c.reconnect() ? "reconnected to " : "connected to ") + c.server()
                        + (c.sessionPresent() ? " (the broker resumed the session)" : ""));
                case ConnectionEvent.Disconnected d -> {
                    debug("connection lost: " + ExitCodes.oneLine(d.cause().getMessage())
                            + (d.willReconnect() ? "; reconnecting" : ""));
                    if (d.cause() instanceof ProtocolViolationException p) {
                        fatal(p);
                    }
                }
                case ConnectionEvent.Reconnecting r -> debug("reconnect attempt " + r.attempt() + " to " + r.server()
                        + " in " + r.delay().toMillis() + " ms");
                case ConnectionEvent.SessionLost s -> debug("the broker " + s.server()
                        + " had no session after the reconnect: messages it had queued are gone; subscribed again");
                case ConnectionEvent.Closed c -> {
                    debug("closed" + (c.cause() == null ? "" : ": " + ExitCodes.oneLine(c.cause().getMessage())));
                    if (c.cause() != null) {
                        fatal(c.cause());
                    }
                }
            }
        };
    }

    private void fatal(MqttException e) {
        if (fatal == null && !stopped) {
            fatal = e;
        }
    }
}
