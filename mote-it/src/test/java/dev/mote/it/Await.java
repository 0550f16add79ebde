package dev.mote.it;

import dev.mote.mqtt.Message;
import dev.mote.mqtt.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waits for conditions the scenarios cannot be told about directly. */
public final class Await {
    private Await() {
    }

    /** Polls {@code condition} until it holds; fails with {@code what} if it does not within {@code timeout}. */
    public static void until(Duration timeout, BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what.get());
            }
            pause();
        }
    }

    /**
     * Checks that {@code condition} keeps holding for the whole of {@code period}; fails as soon
     * as it does not. The one wait that is a duration by design: it observes a protocol timer.
     */
    public static void holdsFor(Duration period, BooleanSupplier condition, Supplier<String> what) {
        long end = System.nanoTime() + period.toNanos();
        while (System.nanoTime() - end < 0) {
            if (!condition.getAsBoolean()) {
                throw new AssertionError(what.get());
            }
            pause();
        }
        if (!condition.getAsBoolean()) {
            throw new AssertionError(what.get());
        }
    }

    /** Receives exactly {@code n} messages, each within {@code each}; fails naming how many came. */
    static List<Message> receive(Subscription sub, int n, Duration each) {
        List<Message> got = new ArrayList<>(n);
        while (got.size() < n) {
            Message m = sub.receive(each);
            if (m == null) {
                throw new AssertionError("expected " + n + " message(s) on " + sub + ", got " + got.size()
                        + " and then nothing for " + each.toMillis() + " ms: " + Collector.summary(got));
            }
            got.add(m);
        }
        return got;
    }

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
