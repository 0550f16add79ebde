package dev.mote.mqtt.internal.store;

import dev.mote.mqtt.internal.codec.Publish;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32;

/**
 * A session store in a directory: an append-only log of small records, each framed by its
 * length and a CRC-32, plus a lock file.
 *
 * <p><b>Crash safety.</b> Every record is written to the file when the session calls (one
 * {@code write} system call for a record of up to 64 KiB), so it survives the process being
 * killed; {@link #sync()} forces the file to the disk ({@code fsync}) before the writer thread
 * sends packets, so it survives the machine too. On open, the log is replayed up to the first
 * record that is incomplete or fails its CRC (a write torn by a crash), and the file is cut
 * there.
 *
 * <p><b>Compaction.</b> Finished messages leave their records behind. Once the log has grown past
 * {@code compactAtBytes} and four times what is still live, the next {@link #sync()} writes the
 * live state to {@code session.log.tmp}, forces it, renames it over {@code session.log} (atomic)
 * and forces the directory.
 *
 * <p><b>One process.</b> {@code session.lock} is locked with {@link FileChannel#tryLock()} while the
 * store is open; a second store on the same directory, in this process or another, fails.
 *
 * <p>The record methods are called under the client's lock; {@link #sync()} by writer threads.
 * File writes use {@link RandomAccessFile}, which, unlike a {@link FileChannel}, is not closed
 * when the calling thread is interrupted.
 */
public final class FileSessionStore implements SessionStore {
    public static final String LOG_FILE = "session.log";
    public static final String LOCK_FILE = "session.lock";
    static final String TMP_FILE = "session.log.tmp";

    /** The log's first 8 bytes: format name and version. */
    private static final byte[] MAGIC = "MOTESS01".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = MAGIC.length;
    /** Length and CRC before each record body. */
    private static final int FRAME = 8;
    private static final int MAX_BODY = 1 + 2 + 1 + 2 + 65_535 + 4 + 268_435_455;
    static final long DEFAULT_COMPACT_AT = 8L * 1024 * 1024;

    // Record types (first byte of a body).
    private static final byte PUBLISH = 1;
    private static final byte RELEASED = 2;
    private static final byte COMPLETED = 3;
    private static final byte IN_HELD = 4;
    private static final byte IN_RELEASED = 5;
    private static final byte IN_CLEARED = 6;

    /** One outbound message as stored: its PUBLISH (payload dropped once released) and its state. */
    public record StoredPublish(Publish publish, boolean released) {}

    /**
     * What the log held when the store was opened.
     *
     * @param outbound       outbound QoS 1/2 messages in their original order
     * @param inbound        inbound QoS 2 ids awaiting PUBREL, ascending
     * @param records        records replayed
     * @param truncatedBytes bytes cut from the end (a torn or corrupt record and all after it)
     */
    public record Recovered(List<StoredPublish> outbound, int[] inbound, long records, long truncatedBytes) {}

    private static final class Entry {
        Publish publish;
        boolean released;
        long bytes;

        Entry(Publish publish, long bytes) {
            this.publish = publish;
            this.bytes = bytes;
        }
    }

    private final Path dir;
    private final Path logPath;
    private final FileChannel lockChannel;
    private final FileLock fileLock;
    private final long compactAtBytes;
    private final Recovered recovered;

    /** Guards the file, the mirror and the counters; held for a record write, never for an fsync. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Serialises {@link #sync()} (and compaction) between writer threads, and with close. */
    private final ReentrantLock syncLock = new ReentrantLock();
    private RandomAccessFile file;
    private long size;
    /** The live state, mirrored so compaction needs nothing from the session. */
    private final LinkedHashMap<Integer, Entry> live = new LinkedHashMap<>();
    private final BitSet inbound = new BitSet(65_536);
    private long liveBytes;
    /** Records that must be durable before the next packet leaves; bumped by all but COMPLETED. */
    private long mustSync;
    private long synced;
    private IOException failure;
    private boolean closed;
    /**
     * Records encoded but not yet written. Only a PUBLISH record must be in the file when the
     * call returns (the application was told the message is accepted); the others need only be
     * there before the packet that follows them leaves, which {@link #sync()} sees to. They wait
     * here and go out in the same write as the next PUBLISH record, or in the next sync.
     */
    private byte[] buf = new byte[16 * 1024];
    private int pending;
    private static final int INLINE_MAX = 64 * 1024;
    private final CRC32 crc = new CRC32();
    private long syncs;
    private long compactions;

