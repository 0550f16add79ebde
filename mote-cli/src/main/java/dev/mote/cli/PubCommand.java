package dev.mote.cli;

import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.MqttTimeoutException;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Wait;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mote pub}: publishes one message, or one per line of stdin, like mosquitto_pub. */
@Command(name = "pub", sortOptions = false, usageHelpWidth = 100,
        headerHeading = "", synopsisHeading = "Usage: ",
        description = {"Publishes one message (-m, -f, -s, -n), or one message per line of stdin (-l), and exits.",
                "The options mean what they mean for mosquitto_pub. QoS 1 and 2 messages are acknowledged by the "
                        + "broker before mote pub exits 0."},
        footerHeading = "%n",
        footer = {"Examples:",
                "  mote pub -t sensors/kitchen/temperature -m 21.5",
                "  mote pub -h broker.example -t config/device-17 -f config.json -q 1 -r",
                "  tail -f app.log | mote pub -t logs/app -l -q 1      # one message per line, survives reconnects",
                "  mote pub -L mqtts://broker.example:8883/alerts --cafile ca.pem -m 'door open'",
                "  mote pub -t state/lamp -n -r                         # clear the retained message",
                "",
                ExitCodes.HELP})
final class PubCommand extends ClientCommand {
    @Option(names = {"-t", "--topic"}, paramLabel = "TOPIC", description = "Topic to publish to.")
    String topic;

    @Option(names = {"-m", "--message"}, paramLabel = "MESSAGE", description = "The message (UTF-8).")
    String message;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Send the file's bytes as they are.")
    Path file;

    @Option(names = {"-s", "--stdin-file"}, description = "Send all of stdin as one message.")
    boolean stdinWhole;

    @Option(names = {"-l", "--stdin-line"},
            description = "Send each line of stdin as a message (without its newline) until end of input; "
                    + "reconnects if the connection breaks, and waits for every QoS 1/2 acknowledgement before exiting.")
    boolean stdinLines;

    @Option(names = {"-n", "--null-message"}, description = "Send an empty (zero length) message.")
    boolean nullMessage;

    @Option(names = {"-q", "--qos"}, paramLabel = "QOS", defaultValue = "0", description = "QoS 0, 1 or 2 (default 0).")
    int qos;

    @Option(names = {"-r", "--retain"}, description = "The broker keeps the message as the topic's retained message.")
    boolean retain;

    @Mixin
    SessionOptions session;

    @Mixin
    BrokerOptions broker;

    @Option(names = "--help", usageHelp = true, description = "Show this help and exit.")
    boolean help;

    private volatile MqttClient client;

    PubCommand(Io io) {
        super(io, "pub");
    }

    @Override
    BrokerOptions broker() {
        return broker;
    }

    @Override
    public Integer call() {
        BrokerOptions.Endpoint endpoint = broker.endpoint();
        if (endpoint.topic() != null && topic != null) {
            throw CliException.usage("give the topic either in the -L URL or with -t, not both");
        }
        String target = endpoint.topic() != null ? endpoint.topic() : topic;
        if (target == null) {
            throw CliException.usage("no topic: give one with -t (or in the -L URL)");
        }
        Topics.checkName(target, "-t");
        int sources = (message != null ? 1 : 0) + (file != null ? 1 : 0) + (stdinWhole ? 1 : 0) + (stdinLines ? 1 : 0)
                + (nullMessage ? 1 : 0);
        if (sources == 0) {
            throw CliException.usage("no message: give one of -m MESSAGE, -f FILE, -s (stdin), -l (stdin lines) or -n (empty)");
        }
        if (sources > 1) {
            throw CliException.usage("only one of -m, -f, -s, -l and -n may be given");
        }
        Qos q = Commands.qos(qos, "-q");
        MqttOptions.Builder b = broker.builder(endpoint, session.password);
        session.apply(b);
        b.connectionListener(events());
        if (stdinLines) {
            // Keep publishing across broken connections: the library reconnects and resends.
            b.reconnect(ReconnectPolicy.defaults());
            return publishLines(b.build(), target, q);
        }
        byte[] payload = payload();
        b.reconnect(ReconnectPolicy.disabled());
        MqttOptions options = b.build();
        client = interruptibly(() -> MqttClient.connect(options));
        try {
            debug("publishing " + payload.length + " bytes to " + target + " at QoS " + q.value() + (retain ? ", retained" : ""));
            interruptibly(() -> client.publish(target, payload, q, retain, Wait.ACK));
        } finally {
            client.close();
        }
        return ExitCodes.OK;
    }

    @Override
    ExitCodes.Failure stoppedEarly() {
        return new ExitCodes.Failure(ExitCodes.FAILURE, "stopped before the message was acknowledged");
    }

    private byte[] payload() {
        if (message != null) {
            return message.getBytes(StandardCharsets.UTF_8);
        }
        if (file != null) {
            try {
                return Files.readAllBytes(file);
            } catch (IOException e) {
                throw CliException.usage("cannot read -f " + file + ": " + describe(e));
            }
        }
        if (stdinWhole) {
            try {
                return io.in().readAllBytes();
            } catch (IOException e) {
                throw new CliException(ExitCodes.FAILURE, "cannot read stdin: " + describe(e));
            }
        }
        return new byte[0];
    }

