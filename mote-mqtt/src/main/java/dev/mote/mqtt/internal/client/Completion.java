package dev.mote.mqtt.internal.client;

import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttInterruptedException;
import dev.mote.mqtt.MqttTimeoutException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * A one-shot outcome that threads can wait for: done, or failed with an exception. Nothing is
 * allocated for waiting unless someone actually waits, which keeps fire-and-forget publishes cheap.
 */
class Completion {
    private static final AtomicReferenceFieldUpdater<Completion, CountDownLatch> LATCH =
            AtomicReferenceFieldUpdater.newUpdater(Completion.class, CountDownLatch.class, "latch");
    private static final AtomicReferenceFieldUpdater<Completion, Object> OUTCOME =
            AtomicReferenceFieldUpdater.newUpdater(Completion.class, Object.class, "outcome");
    private static final Object SUCCESS = new Object();

    /** null while pending, then SUCCESS or the MqttException; set once. */
    private volatile Object outcome;
    private volatile CountDownLatch latch;

    /** Marks success; returns false if it was already done. */
    boolean complete() {
        return finish(null);
    }

    /** Marks failure; returns false if it was already done. */
    boolean fail(MqttException cause) {
        return finish(cause);
    }

    private boolean finish(MqttException cause) {
        if (!OUTCOME.compareAndSet(this, null, cause == null ? SUCCESS : cause)) {
            return false;
        }
        CountDownLatch l = latch;
        if (l != null) {
            l.countDown();
        }
        return true;
    }

    public boolean isDone() {
        return outcome != null;
    }

    MqttException failureCause() {
        return outcome instanceof MqttException e ? e : null;
    }

    /**
     * Waits until done or {@code nanos} pass.
     *
     * @return true if done in time
     */
    boolean awaitNanos(long nanos, String what) {
        if (outcome != null) {
            return true;
        }
        CountDownLatch l = latch;
        if (l == null) {
            LATCH.compareAndSet(this, null, new CountDownLatch(1));
            l = latch;
        }
        // Re-check after publishing the latch: a completer that missed it has set done first.
        if (outcome != null) {
            return true;
        }
        try {
            return l.await(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MqttInterruptedException("interrupted while waiting for " + what, e);
        }
    }

    /** Waits, then throws the failure or a timeout. */
    void awaitOrThrow(long nanos, String what) {
        if (!awaitNanos(nanos, what)) {
            throw new MqttTimeoutException("timed out after " + (nanos / 1_000_000) + " ms waiting for " + what);
        }
        MqttException f = failureCause();
        if (f != null) {
            throw Failures.rethrow(f);
        }
    }
}
