package dev.mote.mqtt.internal.client;

import dev.mote.mqtt.ConnectionEvent;
import dev.mote.mqtt.MqttInterruptedException;
import java.util.ArrayDeque;
import java.util.function.Consumer;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The client's recent connection events, read in order by two consumers: the application
 * (through {@code nextConnectionEvent}) and the optional listener thread. Bounded: beyond
 * {@link #CAPACITY} unread events the oldest are forgotten, so a client nobody watches does not
 * grow. Appending never blocks.
 */
final class EventLog {
    static final int CAPACITY = 1024;
    private static final System.Logger LOG = System.getLogger("dev.mote.mqtt");

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private final ArrayDeque<ConnectionEvent> events = new ArrayDeque<>();
    /** Sequence number of the first event in {@link #events}. */
    private long first;
    private long applicationCursor;
    private long listenerCursor;
    private boolean closed;

    void append(ConnectionEvent e) {
        lock.lock();
        try {
            if (events.size() == CAPACITY) {
                events.pollFirst();
                first++;
            }
            events.addLast(e);
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** No more events will come; readers drain what is left, then get null. */
    void close() {
        lock.lock();
        try {
            closed = true;
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The application's next unread event, waiting at most {@code nanos}; null if none. */
    ConnectionEvent nextForApplication(long nanos) {
        lock.lock();
        try {
            applicationCursor = Math.max(applicationCursor, first);
            while (applicationCursor >= first + events.size()) {
                if (nanos <= 0 || closed) {
                    return null;
                }
                nanos = appended.awaitNanos(nanos);
                applicationCursor = Math.max(applicationCursor, first);
            }
            return get(applicationCursor++);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new MqttInterruptedException("interrupted while waiting for a connection event", ie);
        } finally {
            lock.unlock();
        }
    }

    private ConnectionEvent get(long seq) {
        int i = (int) (seq - first);
        int n = 0;
        for (ConnectionEvent e : events) {
            if (n++ == i) {
                return e;
            }
        }
        throw new IllegalStateException("event " + seq + " not held");
    }

    /** Body of the listener's thread: hands every event to {@code listener} until closed and drained. */
    void runListener(Consumer<ConnectionEvent> listener) {
        while (true) {
            ConnectionEvent e;
            lock.lock();
            try {
                listenerCursor = Math.max(listenerCursor, first);
                while (listenerCursor >= first + events.size()) {
                    if (closed) {
                        return;
                    }
                    appended.awaitUninterruptibly();
                    listenerCursor = Math.max(listenerCursor, first);
                }
                e = get(listenerCursor++);
            } finally {
                lock.unlock();
            }
            try {
                listener.accept(e);
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "connection listener threw on " + e.getClass().getSimpleName() + "; continuing", ex);
            }
        }
    }
}
