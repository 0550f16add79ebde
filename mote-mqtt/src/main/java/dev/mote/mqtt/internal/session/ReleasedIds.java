package dev.mote.mqtt.internal.session;

/**
 * Inbound QoS 2 messages this client released (PUBREL answered with PUBCOMP) while it cannot yet
 * be sure the broker has that PUBCOMP: their packet id, a hash of their topic and payload, and the
 * send number of the PUBCOMP. An entry goes once the broker answers a packet sent after that
 * PUBCOMP, since a broker reads a connection in order.
 *
 * <p>Why: Mosquitto 2.0 (at least up to 2.0.11), when a client reconnects twice before it gets to
 * resend a PUBREL, resends the released message as a PUBLISH with DUP=1 instead, which the
 * protocol forbids and which a receiver would deliver twice. A DUP=1 PUBLISH whose id and content
 * match an entry here is that resend.
 *
 * <p>Entries are kept in send order in a ring that starts empty and grows to at most
 * {@link #CAPACITY}; when full the oldest is dropped (it loses only this protection).
 */
final class ReleasedIds {
    static final int CAPACITY = 4_096;

    private int[] ids;
    private long[] hashes;
    private long[] seqs;
    private int head;
    private int size;

    /** Records the PUBCOMP of {@code id}, sent as packet number {@code seq}. */
    void add(int id, long hash, long seq) {
        if (ids == null || size == ids.length) {
            if (ids != null && ids.length == CAPACITY) {
                head = (head + 1) % ids.length; // full: forget the oldest
                size--;
            } else {
                grow();
            }
        }
        int at = (head + size) % ids.length;
        ids[at] = id;
        hashes[at] = hash;
        seqs[at] = seq;
        size++;
    }

    /** The broker has read every packet up to number {@code seq}: forgets the PUBCOMPs among them. */
    void confirmThrough(long seq) {
        while (size > 0 && seqs[head] <= seq) {
            head = (head + 1) % ids.length;
            size--;
        }
        if (size == 0) {
            head = 0;
        }
    }

    /** Its PUBCOMP was sent again as packet number {@code seq}: if {@code id} is here, it is recorded again with it. */
    void addAgain(int id, long seq) {
        for (int i = size - 1; i >= 0; i--) { // newest first
            int at = (head + i) % ids.length;
            if (ids[at] == id) {
                add(id, hashes[at], seq);
                return;
            }
        }
    }

    /** Whether {@code id} was released with this content and the broker may not know it yet. */
    boolean contains(int id, long hash) {
        for (int i = 0; i < size; i++) {
            int at = (head + i) % ids.length;
            if (ids[at] == id && hashes[at] == hash) {
                return true;
            }
        }
        return false;
    }

    int size() {
        return size;
    }

    /** Forgets everything (the broker has no session, so it resends nothing). */
    void clear() {
        head = 0;
        size = 0;
    }

    private void grow() {
        int n = ids == null ? 16 : Math.min(CAPACITY, ids.length * 2);
        int[] i2 = new int[n];
        long[] h2 = new long[n];
        long[] s2 = new long[n];
        for (int k = 0; k < size; k++) {
            int at = (head + k) % ids.length;
            i2[k] = ids[at];
            h2[k] = hashes[at];
            s2[k] = seqs[at];
        }
        ids = i2;
        hashes = h2;
        seqs = s2;
        head = 0;
    }
}
