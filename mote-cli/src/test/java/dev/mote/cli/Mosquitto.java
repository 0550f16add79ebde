package dev.mote.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Mosquitto broker process for the tests, on a free loopback port, with a generated
 * configuration ({@code max_queued_messages 0}: no limit, so the broker drops nothing) and its
 * log in a file the tests can wait on ("Sending SUBACK to ID"). Also runs mosquitto_pub and
 * mosquitto_sub. Tests skip themselves (assumptions) when the binaries are missing.
 */
final class Mosquitto implements AutoCloseable {
    static final Path BROKER = Path.of(System.getProperty("mote.mosquitto", "/usr/sbin/mosquitto"));

    private final Path dir;
    private final List<String> extraConfig;
    private final int port;
    private Process process;

    private Mosquitto(Path dir, int port, List<String> extraConfig) {
        this.dir = dir;
        this.port = port;
        this.extraConfig = extraConfig;
    }

    /** Whether the broker binary and the mosquitto_pub/mosquitto_sub clients are installed. */
    static boolean available() {
        return Files.isExecutable(BROKER) && onPath("mosquitto_pub") && onPath("mosquitto_sub");
    }

    private static boolean onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Starts a broker with the default test configuration plus {@code extraConfig} lines, in
     * which {@code ${dir}} stands for the broker's own (writable) directory.
     */
    static Mosquitto start(String... extraConfig) {
        try {
            Path dir = Files.createTempDirectory("mote-cli-mosquitto");
            // Mosquitto started as root drops to the "mosquitto" user, which must be able to write its log here.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            IOException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                Mosquitto m = new Mosquitto(dir, freePort(), List.of(extraConfig));
                try {
                    m.launch();
                    return m;
                } catch (IOException e) {
                    last = e; // the port was taken meanwhile: another one
                }
            }
            throw new UncheckedIOException(last);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void launch() throws IOException {
        List<String> config = new ArrayList<>(List.of(
                "listener " + port + " 127.0.0.1",
                "allow_anonymous true",
                "max_queued_messages 0",
                "log_dest file " + log(),
                "log_type all"));
        for (String line : extraConfig) {
            config.add(line.replace("${dir}", dir.toString()));
        }
        Path conf = dir.resolve("mosquitto.conf");
        Files.write(conf, config);
        process = new ProcessBuilder(BROKER.toString(), "-c", conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("mosquitto exited: " + Files.readString(dir.resolve("stdout.txt")) + logText());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                sleep(50);
            }
        }
        process.destroyForcibly();
        throw new IOException("mosquitto did not open port " + port);
    }

    /** Stops the broker (SIGTERM: it disconnects everyone and saves its persistence) and waits for it. */
    void stop() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the stopped broker again on the same port. */
    void restart() {
        try {
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return port;
    }

    Path dir() {
        return dir;
    }

    /** The connection options for the tools: -h 127.0.0.1 -p PORT. */
    List<String> hostPort() {
        return List.of("-h", "127.0.0.1", "-p", Integer.toString(port));
    }

    private Path log() {
        return dir.resolve("mosquitto.log");
    }

    String logText() {
        try {
            return Files.exists(log()) ? Files.readString(log(), StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits until the broker has acknowledged a SUBSCRIBE of {@code clientId}. */
    void awaitSubscribed(String clientId) {
        awaitSubscribed(clientId, 0);
    }

    /** Waits until the broker has acknowledged more than {@code before} SUBSCRIBEs of {@code clientId}. */
    void awaitSubscribed(String clientId, int before) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (subacks(clientId) <= before) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the broker never acknowledged a subscription of " + clientId + ":\n" + logText());
            }
            sleep(20);
        }
    }

    /** How many SUBACKs the broker has sent to {@code clientId}. */
    int subacks(String clientId) {
        String log = logText();
        String line = "Sending SUBACK to " + clientId + "\n";
        int n = 0;
        for (int i = log.indexOf(line); i >= 0; i = log.indexOf(line, i + 1)) {
            n++;
        }
        return n;
    }

    /** Waits until {@code text} appears in the broker's log. */
    void awaitLog(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!logText().contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the broker log never said '" + text.strip() + "':\n" + logText());
            }
            sleep(20);
        }
    }

    /** Runs mosquitto_pub with these arguments (after -h/-p) and returns its exit status. */
    int pub(String... args) {
        try {
            return waitFor(tool("mosquitto_pub", args).start(), 15);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs mosquitto_pub with {@code stdin} fed to it. */
    int pubWithStdin(byte[] stdin, String... args) {
        try {
            Process p = tool("mosquitto_pub", args).start();
            p.getOutputStream().write(stdin);
            p.getOutputStream().close();
            return waitFor(p, 15);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts mosquitto_sub with client id {@code id} (stdout to {@code out}) and waits until the
     * broker has acknowledged its subscription.
     */
    Process sub(String id, Path out, String... args) {
        List<String> all = new ArrayList<>(List.of("-i", id));
        all.addAll(List.of(args));
        try {
            Process p = tool("mosquitto_sub", all.toArray(String[]::new)).redirectOutput(out.toFile()).start();
            awaitSubscribed(id);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ProcessBuilder tool(String name, String... args) {
        List<String> command = new ArrayList<>(List.of(name));
        command.addAll(hostPort());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    }

    /** Waits for a process to exit and returns its status. */
    static int waitFor(Process p, int seconds) {
        try {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("process did not exit within " + seconds + " s: " + p.info().commandLine().orElse("?"));
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (process != null) {
            stop();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }
}
