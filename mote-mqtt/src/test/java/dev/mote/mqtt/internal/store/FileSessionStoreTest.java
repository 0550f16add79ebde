package dev.mote.mqtt.internal.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Publish;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSessionStoreTest {
    @TempDir
    Path dir;

    private static Publish publish(int id, int qos, String body) {
        return new Publish("t/" + id, body.getBytes(StandardCharsets.UTF_8), qos, id % 3 == 0, false, id);
    }

    private static List<String> describe(FileSessionStore.Recovered r) {
        return r.outbound().stream()
                .map(s -> s.publish().packetId() + ":" + s.publish().qos() + (s.released() ? ":released"
                        : ":" + new String(s.publish().payload(), StandardCharsets.UTF_8)))
                .toList();
    }

    private Path log() {
        return dir.resolve(FileSessionStore.LOG_FILE);
    }

    @Test
    @DisplayName("a reopened store gives back the live messages in order, with their state, and the inbound ids")
    void replaysLiveState() throws IOException {
        try (var s = new Closing(FileSessionStore.open(dir))) {
            s.store.published(publish(1, 1, "one"));
            s.store.published(publish(2, 2, "two"));
            s.store.published(publish(3, 1, "three"));
            s.store.published(publish(4, 2, "four"));
            s.store.released(2);
            s.store.completed(3);
            s.store.inboundHeld(100);
            s.store.inboundHeld(7);
            s.store.inboundHeld(65_535);
            s.store.inboundReleased(100);
            s.store.sync();
        }
        try (var s = new Closing(FileSessionStore.open(dir))) {
            FileSessionStore.Recovered r = s.store.recovered();
            assertEquals(List.of("1:1:one", "2:2:released", "4:2:four"), describe(r));
            assertArrayEquals(new int[] {7, 65_535}, r.inbound());
            assertEquals(0, r.truncatedBytes());
            Publish p4 = r.outbound().get(2).publish();
            assertEquals("t/4", p4.topic());
            assertFalse(p4.retain());
            assertTrue(r.outbound().get(0).publish().packetId() == 1 && !r.outbound().get(0).publish().retain());
            assertEquals(10, r.records());
        }
    }

    @Test
    @DisplayName("retain, empty and large (over 64 KiB) payloads and non-ASCII topics survive")
    void payloadShapes() throws IOException {
        byte[] big = new byte[300_000];
        new java.util.Random(1).nextBytes(big);
        try (var s = new Closing(FileSessionStore.open(dir))) {
            s.store.published(new Publish("ä/ß/€", new byte[0], 1, true, false, 3));
            s.store.published(new Publish("big", big, 2, false, false, 4));
        }
        try (var s = new Closing(FileSessionStore.open(dir))) {
            List<FileSessionStore.StoredPublish> out = s.store.recovered().outbound();
            assertEquals("ä/ß/€", out.get(0).publish().topic());
            assertTrue(out.get(0).publish().retain());
            assertEquals(0, out.get(0).publish().payload().length);
            assertArrayEquals(big, out.get(1).publish().payload());
        }
    }

    @Test
    @DisplayName("a torn last record (a crash mid-write) is cut off; everything before it is kept and the store goes on")
    void tornTailIsCut() throws IOException {
        try (var s = new Closing(FileSessionStore.open(dir))) {
            s.store.published(publish(1, 1, "one"));
            s.store.published(publish(2, 1, "two"));
        }
        long whole = Files.size(log());
        // Tear the last record: keep only part of it.
        try (RandomAccessFile f = new RandomAccessFile(log().toFile(), "rw")) {
            f.setLength(whole - 5);
        }
        try (var s = new Closing(FileSessionStore.open(dir))) {
            FileSessionStore.Recovered r = s.store.recovered();
            assertEquals(List.of("1:1:one"), describe(r));
            assertTrue(r.truncatedBytes() > 0);
            s.store.published(publish(3, 2, "three"));
        }
        try (var s = new Closing(FileSessionStore.open(dir))) {
            assertEquals(List.of("1:1:one", "3:2:three"), describe(s.store.recovered()));
            assertEquals(0, s.store.recovered().truncatedBytes());
        }
    }

    @Test
    @DisplayName("a record whose CRC does not match ends the replay there, and what follows it is cut")
    void corruptRecordEndsReplay() throws IOException {
        long afterFirst;
        try (var s = new Closing(FileSessionStore.open(dir))) {
            s.store.published(publish(1, 1, "one"));
            afterFirst = s.store.logBytes();
            s.store.published(publish(2, 1, "two"));
            s.store.published(publish(3, 1, "three"));
        }
        try (RandomAccessFile f = new RandomAccessFile(log().toFile(), "rw")) {
            f.seek(afterFirst + 12); // a byte inside the second record's body
            int b = f.read();
            f.seek(afterFirst + 12);
            f.write(b ^ 0x40);
        }
        try (var s = new Closing(FileSessionStore.open(dir))) {
            assertEquals(List.of("1:1:one"), describe(s.store.recovered()));
            assertEquals(afterFirst, Files.size(log()));
        }
    }

    @Test
    @DisplayName("garbage after the last record (a length running past the end) is cut")
    void garbageTail() throws IOException {
        try (var s = new Closing(FileSessionStore.open(dir))) {
            s.store.published(publish(1, 1, "one"));
        }
        long good = Files.size(log());
        Files.write(log(), new byte[] {0x7f, 0, 0, 0, 1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        try (var s = new Closing(FileSessionStore.open(dir))) {
            assertEquals(List.of("1:1:one"), describe(s.store.recovered()));
            assertEquals(7, s.store.recovered().truncatedBytes());
        }
        assertEquals(good, Files.size(log()));
    }

    @Test
    @DisplayName("a packet id published again after its end was lost holds the newer message")
    void reusedIdKeepsNewest() throws IOException {
        try (var s = new Closing(FileSessionStore.open(dir))) {
            s.store.published(publish(1, 1, "old"));
            s.store.published(publish(2, 1, "two"));
            s.store.published(publish(1, 2, "new"));
        }
        try (var s = new Closing(FileSessionStore.open(dir))) {
            assertEquals(List.of("2:1:two", "1:2:new"), describe(s.store.recovered()));
        }
    }

    @Test
    @DisplayName("compaction keeps the log small and the live state (order, released, inbound ids) intact")
    void compaction() throws IOException {
        try (var s = new Closing(FileSessionStore.open(dir, 16 * 1024))) {
            s.store.published(publish(60_000, 2, "kept-first"));
            s.store.released(60_000);
            s.store.published(publish(60_001, 1, "kept-second"));
            s.store.inboundHeld(42);
            for (int i = 0; i < 20_000; i++) {
                int id = 1 + i % 1000;
                s.store.published(publish(id, 1 + i % 2, "message " + i));
                s.store.completed(id);
                if (i % 100 == 0) {
                    s.store.sync();
                }
            }
            s.store.published(publish(5, 1, "kept-third"));
            s.store.sync();
            assertTrue(s.store.compactions() > 10, "compactions: " + s.store.compactions());
            assertTrue(s.store.logBytes() < 80 * 1024, "log bytes: " + s.store.logBytes());
            assertFalse(Files.exists(dir.resolve(FileSessionStore.TMP_FILE)));
        }
        try (var s = new Closing(FileSessionStore.open(dir))) {
            assertEquals(List.of("60000:2:released", "60001:1:kept-second", "5:1:kept-third"), describe(s.store.recovered()));
            assertEquals("t/60000", s.store.recovered().outbound().get(0).publish().topic());
            assertArrayEquals(new int[] {42}, s.store.recovered().inbound());
        }
    }

    @Test
    @DisplayName("a second store on the same directory fails while the first is open, and opens after it closed")
    void lockedDirectory() throws IOException {
        FileSessionStore first = FileSessionStore.open(dir);
        try {
            IOException e = assertThrows(FileSessionStore.StoreLockedException.class, () -> FileSessionStore.open(dir));
            assertTrue(e.getMessage().contains("already open in this process"), e.getMessage());
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        } finally {
            first.close();
        }
        FileSessionStore.open(dir).close();
        assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(dir.resolve(FileSessionStore.LOCK_FILE)));
    }

    @Test
    @DisplayName("a file that is not a Mote session log is refused, not overwritten")
    void foreignFile() throws IOException {
        Files.writeString(log(), "hello, this is not a session log");
        IOException e = assertThrows(IOException.class, () -> FileSessionStore.open(dir));
        assertTrue(e.getMessage().contains("not a Mote session log"), e.getMessage());
        assertEquals("hello, this is not a session log", Files.readString(log()));
        FileSessionStore.open(dir.resolve("elsewhere")).close(); // the lock was released by the failure
        FileSessionStore.open(dir.resolve("elsewhere")).close();
    }

    @Test
    @DisplayName("clear empties the store durably")
    void clear() throws IOException {
        try (var s = new Closing(FileSessionStore.open(dir))) {
            s.store.published(publish(1, 1, "one"));
            s.store.inboundHeld(3);
            s.store.clear();
            s.store.published(publish(2, 1, "two"));
        }
        try (var s = new Closing(FileSessionStore.open(dir))) {
            assertEquals(List.of("2:1:two"), describe(s.store.recovered()));
            assertEquals(0, s.store.recovered().inbound().length);
        }
    }

    @Test
    @DisplayName("after close, recording a publish fails and sync does nothing")
    void closedStore() throws IOException {
        FileSessionStore s = FileSessionStore.open(dir);
        s.close();
        assertThrows(UncheckedIOException.class, () -> s.published(publish(1, 1, "x")));
        s.released(1);
        s.sync();
        s.close();
    }

    /** try-with-resources for a store whose close throws nothing. */
    private record Closing(FileSessionStore store) implements AutoCloseable {
        @Override
        public void close() {
            store.close();
        }
    }
}