    private FileSessionStore(Path dir, long compactAtBytes) throws IOException {
        this.dir = dir;
        this.logPath = dir.resolve(LOG_FILE);
        this.compactAtBytes = compactAtBytes;
        Files.createDirectories(dir);
        Path lockPath = dir.resolve(LOCK_FILE);
        FileChannel lc = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock fl;
        try {
            fl = lc.tryLock();
        } catch (OverlappingFileLockException e) {
            lc.close();
            throw new StoreLockedException("the session store " + dir + " is already open in this process (another client uses it)");
        } catch (IOException e) {
            lc.close();
            throw e;
        }
        if (fl == null) {
            String holder = "";
            try {
                String pid = Files.readString(lockPath, StandardCharsets.US_ASCII).trim();
                if (!pid.isEmpty()) {
                    holder = " (process " + pid + ")";
                }
            } catch (IOException e) {
                // not readable: name no process
            }
            lc.close();
            throw new StoreLockedException("the session store " + dir + " is locked by another process" + holder
                    + "; two clients cannot share one session store");
        }
        this.lockChannel = lc;
        this.fileLock = fl;
        try {
            lc.truncate(0);
            lc.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            Files.deleteIfExists(dir.resolve(TMP_FILE)); // a compaction that did not get to its rename
            this.recovered = openLog();
        } catch (IOException | RuntimeException e) {
            releaseLock();
            throw e;
        }
    }

    /**
     * Opens (creating if needed) the store in {@code dir}, locks it and replays its log.
     *
     * @throws StoreLockedException if another client, in this process or another, has it open
     * @throws IOException          if the directory or log cannot be read or written, or the log
     *                              is not a Mote session log
     */
    public static FileSessionStore open(Path dir) throws IOException {
        return new FileSessionStore(dir, DEFAULT_COMPACT_AT);
    }

    /** For tests: compaction from a smaller log size. */
    static FileSessionStore open(Path dir, long compactAtBytes) throws IOException {
        return new FileSessionStore(dir, compactAtBytes);
    }

    /** Raised when the store's directory is locked by another client. */
    public static final class StoreLockedException extends IOException {
        StoreLockedException(String message) {
            super(message);
        }
    }

    /** The directory. */
    public Path directory() {
        return dir;
    }

    /** What the log held when opened. */
    public Recovered recovered() {
        return recovered;
    }

    /** The log's size in bytes now. */
    public long logBytes() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** How many times the log was forced, and compacted, since open. */
    public long syncs() {
        return syncs;
    }

    public long compactions() {
        return compactions;
    }

    @Override
    public String toString() {
        return "session store " + dir;
    }

    // ---------------------------------------------------------------- opening and replay

