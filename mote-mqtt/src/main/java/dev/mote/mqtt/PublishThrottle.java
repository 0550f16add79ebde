package dev.mote.mqtt;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Paces PUBLISH packets to a rate: a token bucket that makes the sender <em>wait</em> for a token,
 * so nothing is ever dropped. Given to {@link MqttOptions.Builder#publishThrottle(PublishThrottle)}
 * (or made by a {@link CloudProfile} with a publish-rate limit), it paces the client's writer:
 * every PUBLISH the client writes, including those queued with {@link Wait#NONE}, those buffered
 * while offline and resends after a reconnect, takes a token first. Publishing calls themselves
 * do not wait for tokens; the queue in front of the writer is bounded by the in-flight window and
 * {@link MqttOptions#maxQueuedQos0()}, so a publisher far ahead of the rate waits there.
 *
 * <p>In any interval of {@code t} seconds at most {@code burst + rate × t} publishes go out.
 *
 * <p>The rate can be tightened at run time, by the application or by a server message it routes
 * here ({@link #tighten(double)}); it then relaxes linearly back to the normal rate over the relax
 * period. A throttle is stateful: give each client its own.
 */
public final class PublishThrottle {
    private final double normalRate;
    private final int burst;
    private final long relaxNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private double tokens;
    private long refilledAt;
    /** The rate at the last tightening and when it happened; the rate climbs from there. */
    private double tightRate;
    private long tightenedAt;
    private boolean tight;

    private PublishThrottle(double ratePerSecond, int burst, Duration relaxPeriod) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("a publish rate must be positive and finite, not " + ratePerSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("a throttle's burst must be at least 1, not " + burst);
        }
        Objects.requireNonNull(relaxPeriod, "relaxPeriod");
        if (relaxPeriod.isNegative() || relaxPeriod.isZero()) {
            throw new IllegalArgumentException("the relax period must be positive, not " + relaxPeriod);
        }
        this.normalRate = ratePerSecond;
        this.burst = burst;
        this.relaxNanos = relaxPeriod.toNanos();
        this.tokens = burst;
        this.refilledAt = System.nanoTime();
    }

    /**
     * A throttle of {@code ratePerSecond} publishes per second with a burst of one tenth of a
     * second's worth (at least 1), relaxing over 60 s after a tightening.
     */
    public static PublishThrottle perSecond(double ratePerSecond) {
        return new PublishThrottle(ratePerSecond, (int) Math.max(1, Math.floor(ratePerSecond / 10)), Duration.ofSeconds(60));
    }

    /**
     * A throttle with every parameter given.
     *
     * @param ratePerSecond the normal rate
     * @param burst         how many publishes may go out back to back after a quiet spell
     * @param relaxPeriod   how long a tightened rate takes to climb back to the normal rate
     */
    public static PublishThrottle of(double ratePerSecond, int burst, Duration relaxPeriod) {
        return new PublishThrottle(ratePerSecond, burst, relaxPeriod);
    }

    /** A new throttle with the same parameters and a full bucket, e.g. for another client. */
    public PublishThrottle copy() {
        return new PublishThrottle(normalRate, burst, Duration.ofNanos(relaxNanos));
    }

    /** The normal rate, publishes per second. */
    public double normalRate() {
        return normalRate;
    }

    /** The burst, in publishes. */
    public int burst() {
        return burst;
    }

    /** The relax period after a tightening. */
    public Duration relaxPeriod() {
        return Duration.ofNanos(relaxNanos);
    }

    /** The rate now: the normal rate, or a tightened one on its way back up. */
    public double currentRate() {
        lock.lock();
        try {
            return rateAt(System.nanoTime());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lowers the rate to {@code ratePerSecond} now; it then climbs linearly back to the normal
     * rate over the relax period. A tightening looser than the current rate is ignored, so a
     * stale server hint cannot loosen a fresh one.
     *
     * @throws IllegalArgumentException if the rate is not positive
     */
    public void tighten(double ratePerSecond) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("a tightened publish rate must be positive and finite, not " + ratePerSecond);
        }
        lock.lock();
        try {
            long now = System.nanoTime();
            refill(now);
            if (ratePerSecond >= rateAt(now)) {
                return;
            }
            tight = true;
            tightRate = ratePerSecond;
            tightenedAt = now;
            tokens = Math.min(tokens, 1);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Goes back to the normal rate at once (e.g. when the server says the pressure is off). */
    public void relax() {
        lock.lock();
        try {
            refill(System.nanoTime());
            tight = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes a token, waiting as long as needed for one. Called by the client's writer before
     * every PUBLISH; applications pacing their own calls may call it too.
     *
     * @throws InterruptedException if interrupted while waiting (the token is then not taken)
     */
    public void acquire() throws InterruptedException {
        tryAcquire(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
    }

    /**
     * Takes a token, waiting at most {@code timeout} for one.
     *
     * @return true if taken, false if the time ran out first
     * @throws InterruptedException if interrupted while waiting (the token is then not taken)
     */
    public boolean tryAcquire(long timeout, TimeUnit unit) throws InterruptedException {
        long start = System.nanoTime();
        long limit = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            while (true) {
                long now = System.nanoTime();
                refill(now);
                if (tokens >= 1) {
                    tokens -= 1;
                    return true;
                }
                long left = limit - (now - start);
                if (left <= 0) {
                    return false;
                }
                double rate = rateAt(now);
                long waitNanos = (long) Math.ceil((1 - tokens) / rate * 1e9);
                // Re-check at least every 50 ms while relaxing, so a rising rate shortens the wait.
                if (tight) {
                    waitNanos = Math.min(waitNanos, TimeUnit.MILLISECONDS.toNanos(50));
                }
                changed.awaitNanos(Math.max(1, Math.min(waitNanos, left)));
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes a token if one is there now.
     *
     * @return true if taken
     */
    public boolean tryAcquire() {
        lock.lock();
        try {
            refill(System.nanoTime());
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void refill(long now) {
        long elapsed = now - refilledAt;
        if (elapsed > 0) {
            // The rate at the start of the step: while relaxing the rate only rises, so the bucket
            // never runs ahead of the limit.
            double rate = rateAt(refilledAt);
            tokens = Math.min(burst, tokens + rate * elapsed / 1e9);
            refilledAt = now;
        }
    }

    private double rateAt(long now) {
        if (!tight) {
            return normalRate;
        }
        long since = now - tightenedAt;
        if (since >= relaxNanos) {
            tight = false;
            return normalRate;
        }
        return tightRate + (normalRate - tightRate) * ((double) since / relaxNanos);
    }

    @Override
    public String toString() {
        return "PublishThrottle[" + normalRate + "/s, burst " + burst + ", relax " + relaxPeriod().toSeconds() + " s"
                + (tight ? ", tightened" : "") + "]";
    }
}
