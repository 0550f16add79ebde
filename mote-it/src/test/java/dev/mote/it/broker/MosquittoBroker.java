package dev.mote.it.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real Mosquitto process on a free 127.0.0.1 port, configured by a generated file in a
 * directory of its own under {@code target/it/}. Its log goes to {@code mosquitto.log} there.
 *
 * <p>It can be stopped (SIGTERM, which lets Mosquitto save a persistent database), killed
 * (SIGKILL) and started again on the same port with the same configuration. Every process still
 * running when the JVM exits is killed by a shutdown hook, so a crashed test run leaves no broker
 * behind.
 */
public final class MosquittoBroker implements Broker, AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly),
                "mosquitto-reaper"));
    }

    private final String name;
    private final Path dir;
    private final Path configFile;
    private final Path logFile;
    private final int port;
    private final List<Integer> extraPorts;
    private Process process;

    private MosquittoBroker(String name, Path dir, int port, List<Integer> extraPorts) {
        this.name = name;
        this.dir = dir;
        this.configFile = dir.resolve("mosquitto.conf");
        this.logFile = dir.resolve("mosquitto.log");
        this.port = port;
        this.extraPorts = List.copyOf(extraPorts);
    }

    // ---------------------------------------------------------------- finding the binary

    /**
     * The mosquitto executable: the system property {@code mote.it.mosquitto} if set (a path, or
     * {@code none} to run without Mosquitto), else {@code /usr/sbin/mosquitto}, else
     * {@code mosquitto} on the PATH; null if none of these.
     */
    public static Path binary() {
        String configured = System.getProperty("mote.it.mosquitto", "");
        if (!configured.isEmpty()) {
            Path p = Path.of(configured);
            return configured.equals("none") || !Files.isExecutable(p) ? null : p;
        }
        Path standard = Path.of("/usr/sbin/mosquitto");
        if (Files.isExecutable(standard)) {
            return standard;
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(java.io.File.pathSeparator)) {
                if (!d.isEmpty()) {
                    Path p = Path.of(d, "mosquitto");
                    if (Files.isExecutable(p)) {
                        return p;
                    }
                }
            }
        }
        return null;
    }

    public static boolean isAvailable() {
        return binary() != null;
    }

    /** Why Mosquitto scenarios are skipped on this machine. */
    public static final String MISSING = "mosquitto is not installed (neither /usr/sbin/mosquitto nor mosquitto on the PATH,"
            + " or -Dmote.it.mosquitto names none); install it (apt-get install mosquitto) to run the Mosquitto half"
            + " of the integration suite";

    /**
     * The dynamic-security plugin shipped with Mosquitto 2 (Debian puts it in the multiarch
     * library directory); null if it is not installed.
     */
    public static Path dynamicSecurityPlugin() {
        List<Path> candidates = new ArrayList<>();
        for (String root : new String[] {"/usr/lib", "/usr/local/lib", "/usr/lib64"}) {
            Path r = Path.of(root);
            candidates.add(r.resolve("mosquitto_dynamic_security.so"));
            candidates.add(r.resolve("mosquitto").resolve("mosquitto_dynamic_security.so"));
            if (Files.isDirectory(r)) {
                try (Stream<Path> sub = Files.list(r)) {
                    sub.filter(Files::isDirectory)
                            .sorted()
                            .forEach(d -> candidates.add(d.resolve("mosquitto_dynamic_security.so")));
                } catch (IOException e) {
                    // not listable: skip it
                }
            }
        }
        return candidates.stream().filter(Files::isRegularFile).findFirst().orElse(null);
    }

    // ---------------------------------------------------------------- building and starting

    /** Starts describing a broker; {@code name} names its directory and shows in failures. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Describes one Mosquitto instance: extra configuration and files next to its configuration. */
    public static final class Builder {
        private final String name;
        private final List<String> config = new ArrayList<>();
        private final Map<String, byte[]> files = new LinkedHashMap<>();
        private final List<Integer> extraPorts = new ArrayList<>();
        private boolean persistence;
        private boolean anonymous = true;

        private Builder(String name) {
            this.name = name;
        }

        /**
         * Adds configuration lines after the generated ones; {@code ${dir}} stands for the
         * broker's directory (where {@link #file} puts files).
         */
        public Builder config(String snippet) {
            config.add(snippet);
            return this;
        }

        /**
         * Adds a listener on {@code port} of 127.0.0.1 with its own settings (e.g. {@code cafile ...},
         * {@code require_certificate true}); start returns once it accepts connections too.
         */
        public Builder listener(int port, String... settings) {
            StringBuilder c = new StringBuilder("listener ").append(port).append(' ').append(Net.LOOPBACK);
            for (String line : settings) {
                c.append('\n').append(line);
            }
            config.add(c.toString());
            extraPorts.add(port);
            return this;
        }

        /** Writes a file into the broker's directory before it starts. */
        public Builder file(String fileName, String content) {
            files.put(fileName, content.getBytes(StandardCharsets.UTF_8));
            return this;
        }

        /** Keeps sessions and retained messages on disk across a stop and start (saved on SIGTERM). */
        public Builder persistence(boolean on) {
            this.persistence = on;
            return this;
        }

        /** Whether clients without a user name are let in (default true). */
        public Builder allowAnonymous(boolean allow) {
            this.anonymous = allow;
            return this;
        }

        /** Writes the configuration and starts the process; returns once its port accepts connections. */
        public MosquittoBroker start() {
            Path binary = binary();
            if (binary == null) {
                throw new IllegalStateException(MISSING);
            }
            IllegalStateException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                Path dir = prepareDirectory();
                MosquittoBroker b = new MosquittoBroker(name, dir, Net.freePort(), extraPorts);
                try {
                    b.writeConfig(this);
                    b.launch();
                    return b;
                } catch (IllegalStateException e) {
                    // Most likely another process took the port between choosing and binding it.
                    last = e;
                    b.kill();
                }
            }
            throw last;
        }

        private Path prepareDirectory() {
            Path dir = itDirectory().resolve("mosquitto-" + name + "-" + COUNTER.incrementAndGet());
            try {
                if (Files.exists(dir)) {
                    try (Stream<Path> walk = Files.walk(dir)) {
                        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                            Files.delete(p);
                        }
                    }
                }
                Files.createDirectories(dir);
                for (Map.Entry<String, byte[]> f : files.entrySet()) {
                    Files.write(dir.resolve(f.getKey()), f.getValue());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare " + dir, e);
            }
            return dir;
        }
    }

    /** Where the fixtures keep broker directories: {@code target/it} under Maven. */
    static Path itDirectory() {
        return Path.of(System.getProperty("mote.it.dir", "target/it")).toAbsolutePath();
    }

    private void writeConfig(Builder b) {
        StringBuilder c = new StringBuilder();
        c.append("# Generated by MosquittoBroker for the Mote integration tests (").append(name).append(")\n");
        // Run as whoever runs the tests: as root, Mosquitto would otherwise switch to the
        // 'mosquitto' user, which cannot write this directory.
        c.append("user ").append(System.getProperty("user.name")).append('\n');
        c.append("per_listener_settings false\n");
        c.append("listener ").append(port).append(' ').append(Net.LOOPBACK).append('\n');
        c.append("allow_anonymous ").append(b.anonymous).append('\n');
        // The default of 1000 queued messages per client makes Mosquitto silently drop QoS 1 and 2
        // messages under load; the scenarios put thousands in flight and count every one.
        c.append("max_queued_messages 1000000\n");
        // Mosquitto's default, stated so the suite keeps testing against it. Mosquitto also counts
        // incoming QoS 2 messages waiting for PUBREL against this limit; beyond it, 2.0.11 answers
        // PUBREC with "quota exceeded" (0x97), which MQTT 3.1.1 cannot express, so a 3.1.1 client
        // sees a normal PUBREC and the message is silently dropped (seen in the debug log: 3,540
        // of 5,000 QoS 2 messages lost with a client window of 1000 against a limit of 100).
        // Mote's QoS 2 window (qos2InFlightWindow, default 20) must stay within it.
        c.append("max_inflight_messages 20\n");
        c.append("log_dest stderr\n");
        c.append("log_type error\nlog_type warning\nlog_type notice\nlog_type information\n");
        c.append("log_type subscribe\nlog_type unsubscribe\n");
        if (Boolean.getBoolean("mote.it.mosquitto.debug")) {
            c.append("log_type debug\n"); // every packet, both ways: -Dmote.it.mosquitto.debug=true
        }
        c.append("connection_messages true\n");
        c.append("log_timestamp_format %H:%M:%S\n");
        if (b.persistence) {
            c.append("persistence true\n");
            c.append("persistence_location ").append(dir).append("/\n");
            c.append("persistence_file mosquitto.db\n");
        } else {
            c.append("persistence false\n");
        }
        for (String snippet : b.config) {
            c.append(snippet.replace("${dir}", dir.toString())).append('\n');
        }
        try {
            Files.writeString(configFile, c.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configFile, e);
        }
    }

    private void launch() {
        ProcessBuilder pb = new ProcessBuilder(binary().toString(), "-c", configFile.toString())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + binary() + ": " + e.getMessage(), e);
        }
        RUNNING.add(p);
        process = p;
        List<Integer> ports = new ArrayList<>(extraPorts);
        ports.add(0, port);
        for (int listening : ports) {
            if (!Net.awaitAccepting(listening, START_TIMEOUT, () -> !p.isAlive())) {
                String why = p.isAlive() ? "did not accept connections on port " + listening + " within "
                        + START_TIMEOUT.toSeconds() + " s" : "exited with code " + p.exitValue();
                throw new IllegalStateException("mosquitto (" + name + ") " + why + "\n" + diagnostics());
            }
        }
    }

    // ---------------------------------------------------------------- life cycle

    /** Starts the stopped or killed process again, on the same port with the same configuration. */
    public synchronized MosquittoBroker restart() {
        if (isRunning()) {
            throw new IllegalStateException("mosquitto (" + name + ") is still running");
        }
        appendLogMarker("---- restart ----");
        launch();
        return this;
    }

    /** SIGTERM, then waits for the process to end (Mosquitto saves its database first when persistent). */
    public synchronized void stop() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        RUNNING.remove(p);
    }

    /** SIGKILL: the broker vanishes at once, saving nothing; waits until the process is gone. */
    public synchronized void kill() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroyForcibly();
        try {
            p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RUNNING.remove(p);
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Stops the broker; its directory and log stay for inspection. */
    @Override
    public void close() {
        stop();
    }

    // ---------------------------------------------------------------- Broker

    @Override
    public Kind kind() {
        return Kind.MOSQUITTO;
    }

    @Override
    public String host() {
        return Net.LOOPBACK;
    }

    @Override
    public int port() {
        return port;
    }

    public Path directory() {
        return dir;
    }

    public Path logFile() {
        return logFile;
    }

    /** The whole log so far. */
    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + logFile + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public String diagnostics() {
        List<String> lines = log().lines().toList();
        int from = Math.max(0, lines.size() - 30);
        return "mosquitto (" + name + ") on port " + port + ", config " + configFile + ", log " + logFile
                + (from > 0 ? "; last 30 lines:\n" : ":\n") + String.join("\n", lines.subList(from, lines.size()));
    }

    private void appendLogMarker(String text) {
        try {
            Files.writeString(logFile, text + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the marker is only a help for reading the log
        }
    }

    @Override
    public String toString() {
        return "mosquitto(" + name + ", port " + port + (isRunning() ? "" : ", stopped") + ")";
    }
}
