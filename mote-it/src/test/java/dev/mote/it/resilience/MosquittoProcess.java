package dev.mote.it.resilience;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A Mosquitto process for the fault-injection suite, on one loopback port for its whole life, so
 * it can be stopped and started again (or killed) under clients that keep reconnecting to it.
 *
 * <p>What the suite learned about Mosquitto (2.0.11) and configures here:
 * <ul>
 *   <li>{@code max_queued_messages} defaults to 1000: beyond it Mosquitto silently drops QoS 1
 *       and 2 messages for a slow or offline subscriber. Set to 0 (no limit).</li>
 *   <li>Persistence is written every {@code autosave_interval} seconds and on a clean exit
 *       (SIGTERM), so a SIGKILL loses what the broker acknowledged since the last save. Restarts
 *       in the loss counts therefore use SIGTERM; see {@link #kill()} for the other kind.</li>
 *   <li>As root, Mosquitto drops to user {@code mosquitto}, which cannot write a temporary
 *       directory of ours: the configuration says {@code user} is whoever runs the tests.</li>
 * </ul>
 */
final class MosquittoProcess implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/sbin/mosquitto");
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly), "mosquitto-reaper"));
    }

    final int port;
    final Path dir;
    private final Path config;
    private Process process;
    private int starts;

    static boolean available() {
        return Files.isExecutable(BINARY);
    }

    /**
     * @param dir   its own directory (configuration, log, persistence file)
     * @param extra configuration lines after the generated ones
     */
    MosquittoProcess(Path dir, List<String> extra) {
        this.dir = dir;
        this.port = freePort();
        this.config = dir.resolve("mosquitto.conf");
        StringBuilder c = new StringBuilder();
        c.append("user ").append(System.getProperty("user.name")).append('\n');
        c.append("listener ").append(port).append(" 127.0.0.1\n");
        c.append("allow_anonymous true\n");
        c.append("max_queued_messages 0\n");
        c.append("log_dest file ").append(dir.resolve("mosquitto.log")).append('\n');
        c.append("log_type error\nlog_type warning\nlog_type notice\nlog_type information\n");
        c.append("connection_messages true\n");
        for (String line : extra) {
            c.append(line.replace("${dir}", dir.toString())).append('\n');
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(config, c);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        start();
    }

    /** The broker URL, straight to the broker (not through a proxy). */
    String uri() {
        return "mqtt://127.0.0.1:" + port;
    }

    /** Starts the process and waits until the port accepts connections. */
    synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running");
        }
        try {
            process = new ProcessBuilder(BINARY.toString(), "-c", config.toString())
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto.out").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + BINARY, e);
        }
        RUNNING.add(process);
        starts++;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!accepts()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("mosquitto did not start on port " + port + "; see " + dir.resolve("mosquitto.log"));
            }
            pause(10);
        }
    }

    /** SIGTERM, and waits for the exit: Mosquitto saves its persistence file first. */
    synchronized void stop() {
        process.destroy();
        await();
    }

    /** SIGKILL: nothing is saved beyond the last autosave. */
    synchronized void kill() {
        process.destroyForcibly();
        await();
    }

    /** Stops cleanly (or kills) and starts again on the same port. */
    void restart(boolean kill) {
        if (kill) {
            kill();
        } else {
            stop();
        }
        start();
    }

    int starts() {
        return starts;
    }

    private void await() {
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping mosquitto", e);
        }
        RUNNING.remove(process);
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            stop();
        }
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A fresh directory under {@code target/resilience/}. */
    static Path freshDir(String name) {
        Path d = Path.of("target", "resilience", name + "-" + System.nanoTime()).toAbsolutePath();
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d;
    }
}
