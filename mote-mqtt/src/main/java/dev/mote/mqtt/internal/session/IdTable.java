package dev.mote.mqtt.internal.session;

/**
 * Values indexed by packet identifier (1..65535), stored in pages of 256 that exist only while
 * one of their ids is in use, under a directory that exists only while any page does. A flat
 * array of 65,536 references cost 256 KiB of heap per connection, idle or not; identifiers are
 * handed out in sequence, so the ids in use cluster in a few pages and an idle connection holds
 * nothing at all.
 */
final class IdTable<T> {
    private static final int PAGE_BITS = 8;
    private static final int PAGE = 1 << PAGE_BITS;
    private static final int PAGES = (65_535 >>> PAGE_BITS) + 1;

    /** Null while no page exists. */
    private Object[][] pages;
    /** Values per page. */
    private char[] used;
    private int livePages;

    @SuppressWarnings("unchecked")
    T get(int id) {
        Object[][] ps = pages;
        if (ps == null) {
            return null;
        }
        Object[] page = ps[id >>> PAGE_BITS];
        return page == null ? null : (T) page[id & (PAGE - 1)];
    }

    void put(int id, T value) {
        if (pages == null) {
            pages = new Object[PAGES][];
            used = new char[PAGES];
        }
        int p = id >>> PAGE_BITS;
        Object[] page = pages[p];
        if (page == null) {
            page = pages[p] = new Object[PAGE];
            livePages++;
        }
        if (page[id & (PAGE - 1)] == null) {
            used[p]++;
        }
        page[id & (PAGE - 1)] = value;
    }

    void remove(int id) {
        if (pages == null) {
            return;
        }
        int p = id >>> PAGE_BITS;
        Object[] page = pages[p];
        if (page != null && page[id & (PAGE - 1)] != null) {
            page[id & (PAGE - 1)] = null;
            if (--used[p] == 0) {
                pages[p] = null;
                if (--livePages == 0) {
                    clear();
                }
            }
        }
    }

    /** Removes every value. */
    void clear() {
        pages = null;
        used = null;
        livePages = 0;
    }
}
