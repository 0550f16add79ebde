package dev.mote.demo;

/**
 * Latencies in nanoseconds, counted in log-linear buckets: 32 buckets per power of two, so a
 * percentile is within about 3% of the true value while memory stays fixed (2,048 counters)
 * however many values are recorded. The maximum is exact. Not thread-safe.
 */
public final class LatencyHistogram {
    private static final int SUB_BITS = 5;
    private static final int SUB = 1 << SUB_BITS;

    private final long[] counts = new long[64 * SUB];
    private long total;
    private long max;

    /** Records one latency; a negative value counts as 0. */
    public void record(long nanos) {
        long v = Math.max(0, nanos);
        counts[index(v)]++;
        total++;
        max = Math.max(max, v);
    }

    /** Adds everything {@code other} recorded. */
    public void add(LatencyHistogram other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        max = Math.max(max, other.max);
    }

    /** How many values were recorded. */
    public long count() {
        return total;
    }

    /** The largest value recorded, exactly; 0 if none. */
    public long max() {
        return max;
    }

    /**
     * The value below or at which {@code fraction} (0 to 1) of the recorded values lie, as the
     * upper end of its bucket (never above the maximum); 0 if nothing was recorded.
     */
    public long percentile(double fraction) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(fraction * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(max, upperBound(i));
            }
        }
        return max;
    }

    /** Values below 32 get a bucket each; above, the top 6 significant bits pick the bucket. */
    static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int shift = 63 - Long.numberOfLeadingZeros(v) - SUB_BITS;
        return ((shift + 1) << SUB_BITS) + (int) ((v >>> shift) - SUB);
    }

    /** The largest value that falls into bucket {@code i}. */
    static long upperBound(int i) {
        if (i < SUB) {
            return i;
        }
        int shift = (i >>> SUB_BITS) - 1;
        long top = SUB + (i & (SUB - 1));
        return ((top + 1) << shift) - 1;
    }
}
