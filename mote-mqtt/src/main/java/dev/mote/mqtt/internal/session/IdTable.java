package dev.mote.mqtt.internal.session;

/**
 * Values indexed by packet identifier (1..65535), stored in pages of 256 that exist only while
 * one of their ids is in use. A flat array of 65,536 references cost 256 KiB of heap per
 * connection, idle or not; identifiers are handed out in sequence, so the ids in use cluster in
 * a few pages and an idle connection holds none.
 */
final class IdTable<T> {
    private static final int PAGE_BITS = 8;
    private static final int PAGE = 1 << PAGE_BITS;

    private final Object[][] pages = new Object[(65_535 >>> PAGE_BITS) + 1][];
    private final char[] used = new char[pages.length];

    @SuppressWarnings("unchecked")
    T get(int id) {
        Object[] page = pages[id >>> PAGE_BITS];
        return page == null ? null : (T) page[id & (PAGE - 1)];
    }

    void put(int id, T value) {
        int p = id >>> PAGE_BITS;
        Object[] page = pages[p];
        if (page == null) {
            page = pages[p] = new Object[PAGE];
        }
        if (page[id & (PAGE - 1)] == null) {
            used[p]++;
        }
        page[id & (PAGE - 1)] = value;
    }

    void remove(int id) {
        int p = id >>> PAGE_BITS;
        Object[] page = pages[p];
        if (page != null && page[id & (PAGE - 1)] != null) {
            page[id & (PAGE - 1)] = null;
            if (--used[p] == 0) {
                pages[p] = null;
            }
        }
    }

    /** Removes every value. */
    void clear() {
        java.util.Arrays.fill(pages, null);
        java.util.Arrays.fill(used, (char) 0);
    }
}
