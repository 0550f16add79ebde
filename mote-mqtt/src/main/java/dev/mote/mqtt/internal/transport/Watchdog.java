package dev.mote.mqtt.internal.transport;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs an action (closing a connection) at a deadline unless disarmed first. It bounds blocking
 * reads and writes that have no timeout of their own: a proxy or WebSocket server that accepts
 * TCP and never answers, a close frame stuck behind a full send buffer. One virtual thread that
 * waits on a latch; nothing is pinned.
 */
final class Watchdog implements AutoCloseable {
    private static final int ARMED = 0;
    private static final int DISARMED = 1;
    private static final int FIRED = 2;

    private final AtomicInteger state = new AtomicInteger(ARMED);
    private final CountDownLatch disarmed = new CountDownLatch(1);

    private Watchdog() {}

    /** Runs {@code onExpiry} once {@link System#nanoTime()} passes {@code deadlineNanos}, unless disarmed before. */
    static Watchdog start(long deadlineNanos, Runnable onExpiry) {
        Watchdog w = new Watchdog();
        Thread.ofVirtual().name("mote-watchdog").start(() -> {
            boolean cancelled;
            try {
                cancelled = w.disarmed.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                cancelled = false;
            }
            if (!cancelled && w.state.compareAndSet(ARMED, FIRED)) {
                onExpiry.run();
            }
        });
        return w;
    }

    /**
     * Disarms the watchdog.
     *
     * @return true if it had not fired: the guarded operation finished in time
     */
    boolean disarm() {
        boolean inTime = state.compareAndSet(ARMED, DISARMED) || state.get() == DISARMED;
        disarmed.countDown();
        return inTime;
    }

    /** True if the deadline passed and the action ran (or is running). */
    boolean fired() {
        return state.get() == FIRED;
    }

    @Override
    public void close() {
        disarm();
    }
}
