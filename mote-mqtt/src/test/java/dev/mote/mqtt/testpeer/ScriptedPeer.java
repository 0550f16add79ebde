package dev.mote.mqtt.testpeer;

import dev.mote.mqtt.internal.codec.MalformedPacketException;
import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.PacketDecoder;
import dev.mote.mqtt.internal.codec.PacketEncoder;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A scripted MQTT "broker" for client tests: a plain {@link ServerSocket} on 127.0.0.1 that plays
 * exactly the bytes a test tells it to, including ones no real broker would send.
 *
 * <p>Connections are accepted on a virtual thread. Each accepted connection gets a reader (also
 * virtual) that frames what the client sends (fixed header, remaining length, body), decodes each
 * packet with the library's {@link PacketDecoder} and queues it together with its raw bytes; the
 * end of the stream is queued too. The test then reads that queue with bounded waits:
 * {@link #expect(Class)}, {@link #expectNothing(Duration)}, {@link #awaitClosedByClient(Duration)}.
 *
 * <p>The methods without a connection argument act on the <em>current</em> connection, which is
 * the first one accepted, or the one last returned by {@link #awaitConnection(Duration)}.
 * Nothing here sleeps: every wait is a bounded poll, and a wait that runs out fails the test
 * with an {@link AssertionError} that says what was expected.
 */
public final class ScriptedPeer implements AutoCloseable {

    /** How long {@link #expect(Class)} and friends wait when no timeout is given. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private final ServerSocket server;
    private final Thread acceptor;
    private final BlockingQueue<PeerConnection> accepted = new LinkedBlockingQueue<>();
    private final List<PeerConnection> all = new ArrayList<>();
    private volatile PeerConnection current;
    private volatile boolean closed;

    private ScriptedPeer(ServerSocket server) {
        this.server = server;
        this.acceptor = Thread.ofVirtual().name("scripted-peer-acceptor").start(this::acceptLoop);
    }

    /** Binds 127.0.0.1 on a free port and starts accepting connections. */
    public static ScriptedPeer start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return new ScriptedPeer(s);
    }

    /** The port the peer listens on. */
    public int port() {
        return server.getLocalPort();
    }

    /** The URL a client connects to: {@code mqtt://127.0.0.1:port}. */
    public String uri() {
        return "mqtt://127.0.0.1:" + port();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // the server socket was closed
            }
            PeerConnection c;
            try {
                c = new PeerConnection(s);
            } catch (IOException e) {
                closeQuietly(s);
                continue;
            }
            synchronized (all) {
                if (closed) {
                    c.close();
                    return;
                }
                all.add(c);
            }
            accepted.add(c);
        }
    }

    /** Waits for the next accepted connection and makes it the current one. */
    public PeerConnection awaitConnection(Duration timeout) {
        PeerConnection c;
        try {
            c = accepted.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for a connection", e);
        }
        if (c == null) {
            throw new AssertionError("no client connected to the scripted peer within " + timeout.toMillis() + " ms");
        }
        current = c;
        return c;
    }

    /** The current connection, waiting for the first one if none was accepted yet. */
    public PeerConnection connection() {
        PeerConnection c = current;
        return c != null ? c : awaitConnection(DEFAULT_TIMEOUT);
    }

    /** Reads the next packet the client sent, which must be of {@code type}; waits at most {@link #DEFAULT_TIMEOUT}. */
    public <T extends Packet> T expect(Class<T> type) {
        return connection().expect(type, DEFAULT_TIMEOUT);
    }

    /** Reads the next packet the client sent, which must be of {@code type}; waits at most {@code timeout}. */
    public <T extends Packet> T expect(Class<T> type, Duration timeout) {
        return connection().expect(type, timeout);
    }

    /** The next packet the client sent, with its raw bytes; waits at most {@code timeout}. */
    public Received next(Duration timeout) {
        return connection().next(timeout);
    }

    /** Asserts that the client sends nothing (and does not close) within {@code window}. */
    public void expectNothing(Duration window) {
        connection().expectNothing(window);
    }

    /** Encodes and writes one packet. */
    public void send(Packet packet) {
        connection().send(packet);
    }

    /** Encodes several packets and writes them with a single write call, so they travel together. */
    public void sendTogether(Packet... packets) {
        connection().sendTogether(packets);
    }

    /** Writes bytes as they are, valid MQTT or not. */
    public void sendRaw(byte[] bytes) {
        connection().sendRaw(bytes);
    }

    /**
     * Reads until the client closes the connection, at most {@code timeout}.
     *
     * @return the packets the client sent before it closed
     */
    public List<Received> awaitClosedByClient(Duration timeout) {
        return connection().awaitClosedByClient(timeout);
    }

    /** Closes the current connection from the peer's side (the client sees end of stream). */
    public void closeConnection() {
        connection().close();
    }

    /** Stops accepting and closes every connection. Idempotent. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        List<PeerConnection> copy;
        synchronized (all) {
            copy = new ArrayList<>(all);
        }
        for (PeerConnection c : copy) {
            c.close();
        }
        try {
            acceptor.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort here
        }
    }

    /** One packet as the client sent it: its bytes on the wire, and the decoded packet. */
    public record Received(byte[] raw, Packet packet) {
        public String hex() {
            return HexFormat.ofDelimiter(" ").formatHex(raw);
        }

        @Override
        public String toString() {
            return packet + " [" + (raw.length <= 32 ? hex() : raw.length + " bytes") + "]";
        }
    }

    /** The end of the client's stream, or a read error, as an item of the receive queue. */
    private record End(String how) {}

    /** One accepted TCP connection. */
    public static final class PeerConnection {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        private final Thread reader;
        private boolean ended;
        private volatile String endReason;

        PeerConnection(Socket socket) throws IOException {
            this.socket = socket;
            socket.setTcpNoDelay(true);
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            this.reader = Thread.ofVirtual().name("scripted-peer-reader-" + socket.getPort()).start(this::readLoop);
        }

        private void readLoop() {
            try {
                while (true) {
                    byte[] raw = readFrame();
                    if (raw == null) {
                        received.add(new End("end of stream"));
                        closeSocket(); // as a broker does once the client's stream ended
                        return;
                    }
                    received.add(decode(raw));
                }
            } catch (IOException e) {
                received.add(new End("read failed: " + e));
            }
        }

        /** One whole packet's bytes, or null at a clean end of stream before a packet starts. */
        private byte[] readFrame() throws IOException {
            int first = in.read();
            if (first < 0) {
                return null;
            }
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            frame.write(first);
            int length = 0;
            for (int i = 0; ; i++) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("the client's stream ended inside a fixed header");
                }
                frame.write(b);
                length |= (b & 0x7F) << (7 * i);
                if ((b & 0x80) == 0) {
                    break;
                }
                if (i == 3) {
                    throw new IOException("the client sent a remaining length longer than 4 bytes");
                }
            }
            byte[] body = in.readNBytes(length);
            if (body.length < length) {
                throw new EOFException("the client's stream ended inside a packet body");
            }
            frame.write(body);
            return frame.toByteArray();
        }

        private static Object decode(byte[] raw) {
            try {
                Packet p = new PacketDecoder(Integer.MAX_VALUE).decode(ByteBuffer.wrap(raw));
                if (p == null) {
                    return new End("could not decode a whole frame: " + HexFormat.of().formatHex(raw));
                }
                return new Received(raw, p);
            } catch (MalformedPacketException e) {
                return new End("the client sent a malformed packet (" + e.getMessage() + "): "
                        + HexFormat.ofDelimiter(" ").formatHex(raw));
            }
        }

        /** The next packet, with its raw bytes; fails if none comes within {@code timeout} or the client closed. */
        public Received next(Duration timeout) {
            Object o = poll(timeout);
            if (o == null) {
                throw new AssertionError("the client sent nothing within " + timeout.toMillis() + " ms");
            }
            if (o instanceof End e) {
                throw new AssertionError("expected a packet, but the client's stream ended: " + e.how());
            }
            return (Received) o;
        }

        /** The next packet, which must be a {@code type}. */
        public <T extends Packet> T expect(Class<T> type, Duration timeout) {
            Object o = poll(timeout);
            if (o == null) {
                throw new AssertionError("expected " + type.getSimpleName() + ", but the client sent nothing within "
                        + timeout.toMillis() + " ms");
            }
            if (o instanceof End e) {
                throw new AssertionError("expected " + type.getSimpleName() + ", but the client's stream ended: " + e.how());
            }
            Received r = (Received) o;
            if (!type.isInstance(r.packet())) {
                throw new AssertionError("expected " + type.getSimpleName() + ", but the client sent " + r);
            }
            return type.cast(r.packet());
        }

        /** Asserts that nothing arrives (no packet, no end of stream) within {@code window}. */
        public void expectNothing(Duration window) {
            Object o = poll(window);
            if (o != null) {
                throw new AssertionError("expected nothing from the client for " + window.toMillis()
                        + " ms, but got " + (o instanceof End e ? "end of stream (" + e.how() + ")" : o));
            }
        }

        /**
         * Reads until the client's stream ends, at most {@code timeout}.
         *
         * @return the packets the client sent before it closed
         */
        public List<Received> awaitClosedByClient(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            List<Received> before = new ArrayList<>();
            while (true) {
                long left = deadline - System.nanoTime();
                Object o = left <= 0 ? received.poll() : poll(Duration.ofNanos(left));
                if (o == null) {
                    throw new AssertionError("the client did not close the connection within " + timeout.toMillis()
                            + " ms; it sent " + before);
                }
                if (o instanceof End) {
                    return before;
                }
                before.add((Received) o);
            }
        }

        /** Why the client's stream ended ("end of stream" for a clean close), or null while it has not. */
        public String endReason() {
            return endReason;
        }

        private Object poll(Duration timeout) {
            if (ended) {
                Object o = received.poll();
                return o != null ? o : new End("already ended");
            }
            try {
                Object o = received.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
                if (o instanceof End e) {
                    ended = true;
                    endReason = e.how();
                }
                return o;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for the client", e);
            }
        }

        public void send(Packet packet) {
            sendRaw(PacketEncoder.encode(packet));
        }

        public void sendTogether(Packet... packets) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (Packet p : packets) {
                all.writeBytes(PacketEncoder.encode(p));
            }
            sendRaw(all.toByteArray());
        }

        public void sendRaw(byte[] bytes) {
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                throw new AssertionError("the scripted peer could not write " + bytes.length + " bytes: " + e, e);
            }
        }

        /** Closes the socket; the reader queues the end of stream and stops. */
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // best effort
            }
            try {
                reader.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void closeSocket() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // best effort
            }
        }

        /** True if the socket is closed from this side. */
        public boolean isClosed() {
            return socket.isClosed();
        }
    }
}
