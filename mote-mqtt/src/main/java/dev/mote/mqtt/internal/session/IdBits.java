package dev.mote.mqtt.internal.session;

/**
 * A set of packet identifiers (1..65535) as bits in pages of 4,096 ids, each made when first
 * needed; a flat bit set would cost 8 KiB per connection whether or not QoS 2 is ever used.
 */
final class IdBits {
    private final long[][] pages = new long[16][];

    boolean contains(int id) {
        long[] page = pages[id >>> 12];
        return page != null && (page[(id >>> 6) & 63] & (1L << (id & 63))) != 0;
    }

    void set(int id, boolean on) {
        long[] page = pages[id >>> 12];
        if (page == null) {
            if (!on) {
                return;
            }
            page = pages[id >>> 12] = new long[64];
        }
        if (on) {
            page[(id >>> 6) & 63] |= 1L << (id & 63);
        } else {
            page[(id >>> 6) & 63] &= ~(1L << (id & 63));
        }
    }

    void clear() {
        java.util.Arrays.fill(pages, null);
    }
}
