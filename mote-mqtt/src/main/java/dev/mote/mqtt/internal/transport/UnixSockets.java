package dev.mote.mqtt.internal.transport;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@code unix:///path}: a Unix domain socket, carried like TCP by a blocking {@link SocketChannel}. */
final class UnixSockets {
    private UnixSockets() {}

    /**
     * Connects to the socket at {@code path}, giving up after {@code timeout}. A connect to a Unix
     * socket answers at once unless the listener's backlog is full; then it blocks, so a
     * virtual-thread watchdog closes the channel at the deadline.
     */
    static Transport connect(String path, Duration timeout) throws IOException {
        UnixDomainSocketAddress address;
        try {
            address = UnixDomainSocketAddress.of(path);
        } catch (InvalidPathException e) {
            throw new IOException("not a valid Unix socket path: " + path + " (" + e.getReason() + ")");
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        AtomicBoolean settled = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().name("mote-unix-connect-watchdog").start(() -> {
            try {
                Thread.sleep(timeout);
            } catch (InterruptedException e) {
                return;
            }
            if (settled.compareAndSet(false, true)) {
                closeQuietly(ch);
            }
        });
        try {
            ch.connect(address);
            if (!settled.compareAndSet(false, true)) {
                throw new AsynchronousCloseException(); // the watchdog closed it just as the connect succeeded
            }
            return TcpTransport.over(ch, "unix://" + path);
        } catch (AsynchronousCloseException e) {
            closeQuietly(ch);
            SocketTimeoutException t = new SocketTimeoutException("no connection to the Unix socket at " + path + " within "
                    + timeout.toMillis() + " ms (its listener's backlog is full?)");
            t.initCause(e);
            throw t;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw explain(path, e);
        } finally {
            settled.set(true);
            watchdog.interrupt();
        }
    }

    /** The reason a connect failed, in words: a missing file, a file that is no socket, nobody listening. */
    private static IOException explain(String path, Exception e) {
        Path p = Path.of(path);
        String why;
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException notThere) {
            attributes = null;
        }
        String message = String.valueOf(e.getMessage());
        if (message.contains("path too long")) {
            why = "the Unix socket path is too long (" + path.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    + " bytes; the system allows about 100): " + path;
        } else if (attributes == null && !message.contains("ermission denied")) {
            why = "no Unix socket at " + path;
        } else if (attributes != null && (attributes.isRegularFile() || attributes.isDirectory())) {
            why = path + " is not a Unix socket (it is a " + (attributes.isDirectory() ? "directory" : "regular file") + ")";
        } else if (message.contains("ermission denied")) {
            why = "no permission to connect to the Unix socket at " + path;
        } else if (e instanceof ConnectException || message.contains("onnection refused")) {
            why = "no broker is listening on the Unix socket at " + path + " (connection refused)";
        } else {
            why = "cannot connect to the Unix socket at " + path + ": " + message;
        }
        ConnectException c = new ConnectException(why);
        c.initCause(e);
        return c;
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
