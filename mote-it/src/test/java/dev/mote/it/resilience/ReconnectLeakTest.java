package dev.mote.it.resilience;

import dev.mote.it.broker.MosquittoBroker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.mqtt.ConnectionEvent;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.internal.client.ClientThreads;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 200 cut-and-reconnect cycles must leave nothing behind: the client's threads come back to the
 * same set, open file descriptors to the same count, and the heap after GC stays where it was.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReconnectLeakTest {
    private static final int CYCLES = 200;
    private static final int WARM_UP = 20;

    @Test
    @DisplayName("200 cut/reconnect cycles: no thread, file descriptor or heap growth")
    void noGrowthOverManyReconnects() throws Exception {
        assumeTrue(MosquittoBroker.isAvailable(), MosquittoBroker.MISSING);
        try (MosquittoBroker broker = MosquittoBroker.builder("leak").start();
                ChaosProxy proxy = new ChaosProxy(broker.host(), broker.port());
                MqttClient client = MqttClient.connect(MqttOptions.builder(proxy.uri())
                        .clientId("leak")
                        .cleanSession(false)
                        .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(1), Duration.ofMillis(5)))
                        .closeTimeout(Duration.ofMillis(500))
                        .build());
                Subscription echo = client.subscribe("leak/echo", Qos.AT_LEAST_ONCE)) {
            client.subscribe("leak/handled", Qos.AT_LEAST_ONCE, m -> { });
            // Events are read as they come (the client keeps up to 1,024 unread ones, which would look like growth).
            assertInstanceOf(ConnectionEvent.Connected.class, client.nextConnectionEvent(Duration.ofSeconds(5)));
            TreeMap<String, Integer> baseThreads = null;
            long baseFds = 0;
            long baseHeap = 0;
            long midHeap = 0;
            for (int cycle = 1; cycle <= CYCLES; cycle++) {
                proxy.cut();
                ConnectionEvent e;
                do {
                    e = client.nextConnectionEvent(Duration.ofSeconds(10));
                    assertNotNull(e, "no reconnect within 10 s in cycle " + cycle);
                } while (!(e instanceof ConnectionEvent.Connected));
                // The link works: a message goes out and comes back through the broker.
                client.publish("leak/echo", "cycle " + cycle, Qos.AT_LEAST_ONCE);
                client.publish("leak/handled", "cycle " + cycle, Qos.AT_LEAST_ONCE);
                Message m;
                do {
                    m = echo.receive(Duration.ofSeconds(10));
                    assertNotNull(m, "the echo of cycle " + cycle + " did not come back");
                } while (!m.payloadAsString().equals("cycle " + cycle)); // a resend of an earlier one may come first
                if (cycle == WARM_UP) {
                    baseThreads = settledThreads(null);
                    baseFds = settledFds(Long.MAX_VALUE);
                    baseHeap = heapAfterGc();
                } else if (cycle == (WARM_UP + CYCLES) / 2) {
                    midHeap = heapAfterGc();
                }
            }
            TreeMap<String, Integer> threads = settledThreads(baseThreads);
            long fds = settledFds(baseFds);
            long heap = heapAfterGc();
            System.out.printf("[resilience] %d cut/reconnect cycles (%d connections through the proxy): client threads %s -> %s,"
                            + " open file descriptors %d -> %d, heap after GC %.1f -> %.1f -> %.1f MiB%n",
                    CYCLES, proxy.connectionsAccepted(), baseThreads, threads, baseFds, fds,
                    baseHeap / 1048576.0, midHeap / 1048576.0, heap / 1048576.0);
            assertEquals(baseThreads, threads, "the client's threads after " + CYCLES + " reconnects");
            assertTrue(fds <= baseFds + 2, "file descriptors grew from " + baseFds + " to " + fds);
            assertTrue(heap - baseHeap < 8L * 1024 * 1024, "heap after GC grew from " + baseHeap + " to " + heap + " bytes");
        }
    }

    /** The client threads by name (ids stripped), once they match {@code expected} or 5 s passed. */
    private static TreeMap<String, Integer> settledThreads(TreeMap<String, Integer> expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            TreeMap<String, Integer> now = new TreeMap<>();
            for (Thread t : ClientThreads.liveThreads()) {
                now.merge(t.getName().replaceAll("-leak.*$", ""), 1, Integer::sum);
            }
            if ((expected == null ? !now.containsKey("mote-reconnect") : now.equals(expected)) || System.nanoTime() > deadline) {
                return now;
            }
            Thread.sleep(10);
        }
    }

    /** Open file descriptors of this process, once at most {@code atMost} or 5 s passed. */
    private static long settledFds(long atMost) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long n;
        do {
            Thread.sleep(50);
            try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
                n = s.count();
            }
        } while (n > atMost && System.nanoTime() < deadline);
        return n;
    }

    private static long heapAfterGc() throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return best;
    }
}
