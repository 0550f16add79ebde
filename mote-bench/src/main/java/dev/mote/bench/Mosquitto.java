package dev.mote.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A Mosquitto process of the bench's own on a free loopback port: no connection limit, no in-flight
 * or queue limits (so QoS 1/2 windows of 65,535 are not silently dropped), logging off.
 */
final class Mosquitto implements AutoCloseable {
    private final Process process;
    private final int port;

    private Mosquitto(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static Path binary() {
        for (String p : new String[] {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"}) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        throw new IllegalStateException("mosquitto is not installed (apt-get install mosquitto)");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static Mosquitto start(Path dir) throws Exception {
        Files.createDirectories(dir);
        int port = freePort();
        Path conf = dir.resolve("mosquitto.conf");
        Files.writeString(conf, String.join("\n",
                "per_listener_settings false",
                "listener " + port + " 127.0.0.1",
                "allow_anonymous true",
                "max_connections -1",
                "max_inflight_messages 0",
                "max_queued_messages 0",
                "max_queued_bytes 0",
                "persistence false",
                "log_type none",
                "log_dest none",
                "") );
        Process p = new ProcessBuilder(binary().toString(), "-c", conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("mosquitto.out").toFile())
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return new Mosquitto(p, port);
            } catch (IOException notYet) {
                Thread.sleep(20); // polling a process we cannot be told about
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("mosquitto did not start on port " + port + "; see " + dir.resolve("mosquitto.out"));
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    /** The broker's CPU time so far (user + system), in nanoseconds, from /proc/pid/stat. */
    long cpuNanos() {
        return ProcStat.cpuNanos(process.pid());
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
