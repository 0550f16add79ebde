package dev.mote.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mote.mqtt.ClientMetrics;
import dev.mote.mqtt.ClientMetrics.PerQos;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MoteClientMetricsTest {

    private static ClientMetrics sample(long scale) {
        return new ClientMetrics(new PerQos(1 * scale, 2 * scale, 3 * scale), new PerQos(10, 20, 30), 5 * scale, 1,
                new PerQos(4, 5, 6), new PerQos(40, 50, 60), 11 * scale, 1000, 2000, 7, 8, 9, 10, 3, 2, 1,
                new ClientMetrics.Latency(5, Duration.ofMillis(2), Duration.ofMillis(4), Duration.ofMillis(8),
                        Duration.ofMillis(9)));
    }

    @Test
    void everyCounterAndGaugeShowsTheSnapshot() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new MoteClientMetrics(() -> sample(1), Tags.of("app", "test")).bindTo(registry);

        assertEquals(2, registry.get("mote.messages.published").tags("qos", "1", "app", "test").functionCounter().count());
        assertEquals(30, registry.get("mote.bytes.published").tag("qos", "2").functionCounter().count());
        assertEquals(4, registry.get("mote.messages.received").tag("qos", "0").functionCounter().count());
        assertEquals(60, registry.get("mote.bytes.received").tag("qos", "2").functionCounter().count());
        assertEquals(5, registry.get("mote.publishes.acknowledged").functionCounter().count());
        assertEquals(1, registry.get("mote.publishes.failed").functionCounter().count());
        assertEquals(11, registry.get("mote.messages.duplicates.dropped").functionCounter().count());
        assertEquals(1000, registry.get("mote.wire.bytes.out").functionCounter().count());
        assertEquals(2000, registry.get("mote.wire.bytes.in").functionCounter().count());
        assertEquals(3, registry.get("mote.connect.attempts").functionCounter().count());
        assertEquals(2, registry.get("mote.reconnects").functionCounter().count());
        assertEquals(1, registry.get("mote.disconnects").functionCounter().count());
        assertEquals(7, registry.get("mote.inflight").gauge().value());
        assertEquals(8, registry.get("mote.queued.offline").gauge().value());
        assertEquals(9, registry.get("mote.inbound.buffered").gauge().value());
        assertEquals(10, registry.get("mote.unacknowledged").gauge().value());
        assertEquals(5, registry.get("mote.ack.latency.count").functionCounter().count());
        assertEquals(2, registry.get("mote.ack.latency").tag("quantile", "0.5").timeGauge().value(TimeUnit.MILLISECONDS));
        assertEquals(8, registry.get("mote.ack.latency").tag("quantile", "0.99").timeGauge().value(TimeUnit.MILLISECONDS));
        assertEquals(9, registry.get("mote.ack.latency").tag("quantile", "max").timeGauge().value(TimeUnit.MILLISECONDS));
    }

    @Test
    void metersFollowTheClientAfterTheSnapshotAges() throws InterruptedException {
        AtomicReference<ClientMetrics> now = new AtomicReference<>(sample(1));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new MoteClientMetrics(now::get, Tags.empty()).bindTo(registry);
        assertEquals(3, registry.get("mote.messages.published").tag("qos", "2").functionCounter().count());
        now.set(sample(10));
        long deadline = System.nanoTime() + 5_000_000_000L;
        double seen;
        do {
            seen = registry.get("mote.messages.published").tag("qos", "2").functionCounter().count();
        } while (seen != 30 && System.nanoTime() < deadline && sleepBriefly());
        assertEquals(30, seen, "a fresh snapshot once the reused one is older than " + MoteClientMetrics.SNAPSHOT_REUSE);
    }

    private static boolean sleepBriefly() throws InterruptedException {
        Thread.sleep(20); // waits out the snapshot reuse period, a timer by design
        return true;
    }
}
