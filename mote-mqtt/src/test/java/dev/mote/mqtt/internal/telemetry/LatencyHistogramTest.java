package dev.mote.mqtt.internal.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mote.mqtt.ClientMetrics;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void bucketsArePowersOfTwoMicroseconds() {
        assertEquals(0, LatencyHistogram.bucketOf(0));
        assertEquals(0, LatencyHistogram.bucketOf(1_000));
        assertEquals(1, LatencyHistogram.bucketOf(1_001));
        assertEquals(1, LatencyHistogram.bucketOf(2_000));
        assertEquals(2, LatencyHistogram.bucketOf(2_001));
        assertEquals(10, LatencyHistogram.bucketOf(1_024_000));
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucketOf(Long.MAX_VALUE));
        assertEquals(1_024_000, LatencyHistogram.upperBoundNanos(10));
    }

    @Test
    void emptyIsNone() {
        assertEquals(ClientMetrics.Latency.NONE, new LatencyHistogram().snapshot());
    }

    @Test
    void percentilesAreTheUpperBoundOfTheirBucketCappedAtTheMax() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < 90; i++) {
            h.record(900_000); // 0.9 ms: bucket 10 (up to 1.024 ms)
        }
        for (int i = 0; i < 9; i++) {
            h.record(3_000_000); // 3 ms: bucket 12 (up to 4.096 ms)
        }
        h.record(50_000_000); // 50 ms: bucket 16 (up to 65.536 ms), the max
        ClientMetrics.Latency l = h.snapshot();
        assertEquals(100, l.count());
        assertEquals(Duration.ofNanos(1_024_000), l.p50());
        assertEquals(Duration.ofNanos(1_024_000), l.p90());
        assertEquals(Duration.ofNanos(4_096_000), l.p99());
        assertEquals(Duration.ofMillis(50), l.max());
    }

    @Test
    void aPercentileNeverExceedsTheMax() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(1_500_000);
        ClientMetrics.Latency l = h.snapshot();
        assertEquals(Duration.ofNanos(1_500_000), l.p50(), "bucket bound 2.048 ms, capped at the 1.5 ms max");
        assertEquals(l.max(), l.p99());
    }

    @Test
    void negativeTimesCountAsZero() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(-5);
        assertEquals(1, h.snapshot().count());
        assertEquals(Duration.ZERO, h.snapshot().max());
    }
}
