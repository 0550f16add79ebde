package dev.mote.cli;

import dev.mote.demo.LatencyHistogram;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MessageHandler;
import dev.mote.mqtt.Qos;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What happened in a benchmark, exactly: each publisher numbers its messages, remembers which
 * numbers the broker acknowledged, and each subscriber remembers which numbers of each publisher
 * it received (one bit per message), so losses and duplicates are counted, not estimated.
 *
 * <p>Payload: publisher index (4 bytes), sequence number (8), {@link System#nanoTime()} at publish
 * (8), then zeros up to the payload size. Publishers and subscribers run in this JVM, so the send
 * time gives the latency.
 */
final class BenchStats {
    /** Bytes of the payload header: publisher index, sequence number, send time. */
    static final int HEADER_BYTES = 4 + 8 + 8;

    final Qos qos;
    final String prefix;
    final Pub[] pubs;
    final Sub[] subs;

    BenchStats(int publishers, int subscribers, Qos qos, String prefix) {
        this.qos = qos;
        this.prefix = prefix;
        this.pubs = new Pub[publishers];
        for (int i = 0; i < publishers; i++) {
            pubs[i] = new Pub(i, prefix + "/" + i);
        }
        this.subs = new Sub[subscribers];
        for (int i = 0; i < subscribers; i++) {
            subs[i] = new Sub(i);
        }
    }

    /** The payload of message {@code seq} of publisher {@code index}. */
    static byte[] payload(int index, long seq, int size) {
        byte[] payload = new byte[size];
        ByteBuffer.wrap(payload).putInt(index).putLong(seq).putLong(System.nanoTime());
        return payload;
    }

    /** One publisher: what it sent and what the broker acknowledged. */
    static final class Pub {
        final int index;
        final String topic;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong acknowledged = new AtomicLong();
        private final BitSet acknowledgedSeqs = new BitSet();
        private volatile String error;

        Pub(int index, String topic) {
            this.index = index;
            this.topic = topic;
        }

        synchronized void acknowledged(long seq) {
            acknowledgedSeqs.set(Math.toIntExact(seq));
            acknowledged.incrementAndGet();
        }

        synchronized BitSet acknowledgedSeqs() {
            return (BitSet) acknowledgedSeqs.clone();
        }

        /** Keeps the first failure. */
        void failed(String message) {
            if (error == null) {
                error = message;
            }
        }

        String error() {
            return error;
        }
    }

    /** One subscriber: the message handler, and what arrived from each publisher. */
    final class Sub implements MessageHandler {
        final int index;
        private final BitSet[] seen;
        /** The highest sequence number received per publisher, for the publishers' flow control. */
        final AtomicLongArray highest;
        final AtomicLong received = new AtomicLong();
        private long duplicates;
        private long unexpected;
        private final LatencyHistogram latency = new LatencyHistogram();
        volatile long lastArrival;

        Sub(int index) {
            this.index = index;
            this.seen = new BitSet[pubs.length];
            this.highest = new AtomicLongArray(pubs.length);
            for (int p = 0; p < pubs.length; p++) {
                seen[p] = new BitSet();
                highest.set(p, -1);
            }
        }

        @Override
        public void onMessage(Message m) {
            long now = System.nanoTime();
            lastArrival = now;
            received.incrementAndGet();
            ByteBuffer b = ByteBuffer.wrap(m.payload());
            int p = b.remaining() >= HEADER_BYTES ? b.getInt() : -1;
            synchronized (this) {
                if (p < 0 || p >= pubs.length || !m.topic().equals(pubs[p].topic)) {
                    unexpected++;
                    return;
                }
                long seq = b.getLong();
                long sentAt = b.getLong();
                if (seq < 0 || seq >= Integer.MAX_VALUE) {
                    unexpected++;
                    return;
                }
                int bit = (int) seq;
                if (seen[p].get(bit)) {
                    duplicates++;
                } else {
                    seen[p].set(bit);
                }
                latency.record(now - sentAt);
                if (seq > highest.get(p)) {
                    highest.set(p, seq);
                }
            }
        }

        synchronized long unique(int publisher) {
            return seen[publisher].cardinality();
        }

        /** Messages of {@code publisher} that should have arrived here and did not. */
        synchronized long lost(int publisher) {
            Pub pub = pubs[publisher];
            if (qos == Qos.AT_MOST_ONCE) {
                return Math.max(0, pub.sent.get() - seen[publisher].cardinality());
            }
            BitSet missing = pub.acknowledgedSeqs();
            missing.andNot(seen[publisher]);
            return missing.cardinality();
        }

        synchronized long duplicates() {
            return duplicates;
        }

        synchronized long unexpected() {
            return unexpected;
        }

        synchronized void addLatencyTo(LatencyHistogram h) {
            h.add(latency);
        }
    }

    /** Whether every subscriber has every message it should get: QoS 1/2 the acknowledged ones, QoS 0 the sent ones. */
    boolean complete() {
        for (Sub s : subs) {
            for (Pub p : pubs) {
                long expected = qos == Qos.AT_MOST_ONCE ? p.sent.get() : p.acknowledged.get();
                if (s.unique(p.index) < expected) {
                    return false;
                }
            }
        }
        return true;
    }

    long sent() {
        long n = 0;
        for (Pub p : pubs) {
            n += p.sent.get();
        }
        return n;
    }

    long acknowledged() {
        long n = 0;
        for (Pub p : pubs) {
            n += p.acknowledged.get();
        }
        return n;
    }

    long received() {
        long n = 0;
        for (Sub s : subs) {
            n += s.received.get();
        }
        return n;
    }

    /** {@link System#nanoTime()} of the last arrival at any subscriber, or 0 if nothing arrived. */
    long lastArrival() {
        long last = 0;
        for (Sub s : subs) {
            if (s.received.get() == 0) {
                continue;
            }
            if (last == 0 || s.lastArrival - last > 0) {
                last = s.lastArrival;
            }
        }
        return last;
    }

    LatencyHistogram latency() {
        LatencyHistogram h = new LatencyHistogram();
        for (Sub s : subs) {
            s.addLatencyTo(h);
        }
        return h;
    }
}
