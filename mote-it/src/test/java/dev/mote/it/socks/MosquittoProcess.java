package dev.mote.it.socks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A Mosquitto process for the SOCKS and Unix socket tests: a plain TCP listener on a free port of
 * 127.0.0.1 and, if asked, a Unix socket listener, with persistence in its directory. It can be
 * stopped (SIGTERM: Mosquitto saves its sessions and removes its socket file) and started again
 * with the same configuration. Small on purpose; the shared broker fixtures of the suite live in
 * dev.mote.it.broker.
 */
public final class MosquittoProcess implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/sbin/mosquitto");

    private final Path dir;
    private final Path config;
    private final Path log;
    private final int port;
    private final Path socket;
    private Process process;

    public static boolean available() {
        return Files.isExecutable(BINARY);
    }

    /** Starts Mosquitto with a TCP listener and, if {@code socket} is not null, a Unix socket listener there. */
    public static MosquittoProcess start(Path dir, Path socket) throws IOException, InterruptedException {
        MosquittoProcess m = new MosquittoProcess(Files.createDirectories(dir), socket);
        m.start();
        return m;
    }

    private MosquittoProcess(Path dir, Path socket) throws IOException {
        this.dir = dir;
        this.config = dir.resolve("mosquitto.conf");
        this.log = dir.resolve("mosquitto.log");
        this.socket = socket;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            this.port = s.getLocalPort();
        }
        StringBuilder conf = new StringBuilder();
        if ("root".equals(System.getProperty("user.name"))) {
            conf.append("user root\n"); // else Mosquitto drops to user "mosquitto", who cannot write the temp dir
        }
        conf.append("allow_anonymous true\n")
                .append("persistence true\n")
                .append("persistence_location ").append(dir).append("/\n")
                .append("log_dest file ").append(log).append('\n')
                .append("log_type error\nlog_type warning\nlog_type notice\nlog_type information\n")
                .append("listener ").append(port).append(" 127.0.0.1\n");
        if (socket != null) {
            conf.append("listener 0 ").append(socket).append('\n');
        }
        Files.writeString(config, conf, StandardCharsets.US_ASCII);
    }

    /** Starts the process and waits until every listener accepts connections. */
    public synchronized void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return;
        }
        process = new ProcessBuilder(BINARY.toString(), "-c", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto.out").toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!acceptsTcp() || (socket != null && !acceptsUnix())) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String out = Files.exists(dir.resolve("mosquitto.out")) ? Files.readString(dir.resolve("mosquitto.out")) : "";
                close();
                throw new IOException("Mosquitto did not start:\n" + out + logText());
            }
            Thread.sleep(20);
        }
    }

    /** Stops the process with SIGTERM and waits for it to end. */
    public synchronized void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    public int port() {
        return port;
    }

    /** The Unix socket path, or null. */
    public Path socket() {
        return socket;
    }

    public String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private boolean acceptsTcp() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean acceptsUnix() {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public synchronized void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
