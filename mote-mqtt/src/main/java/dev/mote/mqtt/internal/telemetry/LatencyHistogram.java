package dev.mote.mqtt.internal.telemetry;

import dev.mote.mqtt.ClientMetrics;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed-bucket latency histogram that records without locks or allocation: one atomic
 * increment per value, plus a compare-and-set only when a new maximum is seen. Bucket {@code i}
 * holds values up to 2^i microseconds (1 us .. about 17 min); the last is open-ended.
 */
final class LatencyHistogram {
    static final int BUCKETS = 31;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final AtomicLong max = new AtomicLong();

    void record(long nanos) {
        if (nanos < 0) {
            nanos = 0;
        }
        counts.incrementAndGet(bucketOf(nanos));
        long m = max.get();
        while (nanos > m && !max.compareAndSet(m, nanos)) {
            m = max.get();
        }
    }

    /** The bucket of {@code nanos}: the smallest i with nanos <= 2^i us. */
    static int bucketOf(long nanos) {
        long micros = nanos / 1000 + (nanos % 1000 == 0 ? 0 : 1); // rounded up, without overflow
        if (micros <= 1) {
            return 0;
        }
        int i = 64 - Long.numberOfLeadingZeros(micros - 1);
        return Math.min(i, BUCKETS - 1);
    }

    /** The upper bound of bucket {@code i}, in nanoseconds (the last bucket has none: Long.MAX_VALUE). */
    static long upperBoundNanos(int i) {
        return i == BUCKETS - 1 ? Long.MAX_VALUE : (1L << i) * 1000L;
    }

    ClientMetrics.Latency snapshot() {
        long[] c = new long[BUCKETS];
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            c[i] = counts.get(i);
            total += c[i];
        }
        if (total == 0) {
            return ClientMetrics.Latency.NONE;
        }
        long m = max.get();
        return new ClientMetrics.Latency(total, percentile(c, total, 0.50, m), percentile(c, total, 0.90, m),
                percentile(c, total, 0.99, m), Duration.ofNanos(m));
    }

    private static Duration percentile(long[] c, long total, double q, long max) {
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += c[i];
            if (seen >= rank) {
                return Duration.ofNanos(Math.min(upperBoundNanos(i), max));
            }
        }
        return Duration.ofNanos(max);
    }
}
