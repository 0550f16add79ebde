package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.HttpProxy;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.SocksProxy;
import dev.mote.mqtt.internal.util.Printable;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * MQTT over WebSocket (MQTT 3.1.1 chapter 6): a minimal RFC 6455 client over {@link TcpTransport}
 * or {@link TlsTransport}, directly or through an HTTP or SOCKS proxy's tunnel. It offers the subprotocol
 * {@code mqtt} and insists the server selects it ([MQTT-6.0.0-3], [MQTT-6.0.0-4]), sends every
 * write as binary frames and takes only binary frames ([MQTT-6.0.0-1]: a text frame closes the
 * connection), and treats the payloads as one byte stream whatever the frame boundaries
 * ([MQTT-6.0.0-2]). No extensions are offered or accepted.
 *
 * <p><b>Why not the JDK's {@code java.net.http} WebSocket client.</b> It was the first choice, and
 * it does offer subprotocols and extra headers; two things rule it out for Mote, both checked
 * against the JDK 21 to 25 sources and a running probe:
 * <ul>
 *   <li>Behind a proxy it always tunnels with {@code CONNECT}, and drops Basic proxy credentials on
 *       tunnels, whether from an {@code Authenticator} or a {@code Proxy-Authorization} header: the
 *       JDK's default {@code jdk.http.auth.tunneling.disabledSchemes=Basic} (net.properties) is read
 *       once per JVM. An authenticating proxy would be unusable for {@code ws://} and {@code wss://}
 *       unless the application changed a JVM-wide security default.</li>
 *   <li>It forces host name verification on every TLS connection; only the JVM-wide
 *       {@code jdk.internal.httpclient.disableHostnameVerification} turns it off, so
 *       {@code TlsConfig.dangerouslyDisableHostnameVerification()} could not apply to {@code wss://}.</li>
 * </ul>
 * Built on Mote's own transports instead, {@code wss://} gets the same TLS as {@code mqtts://}
 * (protocols, SNI, the failure messages of {@code TlsFailures}), the same proxy tunnel, plain
 * blocking reads on the reader's virtual thread (no async listener to adapt, no selector thread
 * per client), and the module needs nothing beyond {@code java.base}.
 *
 * <p><b>Reading</b> happens only when the client's reader asks for bytes, so memory stays bounded
 * by the reader's buffer and a 16 KiB frame buffer whatever the frame sizes, and a slow reader
 * slows the broker through TCP. Large payloads go straight into the reader's buffer. Pings are
 * answered with pongs; a close frame ends the stream. <b>Writing</b>: each {@link #write} is sent
 * as binary frames of at most {@value #MAX_FRAME_PAYLOAD} bytes of payload (servers commonly limit
 * a frame to 64 KiB), each masked with a fresh key from a DRBG {@link SecureRandom} (RFC 6455
 * section 5.3); the caller's buffer is copied while masking, never changed. Frames never
 * interleave: a lock ({@code java.util.concurrent}, never {@code synchronized}) covers one frame's
 * write; pongs and close replies found by the reader are sent from a virtual thread of their own,
 * so the reader never waits behind a blocked write.
 */
public final class WebSocketTransport implements Transport {
    /** RFC 6455 section 1.3. */
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    static final String DEFAULT_PATH = "/mqtt";
    static final int MAX_RESPONSE_HEAD = 16 * 1024;
    static final int MAX_FRAME_PAYLOAD = 64 * 1024;
    private static final int READ_BUFFER = 16 * 1024;
    /** Payloads at least this long are read straight into the caller's buffer. */
    private static final int DIRECT_READ = 4 * 1024;
    /** How long close() may spend writing its close frame (a full send buffer would block it). */
    private static final long CLOSE_WRITE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** How long close() waits for the server's close frame or end of stream while a reader is there to see it. */
    private static final long CLOSE_ANSWER_MILLIS = 250;
    private static final SecureRandom KEYS = new SecureRandom();

    static final int OP_CONTINUATION = 0x0;
    static final int OP_TEXT = 0x1;
    static final int OP_BINARY = 0x2;
    static final int OP_CLOSE = 0x8;
    static final int OP_PING = 0x9;
    static final int OP_PONG = 0xA;

    static final int CLOSE_NORMAL = 1000;
    static final int CLOSE_GOING_AWAY = 1001;
    static final int CLOSE_PROTOCOL_ERROR = 1002;
    static final int CLOSE_UNSUPPORTED_DATA = 1003;
    static final int CLOSE_NO_STATUS = 1005;

    private final Transport base;
    private final String description;
    private final SecureRandom masks = maskSource();

    // Read side: only the reader thread touches these.
    private final ByteBuffer in;
    private long payloadLeft;
    private boolean fragmented;
    private volatile boolean ended;
    private volatile boolean reading;
    private final CountDownLatch peerDone = new CountDownLatch(1);

    // Write side: frames are written under writeLock.
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ByteBuffer out = ByteBuffer.allocateDirect(14 + MAX_FRAME_PAYLOAD);
    private final AtomicReference<byte[]> pongDue = new AtomicReference<>();
    private volatile boolean closeSent;
    private volatile boolean closed;

    private WebSocketTransport(Transport base, String description, ByteBuffer after) {
        this.base = base;
        this.description = description;
        this.in = ByteBuffer.allocate(Math.max(READ_BUFFER, after.remaining()));
        this.in.put(after).flip();
    }

    /**
     * The masking keys' source: a DRBG, seeded once from the system, then pure computation (the
     * default {@code NativePRNG} would read {@code /dev/urandom} under a monitor every few frames).
     */
    private static SecureRandom maskSource() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }

    /**
     * Connects to a {@code ws://} or {@code wss://} server (through the options' HTTP or SOCKS
     * proxy, if any) and upgrades the connection, all within the connect timeout.
     */
    static WebSocketTransport connect(MqttOptions options, MqttOptions.Server server, dev.mote.mqtt.TlsConfig tls) throws IOException {
        Duration timeout = options.connectTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean secure = server.scheme().equals("wss");
        HttpProxy proxy = options.httpProxy();
        SocksProxy socks = options.socksProxy();
        SocketChannel tunnel = proxy != null ? HttpProxyTunnel.tunnel(proxy, server.host(), server.port(), deadline, timeout)
                : socks != null ? Socks.tunnel(socks, server.host(), server.port(), deadline, timeout) : null;
        String via = proxy != null ? " via HTTP proxy " + HttpProxyTunnel.proxyAddress(proxy) : socks != null ? " via " + socks : "";
        Transport base;
        if (tunnel != null) {
            base = secure ? TlsTransport.over(tunnel.socket(), server.host(), server.port(), tls, false, deadline, timeout, via)
                    : TcpTransport.over(tunnel, server + via);
        } else {
            base = secure ? TlsTransport.connect(server.host(), server.port(), tls, false, timeout)
                    : TcpTransport.connect(server.host(), server.port(), timeout);
        }
        String target = requestTarget(server.uri());
        int query = target.indexOf('?');
        // The query may carry credentials (a pre-signed URL): never in a description.
        String description = server.scheme() + "://" + HttpProxyTunnel.authority(server.host(), server.port())
                + (query < 0 ? target : target.substring(0, query))
                + (base instanceof TlsTransport t ? " (" + t.protocol() + ")" : "") + via;
        try {
            return upgrade(base, server.host(), server.port(), secure, target, options.webSocketHeaders(), description,
                    deadline, timeout);
        } catch (IOException | RuntimeException e) {
            base.close();
            throw e;
        }
    }

    /** The path and query of the upgrade request: the URL's, {@value #DEFAULT_PATH} if it has no path. */
    static String requestTarget(String uri) {
        URI u;
        try {
            u = new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid URL: " + e.getReason());
        }
        String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? DEFAULT_PATH : u.getRawPath();
        return u.getRawQuery() == null ? path : path + "?" + u.getRawQuery();
    }

    /**
     * Sends the upgrade request on {@code base} and checks the answer (RFC 6455 section 4.1),
     * by {@code deadline}.
     */
    static WebSocketTransport upgrade(Transport base, String host, int port, boolean secure, String target,
                                      Map<String, String> headers, String description, long deadline, Duration timeout)
            throws IOException {
        String who = "the WebSocket server " + HttpProxyTunnel.authority(host, port);
        byte[] nonce = new byte[16];
        KEYS.nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        boolean defaultPort = port == (secure ? 443 : 80);
        StringBuilder r = new StringBuilder(256)
                .append("GET ").append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(defaultPort ? (host.indexOf(':') >= 0 ? "[" + host + "]" : host)
                        : HttpProxyTunnel.authority(host, port)).append("\r\n")
                .append("Upgrade: websocket\r\n")
                .append("Connection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(key).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n")
                .append("Sec-WebSocket-Protocol: mqtt\r\n");
        headers.forEach((name, value) -> r.append(name).append(": ").append(value).append("\r\n"));
        byte[] request = r.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);

        Watchdog watchdog = Watchdog.start(deadline, base::close);
        HttpResponseHead.Read answer;
        try {
            base.write(ByteBuffer.wrap(request));
            answer = HttpResponseHead.read(base::read, MAX_RESPONSE_HEAD, who);
        } catch (IOException e) {
            if (!watchdog.disarm()) {
                throw noUpgrade(who, timeout, e);
            }
            throw e;
        }
        if (!watchdog.disarm()) {
            throw noUpgrade(who, timeout, null);
        }
        check(answer.head(), key, who, target);
        return new WebSocketTransport(base, description, answer.after());
    }

    private static SocketTimeoutException noUpgrade(String who, Duration timeout, IOException cause) {
        SocketTimeoutException t = new SocketTimeoutException(who + " did not answer the WebSocket upgrade request within "
                + timeout.toMillis() + " ms of connecting");
        t.initCause(cause);
        return t;
    }

    /** The checks of RFC 6455 section 4.1 (client side) and [MQTT-6.0.0-4] on the server's answer. */
    static void check(HttpResponseHead head, String key, String who, String target) throws ProtocolException {
        int query = target.indexOf('?');
        String path = query < 0 ? target : target.substring(0, query);
        String said = Printable.quote(head.statusLine());
        if (head.status() != 101) {
            String hint = switch (head.status()) {
                case 401, 403 -> "; does it want credentials in the upgrade request? (MqttOptions.Builder.webSocketHeaders)";
                case 404 -> "; is " + path + " its MQTT path? (the URL's path; " + DEFAULT_PATH + " when the URL has none)";
                case 301, 302, 303, 307, 308 -> "; it redirects to " + Printable.quote(String.valueOf(head.header("location")))
                        + ", which Mote does not follow";
                case 400, 426 -> head.header("sec-websocket-version") != null
                        ? "; it speaks WebSocket version " + Printable.quote(head.header("sec-websocket-version")) + ", Mote 13"
                        : "";
                case 200 -> "; it is not a WebSocket endpoint";
                default -> "";
            };
            throw new ProtocolException(who + " refused the WebSocket upgrade of " + path + ": " + said + hint);
        }
        if (!"websocket".equalsIgnoreCase(head.header("upgrade"))) {
            throw new ProtocolException(who + " answered " + said + " without \"Upgrade: websocket\" (it has "
                    + Printable.quote(String.valueOf(head.header("upgrade"))) + ")");
        }
        if (!head.hasToken("connection", "upgrade")) {
            throw new ProtocolException(who + " answered " + said + " without \"Connection: Upgrade\" (it has "
                    + Printable.quote(String.valueOf(head.header("connection"))) + ")");
        }
        String accept = head.header("sec-websocket-accept");
        if (!acceptFor(key).equals(accept)) {
            throw new ProtocolException(who + " answered with " + (accept == null ? "no Sec-WebSocket-Accept"
                    : "a Sec-WebSocket-Accept that does not match the key sent") + " (RFC 6455 section 4.1); "
                    + "is something between the client and the server answering for it?");
        }
        if (!head.headers("sec-websocket-extensions").isEmpty()) {
            throw new ProtocolException(who + " enabled WebSocket extensions that were not offered: "
                    + Printable.quote(String.join(", ", head.headers("sec-websocket-extensions"))));
        }
        String protocol = head.header("sec-websocket-protocol");
        if (protocol == null) {
            throw new ProtocolException(who + " did not select the WebSocket subprotocol mqtt (its answer has no "
                    + "Sec-WebSocket-Protocol); an MQTT server must ([MQTT-6.0.0-4]). Is " + path + " an MQTT endpoint?");
        }
        if (!protocol.equals("mqtt")) {
            throw new ProtocolException(who + " selected the WebSocket subprotocol " + Printable.quote(protocol)
                    + ", not the offered mqtt ([MQTT-6.0.0-4])");
        }
    }

    /** Sec-WebSocket-Accept for a key: base64 of the SHA-1 of the key and the GUID (RFC 6455 section 4.2.2). */
    static String acceptFor(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            return Base64.getEncoder().encodeToString(sha1.digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
    }

    // ------------------------------------------------------------------ reading

    @Override
    public int bytesBuffered() {
        int below = base.bytesBuffered();
        if (below < 0) {
            return -1;
        }
        // Asked while the reader is paused outside read(), when the buffer holds the unread bytes
        // between position and limit; a racy read of two ints is enough for "anything or nothing".
        return reading ? -1 : below + in.remaining();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        reading = true;
        try {
            int n = readPayload(dst);
            if (n < 0) {
                peerDone.countDown();
            }
            return n;
        } catch (IOException | RuntimeException e) {
            peerDone.countDown();
            throw e;
        } finally {
            reading = false;
        }
    }

    /**
     * Copies payload bytes into {@code dst}: from as many frames as are already buffered (so that
     * a burst of small frames, a PUBACK each, is one read for the client, not one per frame), and
     * waits for more only while nothing was copied yet. A failure found after some bytes were
     * copied is thrown by the next call, so those bytes are not lost.
     */
    private int readPayload(ByteBuffer dst) throws IOException {
        if (deferred != null) {
            IOException e = deferred;
            deferred = null;
            throw e;
        }
        int total = 0;
        try {
            while (true) {
                if (ended) {
                    return total > 0 ? total : -1;
                }
                if (payloadLeft > 0) {
                    if (in.hasRemaining()) {
                        int n = (int) Math.min(Math.min(in.remaining(), dst.remaining()), payloadLeft);
                        int limit = in.limit();
                        in.limit(in.position() + n);
                        dst.put(in);
                        in.limit(limit);
                        payloadLeft -= n;
                        total += n;
                        if (!dst.hasRemaining()) {
                            return total;
                        }
                        continue;
                    }
                    if (total > 0) {
                        return total;
                    }
                    if (payloadLeft >= DIRECT_READ && dst.remaining() >= DIRECT_READ) {
                        int limit = dst.limit();
                        dst.limit(dst.position() + (int) Math.min(dst.remaining(), payloadLeft));
                        int n;
                        try {
                            n = base.read(dst);
                        } finally {
                            dst.limit(limit);
                        }
                        if (n < 0) {
                            throw new EOFException("the broker closed the connection in the middle of a WebSocket frame");
                        }
                        payloadLeft -= n;
                        if (n > 0) {
                            return n;
                        }
                        continue;
                    }
                    if (!fill()) {
                        throw new EOFException("the broker closed the connection in the middle of a WebSocket frame");
                    }
                    continue;
                }
                int result = nextFrame();
                if (result == END) {
                    return total > 0 ? total : -1;
                }
                if (result == NEED_BYTES) {
                    if (total > 0) {
                        return total;
                    }
                    if (!fill()) {
                        if (in.hasRemaining() || fragmented) {
                            throw new EOFException("the broker closed the connection in the middle of a WebSocket "
                                    + (fragmented ? "message" : "frame header"));
                        }
                        ended = true;
                        return -1; // TCP closed at a frame boundary, without a close frame
                    }
                }
            }
        } catch (IOException e) {
            if (total > 0) {
                deferred = e;
                return total;
            }
            throw e;
        }
    }

    /** A failure found after bytes were copied, thrown by the next read. */
    private IOException deferred;

    /** Reads more bytes from the connection into {@link #in}; false at end of stream. */
    private boolean fill() throws IOException {
        in.compact();
        try {
            return base.read(in) >= 0;
        } finally {
            in.flip();
        }
    }

    private static final int NEED_BYTES = 0;
    private static final int FRAME = 1;
    private static final int END = 2;

    /**
     * Takes the next frame header from {@link #in} (RFC 6455 section 5.2): a data frame sets
     * {@link #payloadLeft}; a control frame is read whole and handled.
     *
     * @return {@link #NEED_BYTES} if the header (or a control frame) is not all there yet,
     *         {@link #END} after a close frame, else {@link #FRAME}
     */
    private int nextFrame() throws IOException {
        int start = in.position();
        int available = in.remaining();
        if (available < 2) {
            return NEED_BYTES;
        }
        int b0 = in.get(start) & 0xFF;
        int b1 = in.get(start + 1) & 0xFF;
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        if ((b0 & 0x70) != 0) {
            throw fail(CLOSE_PROTOCOL_ERROR, "the broker sent a WebSocket frame with reserved bits set (RSV "
                    + ((b0 >> 4) & 7) + ") although no extension was agreed");
        }
        if ((b1 & 0x80) != 0) {
            throw fail(CLOSE_PROTOCOL_ERROR, "the broker sent a masked WebSocket frame; a server must not mask (RFC 6455 section 5.1)");
        }
        int len7 = b1 & 0x7F;
        int headerLength = len7 == 127 ? 10 : len7 == 126 ? 4 : 2;
        if (available < headerLength) {
            return NEED_BYTES;
        }
        long length = len7 == 127 ? in.getLong(start + 2) : len7 == 126 ? in.getShort(start + 2) & 0xFFFF : len7;
        if (length < 0) {
            throw fail(CLOSE_PROTOCOL_ERROR, "the broker sent a WebSocket frame length with the most significant bit set");
        }
        switch (opcode) {
            case OP_BINARY, OP_CONTINUATION -> {
                if (opcode == OP_BINARY && fragmented) {
                    throw fail(CLOSE_PROTOCOL_ERROR, "the broker started a new WebSocket message before finishing the last one");
                }
                if (opcode == OP_CONTINUATION && !fragmented) {
                    throw fail(CLOSE_PROTOCOL_ERROR, "the broker sent a WebSocket continuation frame outside a message");
                }
                fragmented = !fin;
                in.position(start + headerLength);
                payloadLeft = length;
                return FRAME;
            }
            case OP_TEXT -> throw fail(CLOSE_UNSUPPORTED_DATA, "the broker sent a WebSocket text frame; MQTT over WebSocket "
                    + "allows binary frames only, so the connection was closed ([MQTT-6.0.0-1])");
            case OP_CLOSE, OP_PING, OP_PONG -> {
                if (!fin || length > 125) {
                    throw fail(CLOSE_PROTOCOL_ERROR, "the broker sent a " + (fin ? "WebSocket control frame longer than 125 bytes"
                            : "fragmented WebSocket control frame") + " (RFC 6455 section 5.5)");
                }
                if (available < headerLength + length) {
                    return NEED_BYTES;
                }
                byte[] payload = new byte[(int) length];
                in.position(start + headerLength);
                in.get(payload);
                return control(opcode, payload);
            }
            default -> throw fail(CLOSE_PROTOCOL_ERROR, "the broker sent a WebSocket frame with the reserved opcode 0x"
                    + Integer.toHexString(opcode));
        }
    }

    private int control(int opcode, byte[] payload) throws IOException {
        switch (opcode) {
            case OP_PING -> {
                pongDue.set(payload);
                sendLater();
                return FRAME;
            }
            case OP_PONG -> {
                return FRAME; // unsolicited pongs are allowed and mean nothing (RFC 6455 section 5.5.3)
            }
            default -> {
                if (payload.length == 1) {
                    throw fail(CLOSE_PROTOCOL_ERROR, "the broker sent a WebSocket close frame with a 1-byte payload");
                }
                int code = payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : CLOSE_NO_STATUS;
                String reason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
                ended = true;
                peerDone.countDown();
                if (!closeSent) {
                    // Answer with the same status (RFC 6455 section 5.5.1), without waiting here.
                    closeDue = payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0];
                    sendLater();
                }
                if (code == CLOSE_NORMAL || code == CLOSE_GOING_AWAY || code == CLOSE_NO_STATUS) {
                    return END;
                }
                throw new IOException("the broker closed the WebSocket with status " + code + describe(code)
                        + (reason.isEmpty() ? "" : ": " + Printable.quote(reason)));
            }
        }
    }

    private volatile byte[] closeDue;

    private static String describe(int code) {
        return switch (code) {
            case CLOSE_PROTOCOL_ERROR -> " (protocol error)";
            case CLOSE_UNSUPPORTED_DATA -> " (unsupported data)";
            case 1007 -> " (invalid payload data)";
            case 1008 -> " (policy violation)";
            case 1009 -> " (message too big)";
            case 1011 -> " (internal server error)";
            default -> "";
        };
    }

    /**
     * A protocol error found by the reader: sends a close frame with {@code code} (bounded), closes
     * the connection, and returns the exception for the reader to throw.
     */
    private IOException fail(int code, String message) {
        ended = true;
        sendClose(code);
        closed = true;
        base.close();
        return new ProtocolException(message);
    }

    // ------------------------------------------------------------------ writing

    @Override
    public void write(ByteBuffer src) throws IOException {
        writeLock.lock();
        try {
            if (closeSent) {
                throw new SocketException("the WebSocket connection is closed");
            }
            while (src.hasRemaining()) {
                writeFrame(OP_BINARY, src, Math.min(src.remaining(), MAX_FRAME_PAYLOAD));
            }
            sendDue();
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes one frame with FIN set and {@code n} bytes of {@code src}, masked; call with the lock held. */
    private void writeFrame(int opcode, ByteBuffer src, int n) throws IOException {
        out.clear();
        out.put((byte) (0x80 | opcode));
        if (n < 126) {
            out.put((byte) (0x80 | n));
        } else if (n <= 0xFFFF) {
            out.put((byte) (0x80 | 126)).putShort((short) n);
        } else {
            out.put((byte) (0x80 | 127)).putLong(n);
        }
        int mask = masks.nextInt();
        out.putInt(mask);
        mask(src, n, out, mask);
        out.flip();
        base.write(out);
    }

    /** Copies {@code n} bytes of {@code src} to {@code dst}, XOR-ed with the 4-byte key (RFC 6455 section 5.3), 8 at a time. */
    static void mask(ByteBuffer src, int n, ByteBuffer dst, int key) {
        ByteBuffer s = src.slice(src.position(), n).order(ByteOrder.BIG_ENDIAN);
        src.position(src.position() + n);
        ByteOrder order = dst.order();
        dst.order(ByteOrder.BIG_ENDIAN);
        long key8 = ((long) key << 32) | (key & 0xFFFFFFFFL);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            dst.putLong(s.getLong(i) ^ key8);
        }
        for (; i < n; i++) {
            dst.put((byte) (s.get(i) ^ (key >>> (24 - ((i & 3) << 3)))));
        }
        dst.order(order);
    }

    /** Sends a due pong or close answer now; call with the lock held. */
    private void sendDue() throws IOException {
        byte[] close = closeDue;
        if (close != null && !closeSent) {
            closeDue = null;
            closeSent = true;
            writeFrame(OP_CLOSE, ByteBuffer.wrap(close), close.length);
            return;
        }
        byte[] pong = pongDue.getAndSet(null);
        if (pong != null && !closeSent) {
            writeFrame(OP_PONG, ByteBuffer.wrap(pong), pong.length);
        }
    }

    /** Answers found by the reader go out from a virtual thread, so the reader never waits behind a blocked write. */
    private void sendLater() {
        Thread.ofVirtual().name("mote-websocket-answer").start(() -> {
            writeLock.lock();
            try {
                if (!closed) {
                    sendDue();
                }
            } catch (IOException ignored) {
                // the connection is failing; the reader or writer will say so
            } finally {
                writeLock.unlock();
            }
        });
    }

    /**
     * Sends a close frame with {@code code} unless one was sent, if no write is in the middle of a
     * frame; the write is bounded, after which the connection is closed under it.
     */
    private void sendClose(int code) {
        if (closeSent || !writeLock.tryLock()) {
            return; // a frame write is stuck: a close frame now would corrupt it, and closing TCP says enough
        }
        try {
            if (closeSent) {
                return;
            }
            closeSent = true;
            try (Watchdog bound = Watchdog.start(System.nanoTime() + CLOSE_WRITE_NANOS, base::close)) {
                writeFrame(OP_CLOSE, ByteBuffer.wrap(new byte[] {(byte) (code >> 8), (byte) code}), 2);
            } catch (IOException ignored) {
                // closing anyway
            }
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Sends a close frame (status 1000) if no write is stuck, waits briefly for the server's close
     * frame while a reader is there to see it, and closes the connection; never blocks for long.
     */
    @Override
    public void close() {
        if (closed) {
            base.close();
            return;
        }
        closed = true;
        sendClose(CLOSE_NORMAL);
        if (reading && !ended) {
            try {
                peerDone.await(CLOSE_ANSWER_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        base.close();
    }

    @Override
    public String describe() {
        return description;
    }
}
