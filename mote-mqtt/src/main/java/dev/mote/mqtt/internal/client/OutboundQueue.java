package dev.mote.mqtt.internal.client;

import dev.mote.mqtt.internal.codec.Packet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Packets waiting for the writer, with the tracker to tell when each is written. Adding never
 * blocks, so it is safe under the session lock; its size is bounded by admission instead (the
 * in-flight window, the QoS 0 queue limit, and the broker's own window for acknowledgements).
 */
final class OutboundQueue {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private Packet[] packets = new Packet[64];
    private Object[] trackers = new Object[64];
    private int head;
    private int size;
    private boolean closed;

    /** Queues a packet; returns false if the queue was closed (the packet is then not sent). */
    boolean add(Packet packet, Object tracker) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            if (size == packets.length) {
                grow();
            }
            int tail = (head + size) & (packets.length - 1);
            packets[tail] = packet;
            trackers[tail] = tracker;
            size++;
            if (size == 1) {
                notEmpty.signal();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves up to {@code out.length} queued packets into the arrays, waiting until there is at
     * least one.
     *
     * @return how many were moved, or -1 once closed and empty
     */
    int drainTo(Packet[] outPackets, Object[] outTrackers) throws InterruptedException {
        lock.lock();
        try {
            while (size == 0) {
                if (closed) {
                    return -1;
                }
                notEmpty.await();
            }
            int n = Math.min(size, outPackets.length);
            int mask = packets.length - 1;
            for (int i = 0; i < n; i++) {
                int at = (head + i) & mask;
                outPackets[i] = packets[at];
                outTrackers[i] = trackers[at];
                packets[at] = null;
                trackers[at] = null;
            }
            head = (head + n) & mask;
            size -= n;
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Stops accepting packets; the writer still drains what is queued. */
    void close() {
        lock.lock();
        try {
            closed = true;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Closes and hands back the trackers of packets never written. */
    void discard(java.util.function.Consumer<Object> unsent) {
        lock.lock();
        try {
            closed = true;
            int mask = packets.length - 1;
            for (int i = 0; i < size; i++) {
                int at = (head + i) & mask;
                if (trackers[at] != null) {
                    unsent.accept(trackers[at]);
                }
                packets[at] = null;
                trackers[at] = null;
            }
            size = 0;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    private void grow() {
        int n = packets.length;
        Packet[] p = new Packet[n * 2];
        Object[] t = new Object[n * 2];
        for (int i = 0; i < n; i++) {
            p[i] = packets[(head + i) & (n - 1)];
            t[i] = trackers[(head + i) & (n - 1)];
        }
        packets = p;
        trackers = t;
        head = 0;
    }
}
