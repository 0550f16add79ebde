package dev.mote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar as a process ({@code java -jar mote-cli.jar ...}, what {@code ./mote} runs):
 * exit statuses as the shell sees them, and Ctrl-C (SIGINT), which must disconnect cleanly (the
 * broker then discards the will) and end sub with status 0, like mosquitto_sub. Runs after
 * {@code package} (surefire execution "jar-tests").
 */
class JarIT {
    private static final Path JAR = Path.of(System.getProperty("mote.cli.jar", "target/mote-cli.jar"));
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static Mosquitto broker;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startBroker() {
        assumeTrue(Files.isRegularFile(JAR), "no " + JAR + ": run after package");
        if (Mosquitto.available()) {
            broker = Mosquitto.start();
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static ProcessBuilder mote(String... args) {
        List<String> command = new ArrayList<>(List.of(JAVA, "-jar", JAR.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    private record Exit(int code, String out, String err) {
    }

    private Exit run(String... args) throws IOException {
        Path out = tmp.resolve("out-" + System.nanoTime());
        Path err = tmp.resolve("err-" + System.nanoTime());
        Process p = mote(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        int code = Mosquitto.waitFor(p, 30);
        return new Exit(code, Files.readString(out), Files.readString(err));
    }

    /**
     * SIGINT, as Ctrl-C sends it; SIGTERM if this process was started with SIGINT ignored (as
     * background jobs of a non-interactive shell are), since the JVM then cannot see SIGINT.
     */
    private static String interrupt(Process p) throws IOException {
        String signal = ignoresSigint(p.pid()) ? "TERM" : "INT";
        assertEquals(0, Mosquitto.waitFor(new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start(), 10));
        return signal;
    }

    private static boolean ignoresSigint(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseLong(line.substring(7).strip(), 16) & 0x2) != 0;
            }
        }
        return false;
    }

    @Test
    void exitStatusesAsTheShellSeesThem() throws IOException {
        Exit usage = run("pub", "-t", "a", "-m", "x", "-q", "3");
        assertEquals(2, usage.code());
        assertEquals("mote pub: invalid QoS 3 for -q: must be 0, 1 or 2\n", usage.err());

        Exit help = run("sub", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: mote sub"), help.out());

        Exit none = run();
        assertEquals(2, none.code());

        try (FakeBroker refusing = new FakeBroker(FakeBroker.refusing(4))) {
            Exit refused = run("sub", "-h", "127.0.0.1", "-p", Integer.toString(refusing.port()), "-t", "a");
            assertEquals(4, refused.code(), refused.err());
            assertEquals(1, refused.err().lines().count(), refused.err());
            assertTrue(refused.err().contains("bad user name or password"), refused.err());
        }

        Exit demoHelp = run("demo", "--help");
        assertEquals(0, demoHelp.code());
        assertTrue(demoHelp.out().startsWith("usage: ./mote demo"), demoHelp.out());
    }

    @Test
    void subTimesOutWith27() throws IOException {
        assumeTrue(broker != null, "mosquitto is not installed");
        Exit timedOut = run("sub", "-h", "127.0.0.1", "-p", Integer.toString(broker.port()), "-t", "jar/nothing", "-W", "1");
        assertEquals(27, timedOut.code(), timedOut.err());
        assertEquals("mote sub: timed out after 1 s (-W)\n", timedOut.err());
    }

    @Test
    void ctrlCDisconnectsSubCleanlyAndExitsZero() throws IOException {
        assumeTrue(broker != null, "mosquitto is not installed");
        String id = "jar-sub-" + System.nanoTime();
        String topic = "jar/sigint/" + System.nanoTime();
        Path wills = tmp.resolve("wills.txt");
        Process willWatcher = broker.sub("will-watch-" + System.nanoTime(), wills, "-t", topic + "/will", "-W", "4", "-v", "--quiet");

        Path out = tmp.resolve("sub.out");
        Path err = tmp.resolve("sub.err");
        Process sub = mote("sub", "-h", "127.0.0.1", "-p", Integer.toString(broker.port()), "-i", id, "-t", topic, "-q", "1",
                "--will-topic", topic + "/will", "--will-payload", "died")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        broker.awaitSubscribed(id);
        assertEquals(0, broker.pub("-t", topic, "-m", "before ctrl-c", "-q", "1"));
        awaitContent(out, "before ctrl-c\n");

        String signal = interrupt(sub);
        assertEquals(0, Mosquitto.waitFor(sub, 15), "SIG" + signal + ": " + Files.readString(err));
        assertEquals("", Files.readString(err));
        broker.awaitLog("Received DISCONNECT from " + id + "\n", java.time.Duration.ofSeconds(5));
        assertEquals(27, Mosquitto.waitFor(willWatcher, 10)); // no will: the disconnect was clean
        assertEquals("", Files.readString(wills));
    }

    @Test
    void killedWithoutDisconnectTheWillIsPublished() throws IOException {
        assumeTrue(broker != null, "mosquitto is not installed");
        String id = "jar-will-" + System.nanoTime();
        String topic = "jar/will/" + System.nanoTime();
        Path wills = tmp.resolve("wills.txt");
        Process willWatcher = broker.sub("will-watch-" + System.nanoTime(), wills, "-t", topic, "-C", "1", "-W", "10", "-v");
        Process sub = mote("sub", "-h", "127.0.0.1", "-p", Integer.toString(broker.port()), "-i", id, "-t", "jar/ignored",
                "--will-topic", topic, "--will-payload", "died", "--will-qos", "1")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        broker.awaitSubscribed(id);
        sub.destroyForcibly();
        assertEquals(0, Mosquitto.waitFor(willWatcher, 15));
        assertEquals(topic + " died\n", Files.readString(wills));
    }

    @Test
    void ctrlCEndsPubLinesAfterTheLinesWereAcknowledged() throws IOException {
        assumeTrue(broker != null, "mosquitto is not installed");
        String topic = "jar/lines/" + System.nanoTime();
        Path received = tmp.resolve("received.txt");
        Process watcher = broker.sub("lines-watch-" + System.nanoTime(), received, "-t", topic, "-q", "1", "-C", "3", "-W", "20");
        String id = "jar-pub-" + System.nanoTime();
        Path err = tmp.resolve("pub.err");
        Process pub = mote("pub", "-h", "127.0.0.1", "-p", Integer.toString(broker.port()), "-i", id, "-t", topic, "-l", "-q", "1")
                .redirectError(err.toFile()).start();
        OutputStream stdin = pub.getOutputStream();
        stdin.write("one\ntwo\nthree\n".getBytes(StandardCharsets.UTF_8));
        stdin.flush(); // and stdin stays open: only Ctrl-C ends it
        assertEquals(0, Mosquitto.waitFor(watcher, 20));
        assertEquals("one\ntwo\nthree\n", Files.readString(received));
        String signal = interrupt(pub);
        assertEquals(0, Mosquitto.waitFor(pub, 15), "SIG" + signal + ": " + Files.readString(err));
        broker.awaitLog("Received DISCONNECT from " + id + "\n", java.time.Duration.ofSeconds(5));
        stdin.close();
    }

    @Test
    void ctrlCCutsAWaitForASilentBrokerShort() throws IOException {
        try (FakeBroker silent = new FakeBroker(FakeBroker.silent())) {
            String port = Integer.toString(silent.port());
            Path err = tmp.resolve("pub.err");
            Process pub = mote("pub", "-h", "127.0.0.1", "-p", port, "-t", "a", "-m", "x", "-q", "1")
                    .redirectError(err.toFile()).start();
            Process sub = mote("sub", "-h", "127.0.0.1", "-p", port, "-t", "a")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            silent.awaitConnections(2);
            Mosquitto.sleep(300); // both are waiting for CONNACK (for 10 s)
            long start = System.nanoTime();
            interrupt(pub);
            interrupt(sub);
            assertEquals(1, Mosquitto.waitFor(pub, 15));
            assertEquals("mote pub: stopped before the message was acknowledged\n", Files.readString(err));
            assertEquals(0, Mosquitto.waitFor(sub, 15));
            assertTrue(System.nanoTime() - start < 8_000_000_000L, "Ctrl-C should not wait for the 10 s connect timeout");
        }
    }

    /**
     * A persistent QoS 2 session stopped with Ctrl-C in the middle of a stream and resumed: every
     * message is printed once, by one run or the other, in order.
     */
    @Test
    void persistentSessionAcrossCtrlCPrintsEachQos2MessageExactlyOnce() throws Exception {
        assumeTrue(broker != null, "mosquitto is not installed");
        String id = "jar-session-" + System.nanoTime();
        String topic = "jar/session/" + System.nanoTime();
        String port = Integer.toString(broker.port());
        Path firstOut = tmp.resolve("first.out");
        Process first = mote("sub", "-h", "127.0.0.1", "-p", port, "-c", "-i", id, "-q", "2", "-t", topic)
                .redirectOutput(firstOut.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        broker.awaitSubscribed(id);
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            all.append("message ").append(i).append('\n');
        }
        Thread publisher = Thread.ofVirtual().start(() -> broker.pubWithStdin(all.toString().getBytes(StandardCharsets.UTF_8),
                "-t", topic, "-q", "2", "-l"));
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (Files.readString(firstOut).lines().count() < 50 && System.nanoTime() < deadline) {
            Mosquitto.sleep(5);
        }
        interrupt(first);
        assertEquals(0, Mosquitto.waitFor(first, 15));
        publisher.join(20_000);
        String printedFirst = Files.readString(firstOut);
        long left = 300 - printedFirst.lines().count();
        assertTrue(left >= 0, printedFirst);

        String printedSecond = "";
        if (left > 0) {
            Cli.Result second = Cli.run("sub", "-h", "127.0.0.1", "-p", port, "-c", "-i", id, "-q", "2", "-t", topic,
                    "-C", Long.toString(left), "-W", "20");
            assertEquals(0, second.code(), second.toString());
            printedSecond = second.outText();
        }
        assertEquals(all.toString(), printedFirst + printedSecond);
        Cli.Result third = Cli.run("sub", "-h", "127.0.0.1", "-p", port, "-c", "-i", id, "-q", "2", "-t", topic, "-W", "1");
        assertEquals(27, third.code());
        assertEquals("", third.outText());
        assertFalse(printedFirst.isEmpty());
    }

    private static void awaitContent(Path file, String expected) throws IOException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.readString(file).equals(expected)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected '" + expected + "', have '" + Files.readString(file) + "'");
            }
            Mosquitto.sleep(20);
        }
    }
}
