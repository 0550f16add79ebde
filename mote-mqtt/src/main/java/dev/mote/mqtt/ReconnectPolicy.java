package dev.mote.mqtt;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When and how often the client reconnects after a connection breaks. On by default.
 *
 * <p>Delays use exponential backoff with full jitter: before attempt {@code n} (from 1) the client
 * waits a random time between zero and {@code min(maxDelay, minDelay * 2^(n-1))}, so a fleet of
 * devices that lost the same broker does not come back all at once.
 *
 * @param enabled     whether to reconnect at all
 * @param minDelay    the backoff cap of the first attempt
 * @param maxDelay    the largest backoff cap
 * @param maxAttempts attempts before giving up and closing the client; 0 means no limit
 */
public record ReconnectPolicy(boolean enabled, Duration minDelay, Duration maxDelay, int maxAttempts) {

    /** Checks the components: an invalid one is an {@link IllegalArgumentException} naming it. */
    public ReconnectPolicy {
        Objects.requireNonNull(minDelay, "minDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (minDelay.isNegative() || minDelay.isZero()) {
            throw new IllegalArgumentException("reconnect minDelay must be positive, not " + minDelay);
        }
        if (maxDelay.compareTo(minDelay) < 0) {
            throw new IllegalArgumentException("reconnect maxDelay " + maxDelay + " is below minDelay " + minDelay);
        }
        if (maxAttempts < 0) {
            throw new IllegalArgumentException("reconnect maxAttempts must be 0 (no limit) or more, not " + maxAttempts);
        }
    }

    /** The default: reconnect forever, backoff from 100 ms up to 30 s. */
    public static ReconnectPolicy defaults() {
        return new ReconnectPolicy(true, Duration.ofMillis(100), Duration.ofSeconds(30), 0);
    }

    /** No reconnect: a broken connection closes the client. */
    public static ReconnectPolicy disabled() {
        return new ReconnectPolicy(false, Duration.ofMillis(100), Duration.ofSeconds(30), 0);
    }

    /** Reconnect with the given backoff bounds and no attempt limit. */
    public static ReconnectPolicy backoff(Duration minDelay, Duration maxDelay) {
        return new ReconnectPolicy(true, minDelay, maxDelay, 0);
    }

    /** The same policy with an attempt limit (0: none). */
    public ReconnectPolicy withMaxAttempts(int attempts) {
        return new ReconnectPolicy(enabled, minDelay, maxDelay, attempts);
    }

    /** The delay before attempt {@code attempt} (1-based): uniformly random in [0, cap]. */
    public Duration delayBefore(int attempt) {
        long min = minDelay.toNanos();
        long max = maxDelay.toNanos();
        int shift = Math.min(Math.max(attempt - 1, 0), 62);
        long cap = min > (max >> shift) ? max : Math.min(max, min << shift);
        return Duration.ofNanos(ThreadLocalRandom.current().nextLong(cap + 1));
    }
}
