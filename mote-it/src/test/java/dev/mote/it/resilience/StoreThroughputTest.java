package dev.mote.it.resilience;

import dev.mote.it.broker.MosquittoBroker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Wait;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the file session store costs: QoS 1 and QoS 2 publishes per second to Mosquitto, each
 * acknowledged, with the session in memory and with the store (one fsync per batch the writer
 * sends). Prints the numbers; asserts only that every message was acknowledged and that the
 * store's log stayed compact.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StoreThroughputTest {

    @Test
    @DisplayName("throughput with and without the file session store (printed)")
    void measure() throws Exception {
        assumeTrue(MosquittoBroker.isAvailable(), MosquittoBroker.MISSING);
        Path dir = Scratch.freshDir("throughput");
        try (MosquittoBroker broker = MosquittoBroker.builder("throughput").start()) {
            // Warm-up (JIT), not reported.
            rate(broker, Qos.AT_LEAST_ONCE, 5_000, null);
            rate(broker, Qos.AT_LEAST_ONCE, 5_000, dir.resolve("warm"));
            int n1 = 20_000;
            int n2 = 10_000;
            // Five rounds, each measuring both side by side; medians, since other work on the
            // machine (and on its disk) moves single runs a lot.
            int rounds = 5;
            double[] memory1 = new double[rounds];
            double[] stored1 = new double[rounds];
            double[] memory2 = new double[rounds];
            double[] stored2 = new double[rounds];
            double[] ratio1 = new double[rounds];
            double[] ratio2 = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                memory1[round] = rate(broker, Qos.AT_LEAST_ONCE, n1, null);
                stored1[round] = rate(broker, Qos.AT_LEAST_ONCE, n1, dir.resolve("store-q1"));
                memory2[round] = rate(broker, Qos.EXACTLY_ONCE, n2, null);
                stored2[round] = rate(broker, Qos.EXACTLY_ONCE, n2, dir.resolve("store-q2"));
                ratio1[round] = stored1[round] / memory1[round];
                ratio2[round] = stored2[round] / memory2[round];
            }
            long log1 = Files.size(dir.resolve("store-q1").resolve("session.log"));
            System.out.printf("[resilience] throughput to Mosquitto, 64-byte payloads, each acknowledged, median of %d rounds:"
                            + " QoS 1 (window 1000) %,.0f msg/s in memory, %,.0f msg/s with the file store (%.0f%%, rounds %s);"
                            + " QoS 2 (window 20) %,.0f msg/s in memory, %,.0f msg/s with the file store (%.0f%%, rounds %s);"
                            + " store log after %,d QoS 1 messages: %,d bytes%n",
                    rounds, median(memory1), median(stored1), 100 * median(ratio1), percents(ratio1),
                    median(memory2), median(stored2), 100 * median(ratio2), percents(ratio2), rounds * n1, log1);
            assertTrue(log1 < 16L * 1024 * 1024, "the log was not compacted: " + log1 + " bytes");
        }
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        return v[v.length / 2];
    }

    private static String percents(double[] ratios) {
        StringBuilder sb = new StringBuilder();
        for (double r : ratios) {
            sb.append(sb.length() == 0 ? "" : "/").append(Math.round(100 * r)).append('%');
        }
        return sb.toString();
    }

    /** Publishes {@code n} messages with Wait.NONE, waits for every acknowledgement; messages per second. */
    private static double rate(MosquittoBroker broker, Qos qos, int n, Path store) {
        MqttOptions.Builder b = MqttOptions.builder(broker.uri())
                .clientId("throughput-" + qos.value() + (store == null ? "-mem" : "-file"))
                .cleanSession(false)
                .ackTimeout(Duration.ofSeconds(60));
        if (store != null) {
            b.sessionStore(store);
        }
        byte[] payload = SequenceCounter.payload(0, 64);
        try (MqttClient c = MqttClient.connect(b.build())) {
            Delivery[] ds = new Delivery[n];
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                ds[i] = c.publish("throughput/" + qos.value(), payload, qos, false, Wait.NONE);
            }
            int acked = 0;
            for (Delivery d : ds) {
                d.await();
                acked++;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(n, acked);
            return n / seconds;
        }
    }
}