    private static String describe(IOException e) {
        String type = e.getClass().getSimpleName();
        return switch (type) {
            case "NoSuchFileException" -> "no such file";
            case "AccessDeniedException" -> "permission denied";
            default -> e.getMessage() == null ? type : e.getMessage();
        };
    }

    /** A line read from stdin, the end of stdin, or a read failure. */
    private record Line(byte[] bytes, IOException failure) {
        static final Line END = new Line(null, null);
    }

    /**
     * -l: one message per line. A daemon thread reads stdin (a blocking read cannot be
     * interrupted, and Ctrl-C must still end the command); this thread publishes without waiting
     * for acknowledgements and keeps the unsettled deliveries, so at the end it can wait for all
     * of them: a QoS 1/2 line is acknowledged before exit 0, or the exit status says it was not.
     */
    private int publishLines(MqttOptions options, String target, Qos q) {
        BlockingQueue<Line> lines = new ArrayBlockingQueue<>(1024);
        client = interruptibly(() -> MqttClient.connect(options));
        Thread reader = Thread.ofPlatform().daemon().name("mote-pub-stdin").start(() -> readLines(io.in(), lines));
        ArrayDeque<Delivery> pending = new ArrayDeque<>();
        long published = 0;
        try {
            while (!stopped) {
                checkFatal();
                Line line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line == null) {
                    continue;
                }
                if (line == Line.END) {
                    break;
                }
                if (line.failure() != null) {
                    throw new CliException(ExitCodes.FAILURE, "cannot read stdin: " + line.failure().getMessage());
                }
                Delivery d = publishRetrying(target, line.bytes(), q);
                if (d == null) {
                    break; // stopped while the broker was away
                }
                published++;
                pending.add(d);
                while (!pending.isEmpty() && pending.peek().isDone()) {
                    settle(pending.poll());
                }
            }
            debug("published " + published + " messages; waiting for " + pending.size() + " to be settled");
            List<String> failures = new ArrayList<>();
            for (Delivery d : pending) {
                String f = awaitSettled(d);
                if (f != null) {
                    failures.add(f);
                }
            }
            if (!failures.isEmpty()) {
                throw new CliException(ExitCodes.FAILURE, failures.size() + " QoS " + q.value()
                        + " message(s) not acknowledged by the broker: " + failures.get(0));
            }
            return ExitCodes.OK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.FAILURE, "interrupted");
        } finally {
            reader.interrupt();
            client.close();
        }
    }

    /**
     * Publishes without waiting for the acknowledgement. While the broker is away for long the
     * offline buffer or in-flight window fills and the publish times out without taking the
     * message; then it is tried again, as long as the client is alive and not stopped.
     *
     * @return the delivery, or null if stopped first
     */
    private Delivery publishRetrying(String target, byte[] payload, Qos q) {
        while (true) {
            try {
                return client.publish(target, payload, q, retain, Wait.NONE);
            } catch (MqttTimeoutException e) {
                debug("publish is waiting for room: " + ExitCodes.oneLine(e.getMessage()));
                checkFatal();
                if (stopped) {
                    return null;
                }
            }
        }
    }

    /** A settled delivery: a failed QoS 1/2 one ends the command; a failed QoS 0 one is at most once. */
    private void settle(Delivery d) {
        if (d.status() == Delivery.Status.FAILED) {
            if (d.qos() == Qos.AT_MOST_ONCE) {
                debug("a QoS 0 message was dropped: " + ExitCodes.oneLine(d.failure().map(Throwable::getMessage).orElse("")));
            } else {
                throw new CliException(ExitCodes.FAILURE, "a QoS " + d.qos().value() + " message was not acknowledged: "
                        + ExitCodes.oneLine(d.failure().map(Throwable::getMessage).orElse("failed")));
            }
        }
    }

    /**
     * Waits until {@code d} is settled, for as long as the client lives (it may be reconnecting)
     * or, once stopped, at most 5 seconds in all.
     *
     * @return null if it was delivered (or is QoS 0), else why not
     */
    private String awaitSettled(Delivery d) {
        long stopDeadline = 0;
        while (true) {
            try {
                if (d.await(Duration.ofMillis(200))) {
                    return null;
                }
            } catch (MqttException e) {
                if (d.qos() == Qos.AT_MOST_ONCE) {
                    return null;
                }
                return ExitCodes.oneLine(e.getMessage());
            }
            if (fatal() != null) {
                return ExitCodes.oneLine(fatal().getMessage());
            }
            if (stopped) {
                if (stopDeadline == 0) {
                    stopDeadline = System.nanoTime() + 5_000_000_000L;
                } else if (System.nanoTime() - stopDeadline > 0) {
                    return "not acknowledged before mote pub was stopped";
                }
            }
        }
    }

    private void checkFatal() {
        MqttException f = fatal();
        if (f != null) {
            throw f;
        }
    }

    /** Splits stdin on '\n' bytes (a '\r' before it stays, as with mosquitto_pub); a last line without '\n' counts. */
    private static void readLines(InputStream in, BlockingQueue<Line> out) {
        try {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) > 0) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        line.write(buffer, start, i - start);
                        out.put(new Line(line.toByteArray(), null));
                        line.reset();
                        start = i + 1;
                    }
                }
                line.write(buffer, start, n - start);
            }
            if (line.size() > 0) {
                out.put(new Line(line.toByteArray(), null));
            }
            out.put(Line.END);
        } catch (IOException e) {
            try {
                out.put(new Line(null, e));
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
