package dev.mote.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * mote pub and mote sub against a real Mosquitto, both ways with the real mosquitto_pub and
 * mosquitto_sub: QoS 0/1/2, retained or not, binary payloads byte for byte, line mode, -C, -W,
 * -v and -F (compared with mosquitto_sub's own output), persistent sessions.
 */
class MosquittoInteropTest {
    private static final AtomicInteger IDS = new AtomicInteger();
    private static Mosquitto broker;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startBroker() {
        assumeTrue(Mosquitto.available(), "mosquitto, mosquitto_pub and mosquitto_sub are not installed");
        broker = Mosquitto.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /** A fresh name (topic level or client id) per use, so tests never see each other's messages. */
    private static String unique(String prefix) {
        return prefix + "-" + IDS.incrementAndGet() + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    static Stream<Arguments> qosAndRetain() {
        List<Arguments> all = new ArrayList<>();
        for (int qos = 0; qos <= 2; qos++) {
            all.add(Arguments.of(qos, false));
            all.add(Arguments.of(qos, true));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "QoS {0}, retained {1}")
    @MethodSource("qosAndRetain")
    void motePubToMosquittoSub(int qos, boolean retain) throws Exception {
        String topic = "interop/mote-pub/" + unique("t");
        Path out = tmp.resolve("out.txt");
        String[] pub = retain
                ? Cli.args("pub", broker, "-t", topic, "-m", "hello " + qos, "-q", Integer.toString(qos), "-r")
                : Cli.args("pub", broker, "-t", topic, "-m", "hello " + qos, "-q", Integer.toString(qos));
        Process sub;
        if (retain) {
            assertEquals(0, Cli.run(pub).code()); // retained first: the subscriber gets it on subscribing
            sub = broker.sub(unique("msub"), out, "-t", topic, "-q", "2", "-C", "1", "-W", "10", "-F", "%q %r %t %p");
        } else {
            sub = broker.sub(unique("msub"), out, "-t", topic, "-q", "2", "-C", "1", "-W", "10", "-F", "%q %r %t %p");
            Cli.Result r = Cli.run(pub);
            assertEquals(0, r.code(), r.toString());
            assertEquals("", r.err());
        }
        assertEquals(0, Mosquitto.waitFor(sub, 15));
        assertEquals(qos + " " + (retain ? 1 : 0) + " " + topic + " hello " + qos + "\n", Files.readString(out));
        if (retain) {
            assertEquals(0, Cli.run(Cli.args("pub", broker, "-t", topic, "-n", "-r")).code()); // clear it
        }
    }

    @ParameterizedTest(name = "QoS {0}, retained {1}")
    @MethodSource("qosAndRetain")
    void mosquittoPubToMoteSub(int qos, boolean retain) {
        String topic = "interop/mote-sub/" + unique("t");
        String q = Integer.toString(qos);
        String id = unique("mote-sub");
        Cli.Running sub;
        if (retain) {
            assertEquals(0, broker.pub("-t", topic, "-m", "hello " + qos, "-q", q, "-r"));
            sub = Cli.start(new byte[0], Cli.args("sub", broker, "-i", id, "-t", topic, "-q", "2", "-C", "1", "-F", "%q %r %t %p"));
        } else {
            sub = Cli.start(new byte[0], Cli.args("sub", broker, "-i", id, "-t", topic, "-q", "2", "-C", "1", "-F", "%q %r %t %p"));
            broker.awaitSubscribed(id);
            assertEquals(0, broker.pub("-t", topic, "-m", "hello " + qos, "-q", q));
        }
        Cli.Result r = sub.await(15);
        assertEquals(0, r.code(), r.toString());
        assertEquals(qos + " " + (retain ? 1 : 0) + " " + topic + " hello " + qos + "\n", r.outText());
        assertEquals("", r.err());
        if (retain) {
            assertEquals(0, broker.pub("-t", topic, "-n", "-r"));
        }
    }

    /** Random bytes with NUL, CR and LF in them, and invalid UTF-8. */
    private static byte[] binary(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        b[0] = 0x00;
        b[1] = '\n';
        b[2] = '\r';
        b[3] = (byte) 0xff;
        b[size - 1] = '\n';
        return b;
    }

    @Test
    void binaryFileFromMotePubArrivesByteForByte() throws Exception {
        byte[] payload = binary(70_000);
        Path file = tmp.resolve("payload.bin");
        Files.write(file, payload);
        String topic = "interop/binary/" + unique("t");
        Path out = tmp.resolve("received.bin");
        Process sub = broker.sub(unique("msub"), out, "-t", topic, "-q", "1", "-C", "1", "-N", "-W", "10");
        Cli.Result r = Cli.run(Cli.args("pub", broker, "-t", topic, "-f", file.toString(), "-q", "1"));
        assertEquals(0, r.code(), r.toString());
        assertEquals(0, Mosquitto.waitFor(sub, 15));
        assertArrayEquals(payload, Files.readAllBytes(out));

        // -s: all of stdin as one message, the same bytes.
        Path out2 = tmp.resolve("received2.bin");
        Process sub2 = broker.sub(unique("msub"), out2, "-t", topic, "-q", "1", "-C", "1", "-N", "-W", "10");
        assertEquals(0, Cli.runWithStdin(payload, Cli.args("pub", broker, "-t", topic, "-s", "-q", "2")).code());
        assertEquals(0, Mosquitto.waitFor(sub2, 15));
        assertArrayEquals(payload, Files.readAllBytes(out2));
    }

    @Test
    void binaryFileFromMosquittoPubIsPrintedByteForByte() throws Exception {
        byte[] payload = binary(50_000);
        Path file = tmp.resolve("payload.bin");
        Files.write(file, payload);
        String topic = "interop/binary/" + unique("t");
        String id = unique("mote-sub");
        Cli.Running sub = Cli.start(new byte[0], Cli.args("sub", broker, "-i", id, "-t", topic, "-q", "2", "-C", "1", "-N"));
        broker.awaitSubscribed(id);
        assertEquals(0, broker.pub("-t", topic, "-f", file.toString(), "-q", "2"));
        Cli.Result r = sub.await(15);
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(payload, r.out());
    }

    private static String lines(int n, String prefix) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(prefix).append(String.format("%03d", i)).append(i % 7 == 3 ? " with spaces\t" : "").append('\n');
        }
        return s.toString();
    }

    @Test
    void lineModeFromMotePubIsOneMessagePerLineInOrder() throws Exception {
        String topic = "interop/lines/" + unique("t");
        String input = lines(200, "line-") + "\n" + "last line without newline";
        Path out = tmp.resolve("lines.txt");
        Process sub = broker.sub(unique("msub"), out, "-t", topic, "-q", "1", "-C", "202", "-W", "15", "-F", "%p");
        Cli.Result r = Cli.runWithStdin(input.getBytes(StandardCharsets.UTF_8), Cli.args("pub", broker, "-t", topic, "-l", "-q", "1"));
        assertEquals(0, r.code(), r.toString());
        assertEquals(0, Mosquitto.waitFor(sub, 20));
        assertEquals(input + "\n", Files.readString(out)); // the empty line is an empty message
    }

    @Test
    void lineModeFromMosquittoPubArrivesInOrder() {
        String topic = "interop/lines/" + unique("t");
        String input = lines(150, "mosq-");
        String id = unique("mote-sub");
        Cli.Running sub = Cli.start(new byte[0], Cli.args("sub", broker, "-i", id, "-t", topic, "-q", "2", "-C", "150"));
        broker.awaitSubscribed(id);
        assertEquals(0, broker.pubWithStdin(input.getBytes(StandardCharsets.UTF_8), "-t", topic, "-l", "-q", "2"));
        Cli.Result r = sub.await(20);
        assertEquals(0, r.code(), r.toString());
        assertEquals(input, r.outText());
    }

    @Test
    void subWithTimeoutExits27AndCountExitsZero() {
        String topic = "interop/exits/" + unique("t");
        Cli.Result timedOut = Cli.run(Cli.args("sub", broker, "-t", topic, "-W", "1"));
        assertEquals(27, timedOut.code(), timedOut.toString());
        assertEquals(List.of("mote sub: timed out after 1 s (-W)"), timedOut.errLines());

        String id = unique("mote-sub");
        Cli.Running sub = Cli.start(new byte[0], Cli.args("sub", broker, "-i", id, "-t", topic, "-C", "2", "-W", "20"));
        broker.awaitSubscribed(id);
        for (int i = 1; i <= 3; i++) {
            assertEquals(0, broker.pub("-t", topic, "-m", "m" + i));
        }
        Cli.Result counted = sub.await(15);
        assertEquals(0, counted.code(), counted.toString());
        assertEquals("m1\nm2\n", counted.outText());
    }

    static Stream<Arguments> formats() {
        return Stream.of(
                Arguments.of(List.of()),
                Arguments.of(List.of("-v")),
                Arguments.of(List.of("-v", "-N")),
                Arguments.of(List.of("-N")),
                Arguments.of(List.of("-F", "%t|%q|%r|%l|%x|%X|%p")),
                Arguments.of(List.of("-F", "[%-14t][%5l][%05l][%.4t][%8.3t]%%\\t@@\\\\")),
                Arguments.of(List.of("-F", "%p", "-N")),
                Arguments.of(List.of("-T", "+/+/+/+/skip", "-v")),
                Arguments.of(List.of("-R", "-v")),
                Arguments.of(List.of("--retained-only", "-v")));
    }

    /** mote sub prints exactly what mosquitto_sub prints, for the same messages and options. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("formats")
    void subPrintsWhatMosquittoSubPrints(List<String> options) throws Exception {
        String base = "interop/format/" + unique("t");
        String retainedTopic = base + "/kept";
        assertEquals(0, broker.pub("-t", retainedTopic, "-m", "old news", "-r", "-q", "1"));
        boolean retainedOnly = options.contains("--retained-only");
        boolean skipsRetained = options.contains("-R");
        int count = retainedOnly ? 0 : skipsRetained ? 4 : 5;
        List<String> common = new ArrayList<>(List.of("-t", base + "/#", "-q", "2"));
        if (count > 0) {
            common.addAll(List.of("-C", Integer.toString(count)));
        }
        common.addAll(List.of("-W", "15"));
        common.addAll(options);

        Path mosquittoOut = tmp.resolve("mosquitto.out");
        List<String> mosquittoArgs = new ArrayList<>(common);
        Process mosquittoSub = broker.sub(unique("msub"), mosquittoOut, mosquittoArgs.toArray(String[]::new));
        String id = unique("mote-sub");
        List<String> moteArgs = new ArrayList<>(List.of("-i", id));
        moteArgs.addAll(common);
        Cli.Running moteSub = Cli.start(new byte[0], Cli.args("sub", broker, moteArgs.toArray(String[]::new)));
        broker.awaitSubscribed(id);

        assertEquals(0, broker.pub("-t", base + "/a", "-m", "hello world", "-q", "0"));
        assertEquals(0, broker.pub("-t", base + "/b", "-n", "-q", "1"));
        assertEquals(0, broker.pub("-t", base + "/x/skip", "-m", "filtered?", "-q", "1"));
        // QoS 1 at most: mosquitto_sub prints a QoS 2 message only at PUBREL, so after later QoS 0/1 ones.
        assertEquals(0, broker.pub("-t", base + "/c/d", "-m", "two\nlines \u00e9", "-q", "1"));
        assertEquals(0, broker.pub("-t", base + "/e", "-m", "last", "-q", "1"));

        Cli.Result mote = moteSub.await(20);
        int mosquittoCode = Mosquitto.waitFor(mosquittoSub, 20);
        assertEquals(mosquittoCode, mote.code(), mote.toString());
        assertEquals(new String(Files.readAllBytes(mosquittoOut), StandardCharsets.ISO_8859_1),
                new String(mote.out(), StandardCharsets.ISO_8859_1));
        assertEquals(0, broker.pub("-t", retainedTopic, "-n", "-r"));
    }

    @Test
    void aPersistentSessionPrintsQueuedQos2MessagesExactlyOnce() {
        String topic = "interop/session/" + unique("t");
        String id = unique("persistent");
        String[] session = {"-c", "-i", id, "-q", "2", "-t", topic};
        Cli.Result first = Cli.run(Cli.args("sub", broker, concat(session, "-W", "1")));
        assertEquals(27, first.code(), first.toString());
        for (int i = 1; i <= 5; i++) {
            assertEquals(0, broker.pub("-t", topic, "-m", "queued " + i, "-q", "2"));
        }
        Cli.Result second = Cli.run(Cli.args("sub", broker, concat(session, "-C", "5", "-W", "10")));
        assertEquals(0, second.code(), second.toString());
        assertEquals("queued 1\nqueued 2\nqueued 3\nqueued 4\nqueued 5\n", second.outText());
        Cli.Result third = Cli.run(Cli.args("sub", broker, concat(session, "-W", "1")));
        assertEquals(27, third.code(), third.toString());
        assertEquals("", third.outText());
    }

    @Test
    void urlOptionCarriesHostPortAndTopic() throws IOException {
        String topic = "interop/url/" + unique("t");
        Path out = tmp.resolve("url.txt");
        Process sub = broker.sub(unique("msub"), out, "-t", topic, "-C", "1", "-W", "10", "-v");
        Cli.Result r = Cli.run("pub", "-L", "mqtt://127.0.0.1:" + broker.port() + "/" + topic, "-m", "via url");
        assertEquals(0, r.code(), r.toString());
        assertEquals(0, Mosquitto.waitFor(sub, 15));
        assertEquals(topic + " via url\n", Files.readString(out));
    }

    @Test
    void aClosedStdoutEndsSubSilentlyLikeSigpipe() throws Exception {
        String topic = "interop/pipe/" + unique("t");
        String id = unique("mote-sub");
        java.io.OutputStream closedPipe = new java.io.OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.util.concurrent.CompletableFuture<Integer> code = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                Main.run(Cli.args("sub", broker, "-i", id, "-t", topic), java.io.InputStream.nullInputStream(),
                        new java.io.PrintStream(closedPipe, true), new java.io.PrintStream(err, true)));
        broker.awaitSubscribed(id);
        assertEquals(0, broker.pub("-t", topic, "-m", "nobody reads this"));
        assertEquals(ExitCodes.STDOUT_CLOSED, code.get(15, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("", err.toString());
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
