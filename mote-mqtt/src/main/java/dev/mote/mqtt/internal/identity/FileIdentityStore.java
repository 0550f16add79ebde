package dev.mote.mqtt.internal.identity;

import dev.mote.mqtt.DeviceIdentity;
import dev.mote.mqtt.IdentityStore;
import dev.mote.mqtt.internal.config.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link IdentityStore} in one JSON file. The identity is one file, not a certificate file and a
 * key file, so that a replacement is one atomic rename and a reader never sees the new
 * certificate with the old key. Owner-only permissions are set at creation (the temporary file
 * is created 0600, so the key is never readable by others, not even briefly).
 */
public final class FileIdentityStore implements IdentityStore {
    static final String FILE = "identity.json";
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    private final Path dir;
    private final Path file;
    private final ReentrantLock lock = new ReentrantLock();

    public FileIdentityStore(Path directory) {
        this.dir = directory.toAbsolutePath();
        this.file = dir.resolve(FILE);
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("the identity store must be a directory, and " + dir + " is a file");
        }
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    @Override
    public Optional<DeviceIdentity> load() {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the identity store " + file + ": " + e.getClass().getSimpleName(), e);
        }
        Object root;
        try {
            root = Json.parse(text, file.toString());
        } catch (Json.JsonException e) {
            throw new IllegalStateException("the identity store " + file + " is damaged: " + e.getMessage());
        }
        if (!(root instanceof Json.JsonObject o)) {
            throw new IllegalStateException("the identity store " + file + " is damaged: not a JSON object");
        }
        try {
            List<String> alpn = new ArrayList<>();
            if (o.get("alpn") instanceof List<?> l) {
                for (Object a : l) {
                    alpn.add((String) a);
                }
            }
            return Optional.of(new DeviceIdentity(text(o, "endpoint"), ((BigDecimal) o.get("port")).intValueExact(),
                    text(o, "clientId"), o.get("caPem") instanceof String ca ? ca : null, text(o, "certificatePem"),
                    text(o, "privateKeyPem"), alpn));
        } catch (RuntimeException e) {
            throw new IllegalStateException("the identity store " + file + " is damaged: a field is missing or of the wrong type ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    private static String text(Json.JsonObject o, String key) {
        Object v = o.get(key);
        if (!(v instanceof String s)) {
            throw new IllegalStateException(key);
        }
        return s;
    }

    @Override
    public void save(DeviceIdentity identity) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", 1);
        m.put("endpoint", identity.endpoint());
        m.put("port", identity.port());
        m.put("clientId", identity.clientId());
        m.put("alpn", identity.alpn());
        if (identity.caPem() != null) {
            m.put("caPem", identity.caPem());
        }
        m.put("certificatePem", identity.certificatePem());
        m.put("privateKeyPem", identity.privateKeyPem());
        byte[] bytes = Json.write(m).getBytes(StandardCharsets.UTF_8);
        lock.lock();
        try {
            createDirectory();
            Path tmp = posix(dir)
                    ? Files.createTempFile(dir, ".identity-", ".tmp", PosixFilePermissions.asFileAttribute(FILE_MODE))
                    : Files.createTempFile(dir, ".identity-", ".tmp");
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    ByteBuffer buf = ByteBuffer.wrap(bytes);
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    ch.force(true);
                }
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            forceDirectory();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the identity in " + dir + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private void createDirectory() throws IOException {
        if (!Files.isDirectory(dir)) {
            FileAttribute<?>[] attrs = posix(dir.getParent() == null ? dir : dir.getParent())
                    ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIR_MODE)} : new FileAttribute<?>[0];
            try {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir, attrs);
            } catch (FileAlreadyExistsException e) {
                // made by someone else meanwhile
            }
        }
        if (posix(dir) && !Files.getPosixFilePermissions(dir).equals(DIR_MODE)) {
            Files.setPosixFilePermissions(dir, DIR_MODE); // the key must not be reachable by others
        }
    }

    /** Makes the rename durable: fsync of the directory (works on Linux; harmless where unsupported). */
    private void forceDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some platforms cannot open a directory; the data itself was forced
        }
    }

    @Override
    public String toString() {
        return "IdentityStore[" + file + "]";
    }
}
