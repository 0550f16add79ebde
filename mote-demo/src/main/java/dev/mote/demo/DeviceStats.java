package dev.mote.demo;

import dev.mote.mqtt.Qos;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * What happened to one device's messages: the device records what it sent and what the broker
 * acknowledged, the consumer records what arrived. Sequence numbers are kept as bits (one bit per
 * message), so losses and duplicates are exact. The counters can be read at any time (for the
 * progress line); the rest is read once everything has stopped.
 */
public final class DeviceStats {
    private final int index;
    private final String id;
    private final Qos qos;

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final BitSet acknowledgedSeqs = new BitSet();
    private final BitSet receivedSeqs = new BitSet();
    private final LatencyHistogram latency = new LatencyHistogram();
    private long duplicates;
    private volatile long highestReceived = -1;
    private volatile Thread waiter;
    private volatile String error;

    DeviceStats(int index, String id, Qos qos) {
        this.index = index;
        this.id = id;
        this.qos = qos;
    }

    public int index() {
        return index;
    }

    public String id() {
        return id;
    }

    public Qos qos() {
        return qos;
    }

    // ---------------------------------------------------------------- device side

    void sent() {
        sent.incrementAndGet();
    }

    synchronized void acknowledged(long seq) {
        acknowledgedSeqs.set(Math.toIntExact(seq));
        acknowledged.incrementAndGet();
    }

    /** Keeps the first failure of the device (connect, publish or acknowledgement). */
    void failed(String message) {
        if (error == null) {
            error = message;
        }
    }

    // ---------------------------------------------------------------- consumer side

    synchronized void received(long seq, long latencyNanos) {
        received.incrementAndGet();
        int bit = Math.toIntExact(seq);
        if (receivedSeqs.get(bit)) {
            duplicates++;
        } else {
            receivedSeqs.set(bit);
        }
        latency.record(latencyNanos);
        if (seq > highestReceived) {
            highestReceived = seq;
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /**
     * Blocks the device until the consumer has received one of its messages numbered
     * {@code seq - lead} or later, at most {@code timeoutNanos}. Keeps the device from running
     * ahead of what the broker can deliver (Moquette accepts messages faster than it can deliver
     * them, and drops work once its queues are full).
     */
    void awaitConsumer(long seq, int lead, long timeoutNanos) {
        if (seq - highestReceived <= lead) {
            return;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        waiter = Thread.currentThread();
        try {
            long left;
            while (seq - highestReceived > lead && (left = deadline - System.nanoTime()) > 0) {
                LockSupport.parkNanos(this, left);
            }
        } finally {
            waiter = null;
        }
    }

    // ---------------------------------------------------------------- reading

    public long sentCount() {
        return sent.get();
    }

    /** Acknowledged publishes; always 0 at QoS 0, which has no acknowledgement. */
    public long acknowledgedCount() {
        return acknowledged.get();
    }

    /** Messages that arrived at the consumer, duplicates included. */
    public long receivedCount() {
        return received.get();
    }

    /** Distinct sequence numbers that arrived. */
    public synchronized long receivedUnique() {
        return receivedSeqs.cardinality();
    }

    public synchronized long duplicates() {
        return duplicates;
    }

    /**
     * Messages that never arrived. At QoS 1 and 2: acknowledged by the broker but not received
     * (the broker took responsibility for them). At QoS 0: sent but not received.
     */
    public synchronized long lost() {
        if (qos == Qos.AT_MOST_ONCE) {
            return sent.get() - receivedSeqs.cardinality();
        }
        BitSet missing = (BitSet) acknowledgedSeqs.clone();
        missing.andNot(receivedSeqs);
        return missing.cardinality();
    }

    /** A copy of the latencies recorded so far. */
    public synchronized LatencyHistogram latency() {
        LatencyHistogram copy = new LatencyHistogram();
        copy.add(latency);
        return copy;
    }

    /** The first failure, or null. */
    public String error() {
        return error;
    }
}
