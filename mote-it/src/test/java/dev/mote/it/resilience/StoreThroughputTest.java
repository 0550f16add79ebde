package dev.mote.it.resilience;

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
import java.util.List;
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
        assumeTrue(MosquittoProcess.available(), "mosquitto is not installed (apt-get install mosquitto)");
        Path dir = MosquittoProcess.freshDir("throughput");
        try (MosquittoProcess broker = new MosquittoProcess(dir.resolve("broker"), List.of("persistence false", "max_inflight_messages 100"))) {
            // Warm-up (JIT), not reported.
            rate(broker, Qos.AT_LEAST_ONCE, 5_000, null);
            rate(broker, Qos.AT_LEAST_ONCE, 5_000, dir.resolve("warm"));
            int n1 = 20_000;
            int n2 = 10_000;
            // Best of three, alternating, so that a burst of other work on the machine counts less.
            double memory1 = 0;
            double stored1 = 0;
            double memory2 = 0;
            double stored2 = 0;
            for (int round = 0; round < 3; round++) {
                memory1 = Math.max(memory1, rate(broker, Qos.AT_LEAST_ONCE, n1, null));
                stored1 = Math.max(stored1, rate(broker, Qos.AT_LEAST_ONCE, n1, dir.resolve("store-q1")));
                memory2 = Math.max(memory2, rate(broker, Qos.EXACTLY_ONCE, n2, null));
                stored2 = Math.max(stored2, rate(broker, Qos.EXACTLY_ONCE, n2, dir.resolve("store-q2")));
            }
            long log1 = Files.size(dir.resolve("store-q1").resolve("session.log"));
            System.out.printf("[resilience] throughput to Mosquitto, 64-byte payloads, each acknowledged: QoS 1 (window 1000)"
                            + " %,.0f msg/s in memory, %,.0f msg/s with the file store (%.0f%%); QoS 2 (window 100)"
                            + " %,.0f msg/s in memory, %,.0f msg/s with the file store (%.0f%%); store log after %,d QoS 1"
                            + " messages: %,d bytes (best of 3 runs each)%n",
                    memory1, stored1, 100 * stored1 / memory1, memory2, stored2, 100 * stored2 / memory2, 3 * n1, log1);
            assertTrue(log1 < 16L * 1024 * 1024, "the log was not compacted: " + log1 + " bytes");
        }
    }

    /** Publishes {@code n} messages with Wait.NONE, waits for every acknowledgement; messages per second. */
    private static double rate(MosquittoProcess broker, Qos qos, int n, Path store) {
        MqttOptions.Builder b = MqttOptions.builder(broker.uri())
                .clientId("throughput-" + qos.value() + (store == null ? "-mem" : "-file"))
                .cleanSession(false)
                .qos2InFlightWindow(100)
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
