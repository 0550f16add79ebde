package dev.mote.it.resilience;

import dev.mote.mqtt.Message;
import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * Counts messages by the sequence number in the first 8 bytes of their payload: how many distinct
 * numbers arrived, and how many arrived again. Thread-safe (handlers of different subscriptions
 * run on threads of their own).
 */
final class SequenceCounter {
    private final int expected;
    private final BitSet seen;
    private int unique;
    private int duplicates;
    private int flaggedDup;
    private long lastArrival;

    SequenceCounter(int expected) {
        this.expected = expected;
        this.seen = new BitSet(expected);
    }

    /** A payload carrying {@code seq}, {@code size} bytes long (at least 8). */
    static byte[] payload(long seq, int size) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(8, size));
        b.putLong(seq);
        while (b.hasRemaining()) {
            b.put((byte) ('a' + (seq + b.position()) % 26));
        }
        return b.array();
    }

    static long seq(byte[] payload) {
        return ByteBuffer.wrap(payload).getLong();
    }

    void accept(Message m) {
        int s = (int) seq(m.payload());
        synchronized (this) {
            if (seen.get(s)) {
                duplicates++;
            } else {
                seen.set(s);
                unique++;
                if (unique == expected) {
                    notifyAll();
                }
            }
            if (m.duplicate()) {
                flaggedDup++;
            }
            lastArrival = System.nanoTime();
        }
    }

    synchronized int unique() {
        return unique;
    }

    synchronized int duplicates() {
        return duplicates;
    }

    /** Messages that arrived with DUP=1 (the broker resent them), whether new to us or not. */
    synchronized int flaggedDup() {
        return flaggedDup;
    }

    synchronized boolean has(int seq) {
        return seen.get(seq);
    }

    /** The sequence numbers below {@code limit} never received, at most {@code max} of them. */
    synchronized String missing(int limit, int max) {
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (int i = seen.nextClearBit(0); i < limit && n < max; i = seen.nextClearBit(i + 1)) {
            sb.append(n++ == 0 ? "" : ", ").append(i);
        }
        return sb.toString();
    }

    /** Waits until every expected number arrived, or {@code millis} pass. */
    synchronized boolean awaitAll(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (unique < expected) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    /** Waits until nothing arrived for {@code quietMillis} (late duplicates), at most {@code maxMillis}. */
    void awaitQuiet(long quietMillis, long maxMillis) throws InterruptedException {
        long deadline = System.nanoTime() + maxMillis * 1_000_000L;
        while (System.nanoTime() < deadline) {
            long since;
            synchronized (this) {
                since = System.nanoTime() - lastArrival;
            }
            if (since >= quietMillis * 1_000_000L) {
                return;
            }
            Thread.sleep(Math.max(1, quietMillis - since / 1_000_000L));
        }
    }
}
