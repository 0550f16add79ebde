package dev.mote.mqtt.internal.client;

import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttInterruptedException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded buffer between the reader and one consumer (a handler thread or an application
 * thread calling receive). A full buffer makes the reader wait ({@link #awaitRoom}), which stops
 * reading from the socket: TCP back-pressure instead of heap growth. After {@link #close()} the consumer still gets
 * what was buffered, then null.
 */
final class MessageQueue {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<Message> messages = new ArrayDeque<>();
    private final int capacity;
    private boolean closed;

    MessageQueue(int capacity) {
        this.capacity = capacity;
    }

    /** {@link #offer} results. */
    static final int FULL = 0;
    static final int ADDED = 1;
    static final int CLOSED = 2;

    /**
     * Adds a message if there is room, without waiting.
     *
     * @return {@link #FULL}, {@link #ADDED}, or {@link #CLOSED} if it was dropped because the
     *     queue is closed (nobody will read it)
     */
    int offer(Message m) {
        lock.lock();
        try {
            if (closed) {
                return CLOSED;
            }
            if (messages.size() >= capacity) {
                return FULL;
            }
            messages.addLast(m);
            notEmpty.signal();
            return ADDED;
        } finally {
            lock.unlock();
        }
    }

    /** Waits at most {@code nanos} for room (or for the queue to close), without adding anything. */
    void awaitRoom(long nanos) throws InterruptedException {
        lock.lock();
        try {
            while (messages.size() >= capacity && !closed && nanos > 0) {
                nanos = notFull.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether a put would wait now. */
    boolean isFull() {
        lock.lock();
        try {
            return messages.size() >= capacity && !closed;
        } finally {
            lock.unlock();
        }
    }

    /** The next message, waiting at most {@code nanos} (negative: forever); null on timeout or once closed and empty. */
    Message take(long nanos) {
        boolean forever = nanos < 0;
        lock.lock();
        try {
            while (messages.isEmpty()) {
                if (closed) {
                    return null;
                }
                if (forever) {
                    notEmpty.await();
                } else {
                    if (nanos <= 0) {
                        return null;
                    }
                    nanos = notEmpty.awaitNanos(nanos);
                }
            }
            Message m = messages.pollFirst();
            notFull.signal();
            return m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MqttInterruptedException("interrupted while waiting for a message", e);
        } finally {
            lock.unlock();
        }
    }

    /** The next message, or null, without waiting. */
    Message poll() {
        lock.lock();
        try {
            Message m = messages.pollFirst();
            if (m != null) {
                notFull.signal();
            }
            return m;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the stream: no more puts; takers drain what is left, then get null. */
    void close() {
        lock.lock();
        try {
            closed = true;
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The messages still buffered, oldest first, left in place. */
    java.util.List<Message> snapshot() {
        lock.lock();
        try {
            return new java.util.ArrayList<>(messages);
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return messages.size();
        } finally {
            lock.unlock();
        }
    }

}
