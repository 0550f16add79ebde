package dev.mote.it.resilience;

import dev.mote.it.broker.MosquittoBroker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The file session store across a process that dies: a child JVM publishes with a store and is
 * killed with SIGKILL mid-stream (its log may end in a torn record); a second child on the same
 * store finishes the session. A subscriber in this JVM checks that every message the first child's
 * {@code publish()} had returned for arrives (at QoS 2 exactly once).
 *
 * <p>The publisher goes through a {@link ChaosProxy} that throttles it, so hundreds of messages are
 * accepted but unacknowledged when the kill comes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JvmRestartTest {
    private static final int KILL_AFTER = 3_000;

    @Test
    @DisplayName("QoS 1: a publisher killed with SIGKILL loses nothing it accepted; the next process on its store sends the rest")
    void qos1() throws Exception {
        run(Qos.AT_LEAST_ONCE);
    }

    @Test
    @DisplayName("QoS 2: a publisher killed with SIGKILL loses nothing it accepted and nothing arrives twice")
    void qos2() throws Exception {
        run(Qos.EXACTLY_ONCE);
    }

    private void run(Qos qos) throws Exception {
        assumeTrue(MosquittoBroker.isAvailable(), MosquittoBroker.MISSING);
        Path dir = Scratch.freshDir("jvm-restart-q" + qos.value());
        Path store = dir.resolve("store");
        String topic = "restart/q" + qos.value();
        int total = 100_000; // more than the first child gets to publish before it is killed
        try (MosquittoBroker broker = MosquittoBroker.builder("jvm-restart-q" + qos.value()).start();
                ChaosProxy proxy = new ChaosProxy(broker.host(), broker.port())) {
            proxy.throttle(64 * 1024);
            SequenceCounter counter = new SequenceCounter(total);
            MqttClient sub = MqttClient.connect(MqttOptions.builder(broker.uri())
                    .clientId("restart-sub-q" + qos.value())
                    .cleanSession(false)
                    .defaultHandler(counter::accept)
                    .build());
            sub.subscribe(topic, qos, counter::accept);

            // First child: publish until killed.
            Process first = child(dir, "publish", proxy.uri(), store, qos, topic, "0", String.valueOf(total));
            AtomicLong accepted = new AtomicLong(-1);
            List<String> firstOut = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(first.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("accepted ")) {
                        long seq = Long.parseLong(line.substring(9));
                        accepted.set(seq);
                        if (seq + 1 >= KILL_AFTER) {
                            first.destroyForcibly(); // SIGKILL
                            break;
                        }
                    } else {
                        firstOut.add(line);
                    }
                }
            }
            assertTrue(first.waitFor(10, TimeUnit.SECONDS));
            int acceptedCount = (int) accepted.get() + 1;
            int receivedAtKill = counter.unique();
            long logBytes = Files.size(store.resolve("session.log"));
            assertTrue(acceptedCount >= KILL_AFTER, "the first child accepted only " + acceptedCount + ": " + firstOut
                    + "\n" + Files.readString(dir.resolve("child-publish.err")));

            // Second child: same store, finishes what the first left.
            Process second = child(dir, "finish", proxy.uri(), store, qos, topic);
            proxy.throttle(0);
            List<String> secondOut = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(second.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    secondOut.add(line);
                }
            }
            assertTrue(second.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, second.exitValue(), "second child: " + secondOut + "\n" + Files.readString(dir.resolve("child-finish.err")));
            int recovered = Integer.parseInt(secondOut.get(0).substring("recovered ".length()));

            // Everything accepted must arrive; the first child may have accepted a few more than it printed.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (missingBelow(counter, acceptedCount) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            counter.awaitQuiet(500, 5_000);
            int missing = missingBelow(counter, acceptedCount);
            String stderr = Files.readString(dir.resolve("child-finish.err"));
            System.out.printf("[resilience] JVM restart, QoS %d: first process accepted %,d (killed with SIGKILL, %,d received by then,"
                            + " store log %,d bytes), second process recovered %,d and %s; subscriber: received unique %,d, lost %d,"
                            + " duplicates delivered %d%s%n",
                    qos.value(), acceptedCount, receivedAtKill, logBytes, recovered, secondOut.get(secondOut.size() - 2),
                    counter.unique(), missing, counter.duplicates(),
                    stderr.contains("cut ") ? " (the killed process left a torn record, cut on open)" : "");
            sub.close();
            assertTrue(recovered > 0, "the kill came when nothing was in flight; the test proves nothing: " + secondOut);
            assertEquals("acknowledged " + recovered, secondOut.get(1), String.join("\n", secondOut));
            assertEquals(0, missing, "lost: " + counter.missing(acceptedCount, 20));
            if (qos == Qos.EXACTLY_ONCE) {
                assertEquals(0, counter.duplicates(), "QoS 2 messages delivered twice");
            }
        }
    }

    private static int missingBelow(SequenceCounter counter, int limit) {
        int n = 0;
        for (int i = 0; i < limit; i++) {
            if (!counter.has(i)) {
                n++;
            }
        }
        return n;
    }

    /** Starts {@link StoreChild} in a new JVM with this test's class path; stderr goes to a file. */
    private static Process child(Path dir, String mode, String uri, Path store, Qos qos, String topic, String... more) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"),
                StoreChild.class.getName(), mode, uri, store.toString(), String.valueOf(qos.value()), topic));
        cmd.addAll(List.of(more));
        return new ProcessBuilder(cmd)
                .redirectError(dir.resolve("child-" + mode + ".err").toFile())
                .start();
    }
}