    private Recovered openLog() throws IOException {
        boolean existed = Files.exists(logPath);
        file = new RandomAccessFile(logPath.toFile(), "rw");
        long length = file.length();
        if (!existed || length < HEADER) {
            if (length > 0 && !startsWithMagicPrefix(length)) {
                throw new IOException(logPath + " is not a Mote session log");
            }
            // New, or torn while its header was written.
            file.setLength(0);
            file.write(MAGIC);
            file.getFD().sync();
            syncDirectory();
            size = HEADER;
            return new Recovered(List.of(), new int[0], 0, 0);
        }
        byte[] head = new byte[HEADER];
        file.seek(0);
        file.readFully(head);
        if (!java.util.Arrays.equals(head, MAGIC)) {
            throw new IOException(logPath + " is not a Mote session log (it starts with "
                    + java.util.HexFormat.of().formatHex(head) + ")");
        }
        long good = HEADER;
        long records = 0;
        try (InputStream raw = Files.newInputStream(logPath)) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 64 * 1024));
            in.skipNBytes(HEADER);
            CRC32 check = new CRC32();
            while (true) {
                int len;
                int sum;
                try {
                    len = in.readInt();
                    sum = in.readInt();
                } catch (EOFException e) {
                    break;
                }
                if (len < 1 || len > MAX_BODY || good + FRAME + len > length) {
                    break;
                }
                byte[] body = new byte[len];
                try {
                    in.readFully(body);
                } catch (EOFException e) {
                    break;
                }
                check.reset();
                check.update(body);
                if ((int) check.getValue() != sum || !apply(body, FRAME + len)) {
                    break;
                }
                good += FRAME + len;
                records++;
            }
        }
        long cut = length - good;
        if (cut > 0) {
            file.setLength(good);
            file.getFD().sync();
        }
        file.seek(good);
        size = good;
        List<StoredPublish> out = new ArrayList<>(live.size());
        for (Entry e : live.values()) {
            out.add(new StoredPublish(e.publish, e.released));
        }
        return new Recovered(List.copyOf(out), inbound.stream().toArray(), records, cut);
    }

    private boolean startsWithMagicPrefix(long length) throws IOException {
        byte[] head = new byte[(int) length];
        file.seek(0);
        file.readFully(head);
        return java.util.Arrays.equals(head, 0, head.length, MAGIC, 0, head.length);
    }

    /** Applies one replayed record to the mirror; false if it makes no sense (treated as corrupt). */
    private boolean apply(byte[] b, long recordBytes) {
        byte type = b[0];
        if (type != IN_CLEARED && b.length < 3) {
            return false;
        }
        int id = type == IN_CLEARED ? 0 : ((b[1] & 0xff) << 8) | (b[2] & 0xff);
        if (type != IN_CLEARED && id == 0) {
            return false;
        }
        switch (type) {
            case PUBLISH -> {
                if (b.length < 10) {
                    return false;
                }
                int flags = b[3] & 0xff;
                int qos = flags & 3;
                boolean retain = (flags & 4) != 0;
                int topicLen = ((b[4] & 0xff) << 8) | (b[5] & 0xff);
                if ((qos != 1 && qos != 2) || b.length < 6 + topicLen + 4) {
                    return false;
                }
                String topic = new String(b, 6, topicLen, StandardCharsets.UTF_8);
                int at = 6 + topicLen;
                int payloadLen = ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
                if (payloadLen < 0 || b.length != at + 4 + payloadLen) {
                    return false;
                }
                byte[] payload = java.util.Arrays.copyOfRange(b, at + 4, b.length);
                // A packet id is reused only after its message ended; if the end was lost
                // (written but not forced before a power failure), the newer message wins.
                Entry old = live.remove(id);
                if (old != null) {
                    liveBytes -= old.bytes;
                }
                Entry e = new Entry(new Publish(topic, payload, qos, retain, false, id), recordBytes);
                live.put(id, e);
                liveBytes += recordBytes;
            }
            case RELEASED -> {
                Entry e = live.get(id);
                if (e != null && e.publish.qos() == 2) {
                    e.released = true;
                    e.publish = new Publish(e.publish.topic(), new byte[0], 2, e.publish.retain(), false, id);
                }
            }
            case COMPLETED -> {
                Entry e = live.remove(id);
                if (e != null) {
                    liveBytes -= e.bytes;
                }
            }
            case IN_HELD -> inbound.set(id);
            case IN_RELEASED -> inbound.clear(id);
            case IN_CLEARED -> inbound.clear();
            default -> {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- records

    @Override
    public void published(Publish p) {
        lock.lock();
        try {
            if (closed || failure != null) {
                throw new UncheckedIOException("the session store " + dir + " cannot record the message: "
                        + (closed ? "it is closed" : failure.getMessage()), failure != null ? failure : new IOException("closed"));
            }
            long recordBytes;
            try {
                recordBytes = writePublish(p);
            } catch (IOException e) {
                failure = new IOException("writing " + logPath + " failed: " + e.getMessage(), e);
                throw new UncheckedIOException("the session store " + dir + " cannot record the message: " + e.getMessage(), e);
            }
            Entry old = live.remove(p.packetId());
            if (old != null) {
                liveBytes -= old.bytes;
            }
            live.put(p.packetId(), new Entry(p, recordBytes));
            liveBytes += recordBytes;
            mustSync++;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes a PUBLISH record to the current file, after the records pending, in one write call
     * when it fits in 64 KiB; returns its size. Under lock.
     */
    private long writePublish(Publish p) throws IOException {
        byte[] topic = p.topic().getBytes(StandardCharsets.UTF_8);
        byte[] payload = p.payload();
        int bodyLen = 1 + 2 + 1 + 2 + topic.length + 4 + payload.length;
        int prefixLen = bodyLen - payload.length;
        boolean inline = FRAME + bodyLen <= INLINE_MAX;
        if (!inline || pending + FRAME + bodyLen > INLINE_MAX) {
            flushPending();
        }
        int start = pending;
        ensure(start + (inline ? FRAME + bodyLen : FRAME + prefixLen));
        int at = start + FRAME;
        buf[at++] = PUBLISH;
        at = putShort(buf, at, p.packetId());
        buf[at++] = (byte) (p.qos() | (p.retain() ? 4 : 0));
        at = putShort(buf, at, topic.length);
        System.arraycopy(topic, 0, buf, at, topic.length);
        at += topic.length;
        at = putInt(buf, at, payload.length);
        crc.reset();
        crc.update(buf, start + FRAME, prefixLen);
        crc.update(payload);
        putInt(buf, start, bodyLen);
        putInt(buf, start + 4, (int) crc.getValue());
        pending = 0;
        if (inline) {
            System.arraycopy(payload, 0, buf, at, payload.length);
            file.write(buf, 0, start + FRAME + bodyLen);
        } else {
            file.write(buf, 0, FRAME + prefixLen);
            file.write(payload);
        }
        size += FRAME + bodyLen;
        return FRAME + bodyLen;
    }

    private void ensure(int capacity) {
        if (buf.length < capacity) {
            buf = java.util.Arrays.copyOf(buf, Math.max(capacity, Math.min(buf.length * 2, INLINE_MAX)));
        }
    }

    /** Writes the pending records. Under lock. */
    private void flushPending() throws IOException {
        if (pending > 0) {
            int n = pending;
            pending = 0;
            file.write(buf, 0, n);
        }
    }

    @Override
    public void released(int packetId) {
        lock.lock();
        try {
            Entry e = live.get(packetId);
            if (e != null) {
                e.released = true;
                // The payload is never needed again: only PUBREL is resent from now on.
                e.publish = new Publish(e.publish.topic(), new byte[0], 2, e.publish.retain(), false, packetId);
            }
            small(RELEASED, packetId, true);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void completed(int packetId) {
        lock.lock();
        try {
            Entry e = live.remove(packetId);
            if (e != null) {
                liveBytes -= e.bytes;
            }
            small(COMPLETED, packetId, false);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void inboundHeld(int packetId) {
        lock.lock();
        try {
            inbound.set(packetId);
            small(IN_HELD, packetId, true);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void inboundReleased(int packetId) {
        lock.lock();
        try {
            inbound.clear(packetId);
            small(IN_RELEASED, packetId, true);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void inboundCleared() {
        lock.lock();
        try {
            if (inbound.isEmpty()) {
                return;
            }
            inbound.clear();
            small(IN_CLEARED, 0, true);
        } finally {
            lock.unlock();
        }
    }

    /** Adds a record of a type and a packet id to the pending ones. Under lock; a failure is kept for sync to throw. */
    private void small(byte type, int packetId, boolean needsSync) {
        if (closed || failure != null) {
            return;
        }
        try {
            writeSmall(type, packetId);
        } catch (IOException e) {
            failure = new IOException("writing " + logPath + " failed: " + e.getMessage(), e);
            return;
        }
        if (needsSync) {
            mustSync++;
        }
    }

    private void writeSmall(byte type, int packetId) throws IOException {
        int bodyLen = type == IN_CLEARED ? 1 : 3;
        if (pending + FRAME + bodyLen > INLINE_MAX) {
            flushPending();
        }
        ensure(pending + FRAME + bodyLen);
        int at = pending;
        buf[at + FRAME] = type;
        if (bodyLen == 3) {
            putShort(buf, at + FRAME + 1, packetId);
        }
        crc.reset();
        crc.update(buf, at + FRAME, bodyLen);
        putInt(buf, at, bodyLen);
        putInt(buf, at + 4, (int) crc.getValue());
        pending = at + FRAME + bodyLen;
        size += FRAME + bodyLen;
    }

    // ---------------------------------------------------------------- durability

    @Override
    public void sync() throws IOException {
        syncLock.lock();
        try {
            long target;
            FileDescriptor fd;
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                if (failure != null) {
                    throw failure;
                }
                try {
                    flushPending();
                } catch (IOException e) {
                    failure = new IOException("writing " + logPath + " failed: " + e.getMessage(), e);
                    throw failure;
                }
                if (size >= compactAtBytes && size >= 4 * (liveBytes + HEADER)) {
                    compact();
                    return;
                }
                if (mustSync == synced) {
                    return;
                }
                target = mustSync;
                fd = file.getFD();
            } finally {
                lock.unlock();
            }
            // Records written while this runs may or may not be covered; the next sync covers them.
            try {
                fd.sync();
            } catch (IOException e) {
                lock.lock();
                try {
                    if (closed) {
                        return;
                    }
                    failure = new IOException("forcing " + logPath + " to disk failed: " + e.getMessage(), e);
                    throw failure;
                } finally {
                    lock.unlock();
                }
            }
            syncs++;
            lock.lock();
            try {
                synced = Math.max(synced, target);
            } finally {
                lock.unlock();
            }
        } finally {
            syncLock.unlock();
        }
    }

    /**
     * Writes the live state to a new file, forces it, renames it over the log and forces the
     * directory. Under both locks: appends wait, which holds up the client for as long as it
     * takes to write what is still in flight.
     */
    private void compact() throws IOException {
        Path tmp = dir.resolve(TMP_FILE);
        RandomAccessFile next;
        try {
            next = new RandomAccessFile(tmp.toFile(), "rw");
        } catch (IOException e) {
            failure = new IOException("compacting " + logPath + " failed: " + e.getMessage(), e);
            throw failure;
        }
        RandomAccessFile previous = file;
        long newSize;
        try {
            next.setLength(0);
            next.write(MAGIC);
            file = next; // the record writers below append to it
            size = HEADER;
            pending = 0; // (flushed by sync before this)
            for (var it : live.entrySet()) {
                Entry e = it.getValue();
                e.bytes = writePublish(e.publish);
                if (e.released) {
                    writeSmall(RELEASED, it.getKey());
                }
            }
            for (int id = inbound.nextSetBit(0); id >= 0; id = inbound.nextSetBit(id + 1)) {
                writeSmall(IN_HELD, id);
            }
            flushPending();
            next.getFD().sync();
            newSize = size;
            try {
                Files.move(tmp, logPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot compact " + logPath + ": the file system cannot rename atomically", e);
            }
            syncDirectory();
        } catch (IOException e) {
            file = previous;
            try {
                next.close();
            } catch (IOException ignored) {
                // failing anyway
            }
            failure = new IOException("compacting " + logPath + " failed: " + e.getMessage(), e);
            throw failure;
        }
        try {
            previous.close();
        } catch (IOException ignored) {
            // it was replaced; nothing is lost
        }
        liveBytes = 0;
        for (Entry e : live.values()) {
            liveBytes += e.bytes;
        }
        size = newSize;
        synced = mustSync;
        compactions++;
        syncs++;
    }

    private void syncDirectory() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    @Override
    public void close() {
        syncLock.lock();
        try {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    if (failure == null) {
                        flushPending();
                    }
                } catch (IOException e) {
                    // what is pending needs no durability (see pending); the file is closed anyway
                }
                try {
                    file.close();
                } catch (IOException e) {
                    // records already written stay written
                }
            } finally {
                lock.unlock();
            }
        } finally {
            syncLock.unlock();
        }
        releaseLock();
    }

    /**
     * Empties the log (a clean session discards the previous session, [MQTT-3.1.2-6]); durable
     * when this returns.
     */
    public void clear() throws IOException {
        syncLock.lock();
        lock.lock();
        try {
            live.clear();
            inbound.clear();
            liveBytes = 0;
            pending = 0;
            file.setLength(HEADER);
            file.seek(HEADER);
            file.getFD().sync();
            size = HEADER;
            synced = mustSync;
        } finally {
            lock.unlock();
            syncLock.unlock();
        }
    }

    private void releaseLock() {
        try {
            fileLock.release();
        } catch (IOException e) {
            // closing the channel releases it too
        }
        try {
            lockChannel.close();
        } catch (IOException e) {
            // nothing more to release
        }
    }

    private static int putShort(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
        return at + 2;
    }

    private static int putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
        return at + 4;
    }
}
