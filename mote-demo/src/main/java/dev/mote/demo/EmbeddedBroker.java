package dev.mote.demo;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Properties;

/** A Moquette 0.17 broker running in this JVM on a free loopback port, in memory only. */
public final class EmbeddedBroker implements AutoCloseable {
    private static final String HOST = "127.0.0.1";

    private final Server server;
    private final int port;

    private EmbeddedBroker(Server server, int port) {
        this.server = server;
        this.port = port;
    }

    /**
     * Starts a broker that accepts anonymous clients and packets carrying payloads of up to
     * {@code maxPayload} bytes.
     *
     * @param maxInFlight how many messages the clients may have inside the broker at once; sizes
     *                    Moquette's session command queues, which drop work (and so leave QoS 1/2
     *                    publishes unacknowledged) once full
     */
    public static EmbeddedBroker start(int maxPayload, int maxInFlight) {
        // Netty 4.1 uses sun.misc.Unsafe, for which JDK 24+ prints warnings; the demo does not need it.
        if (System.getProperty("io.netty.noUnsafe") == null) {
            System.setProperty("io.netty.noUnsafe", "true");
        }
        RuntimeException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            Properties p = new Properties();
            p.setProperty("host", HOST);
            p.setProperty("port", Integer.toString(port));
            p.setProperty("allow_anonymous", "true");
            p.setProperty("session_queue_size", Integer.toString(Math.max(1024, 4 * maxInFlight)));
            p.setProperty("persistence_enabled", "false");
            // Moquette 0.17 otherwise reports to a telemetry service (and looks up the public IP) at start.
            p.setProperty("telemetry_enabled", "false");
            p.setProperty("netty.mqtt.message_size", Integer.toString(Math.max(8092, maxPayload + 1024)));
            Server server = new Server();
            try {
                server.startServer(new MemoryConfig(p));
                return new EmbeddedBroker(server, port);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded Moquette broker", e);
            } catch (RuntimeException e) {
                // Moquette throws RuntimeException("Cannot bind to port: ...") if another process took the port.
                last = e;
                try {
                    server.stopServer();
                } catch (RuntimeException half) {
                    e.addSuppressed(half);
                }
            }
        }
        throw last;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + HOST, e);
        }
    }

    /** The broker's URL, e.g. {@code mqtt://127.0.0.1:41234}. */
    public String url() {
        return "mqtt://" + HOST + ":" + port;
    }

    @Override
    public void close() {
        server.stopServer();
    }
}
