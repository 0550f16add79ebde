package dev.mote.it.resilience;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP relay in front of a broker that injects faults into every connection through it:
 *
 * <ul>
 *   <li>{@link #cut()} resets every relayed connection at once (TCP RST both ways);</li>
 *   <li>{@link #blackHole(boolean)} keeps connections open and reads what both sides send, but
 *       forwards nothing, so only a keep-alive can tell the link is dead;</li>
 *   <li>{@link #delay(long)} holds each chunk of bytes that long before forwarding it (latency);</li>
 *   <li>{@link #throttle(long)} forwards at most that many bytes per second in each direction of
 *       each connection.</li>
 * </ul>
 *
 * <p>New connections are accepted whatever the faults; if the broker does not accept (it is being
 * restarted), the client's connection is closed at once. Relays run on virtual threads, so they
 * are not counted among the client's threads but do hold two sockets per live connection.
 */
final class ChaosProxy implements AutoCloseable {
    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger cuts = new AtomicInteger();
    private final AtomicInteger armedHandshakeCuts = new AtomicInteger();
    private final AtomicInteger handshakeCuts = new AtomicInteger();
    private final AtomicLong blackHoled = new AtomicLong();
    private volatile boolean blackHole;
    private volatile long delayNanos;
    private volatile long bytesPerSecond;
    private volatile boolean closed;

    ChaosProxy(String targetHost, int targetPort) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        try {
            server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the proxy's port", e);
        }
        Thread.ofVirtual().name("chaos-proxy-accept").start(this::acceptLoop);
    }

    String uri() {
        return "mqtt://127.0.0.1:" + server.getLocalPort();
    }

    /** Resets every relayed connection; returns how many there were. */
    int cut() {
        int n = 0;
        for (Link l : links) {
            l.abort();
            n++;
        }
        cuts.incrementAndGet();
        return n;
    }

    /**
     * The next {@code n} connections are reset just after the broker's first bytes (its CONNACK)
     * reached the client: a link that fails while the session resumes.
     */
    ChaosProxy cutNextHandshakes(int n) {
        armedHandshakeCuts.addAndGet(n);
        return this;
    }

    /** Connections reset by {@link #cutNextHandshakes}. */
    int handshakeCuts() {
        return handshakeCuts.get();
    }

    /** While on, bytes in both directions are read and dropped; connections stay open. */
    ChaosProxy blackHole(boolean on) {
        blackHole = on;
        return this;
    }

    /** Each chunk is forwarded this many milliseconds after it arrived (0: at once). */
    ChaosProxy delay(long millis) {
        delayNanos = millis * 1_000_000L;
        return this;
    }

    /** At most this many bytes per second per direction and connection (0: unlimited). */
    ChaosProxy throttle(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
        return this;
    }

    int connectionsAccepted() {
        return accepted.get();
    }

    int liveConnections() {
        return links.size();
    }

    int cuts() {
        return cuts.get();
    }

    long bytesBlackHoled() {
        return blackHoled.get();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Link l : links) {
            l.abort();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            Thread.ofVirtual().name("chaos-proxy-connect").start(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket broker = new Socket();
        try {
            client.setTcpNoDelay(true);
            broker.setTcpNoDelay(true);
            broker.connect(new InetSocketAddress(targetHost, targetPort), 2_000);
        } catch (IOException e) {
            closeQuietly(broker);
            reset(client); // the broker is down: the client sees its connection refused, more or less
            return;
        }
        Link link = new Link(client, broker);
        link.cutAfterFirstReply = armedHandshakeCuts.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
        links.add(link);
        if (closed) {
            link.abort();
            return;
        }
        Thread.ofVirtual().name("chaos-proxy-up").start(() -> link.pump(client, broker));
        Thread.ofVirtual().name("chaos-proxy-down").start(() -> link.pump(broker, client));
    }

    private final class Link {
        final Socket client;
        final Socket broker;
        private volatile boolean aborted;
        private final AtomicInteger pumpsDone = new AtomicInteger();
        /** Reset this link once the broker's first chunk was passed to the client. */
        volatile boolean cutAfterFirstReply;

        Link(Socket client, Socket broker) {
            this.client = client;
            this.broker = broker;
        }

        void pump(Socket from, Socket to) {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    long arrived = System.nanoTime();
                    if (blackHole) {
                        blackHoled.addAndGet(n);
                        continue;
                    }
                    long d = delayNanos;
                    if (d > 0) {
                        sleepUntil(arrived + d);
                    }
                    long rate = bytesPerSecond;
                    if (rate > 0) {
                        // Forward in slices so the rate holds within a chunk too.
                        int off = 0;
                        while (off < n && !aborted) {
                            int slice = (int) Math.min(n - off, Math.max(1, rate / 50));
                            long start = System.nanoTime();
                            out.write(buf, off, slice);
                            off += slice;
                            sleepUntil(start + slice * 1_000_000_000L / rate);
                        }
                    } else {
                        out.write(buf, 0, n);
                    }
                    out.flush();
                    if (from == broker && cutAfterFirstReply) {
                        handshakeCuts.incrementAndGet();
                        abort();
                        break;
                    }
                }
                // An orderly end is passed on, unless the link is a black hole.
                if (!aborted && !blackHole) {
                    to.shutdownOutput();
                }
            } catch (IOException e) {
                abort();
            } finally {
                if (pumpsDone.incrementAndGet() == 2) {
                    links.remove(this); // both directions ended: release the sockets
                    closeQuietly(client);
                    closeQuietly(broker);
                }
            }
        }

        void abort() {
            if (aborted) {
                return;
            }
            aborted = true;
            links.remove(this);
            reset(client);
            reset(broker);
        }
    }

    private static void sleepUntil(long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }

    /** Closes with SO_LINGER 0, which sends RST instead of FIN. */
    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
