package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The paged packet-id table and bit set behave like a flat array over the whole id range. */
class IdTableTest {

    @Test
    void holdsEveryIdAcrossPagesAndForgetsRemovedOnes() {
        IdTable<Integer> t = new IdTable<>();
        for (int id = 1; id <= 65_535; id++) {
            t.put(id, id * 3);
        }
        for (int id = 1; id <= 65_535; id++) {
            assertEquals(id * 3, t.get(id), "id " + id);
        }
        for (int id = 1; id <= 65_535; id += 2) {
            t.remove(id);
        }
        for (int id = 1; id <= 65_535; id++) {
            if (id % 2 == 1) {
                assertNull(t.get(id), "removed id " + id);
            } else {
                assertEquals(id * 3, t.get(id), "kept id " + id);
            }
        }
    }

    @Test
    void aPageEmptiedAndRefilledStartsClean() {
        IdTable<String> t = new IdTable<>();
        t.put(255, "a");
        t.put(256, "b");
        t.put(256, "b2"); // replacing does not count twice
        t.remove(256);
        assertNull(t.get(256));
        assertEquals("a", t.get(255));
        t.remove(255);
        t.remove(255); // removing an absent id is harmless
        assertNull(t.get(255));
        t.put(300, "c");
        assertEquals("c", t.get(300));
        assertNull(t.get(301));
        assertNull(t.get(0));
        assertNull(t.get(65_535));
    }

    @Test
    void clearForgetsEveryPage() {
        IdTable<String> t = new IdTable<>();
        int[] ids = {1, 255, 256, 4_096, 65_535};
        for (int id : ids) {
            t.put(id, "v" + id);
        }
        t.clear();
        for (int id : ids) {
            assertNull(t.get(id), "after clear, id " + id);
        }
        t.put(256, "again"); // a page made after clear counts from zero
        t.remove(256);
        assertNull(t.get(256));
    }
}
