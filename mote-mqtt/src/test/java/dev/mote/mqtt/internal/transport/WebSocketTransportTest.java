package dev.mote.mqtt.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.MqttOptions;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The WebSocket client against a scripted server on 127.0.0.1: the upgrade request and every check
 * of the answer, then frames both ways ([MQTT-6.0.0-1..4], RFC 6455 sections 4 and 5).
 */
class WebSocketTransportTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Pattern KEY = Pattern.compile("Sec-WebSocket-Key: (\\S+)\r\n");

    private final CountDownLatch release = new CountDownLatch(1);
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        release.countDown();
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    // ---------------------------------------------------------------- the scripted server

    static String accept(String requestHead) {
        Matcher m = KEY.matcher(requestHead);
        assertTrue(m.find(), requestHead);
        return WebSocketTransport.acceptFor(m.group(1));
    }

    static String switching(String requestHead, String extra) {
        return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + accept(requestHead) + "\r\n" + extra + "\r\n";
    }

    /** A server frame (unmasked). */
    static byte[] frame(int opcode, boolean fin, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(payload.length + 10);
        b.put((byte) ((fin ? 0x80 : 0) | opcode));
        if (payload.length < 126) {
            b.put((byte) payload.length);
        } else if (payload.length <= 0xFFFF) {
            b.put((byte) 126).putShort((short) payload.length);
        } else {
            b.put((byte) 127).putLong(payload.length);
        }
        b.put(payload);
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    static byte[] binary(int... bytes) {
        byte[] p = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            p[i] = (byte) bytes[i];
        }
        return frame(WebSocketTransport.OP_BINARY, true, p);
    }

    /** A frame as the client sent it, unmasked. */
    record ClientFrame(int opcode, boolean fin, boolean masked, int mask, byte[] payload) {
        int closeCode() {
            return ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }
    }

    static ClientFrame readFrame(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int b0 = d.readUnsignedByte();
        int b1 = d.readUnsignedByte();
        long len = b1 & 0x7F;
        if (len == 126) {
            len = d.readUnsignedShort();
        } else if (len == 127) {
            len = d.readLong();
        }
        boolean masked = (b1 & 0x80) != 0;
        int mask = masked ? d.readInt() : 0;
        byte[] payload = new byte[(int) len];
        d.readFully(payload);
        for (int i = 0; i < payload.length; i++) {
            payload[i] ^= (byte) (mask >>> (24 - 8 * (i % 4)));
        }
        return new ClientFrame(b0 & 0x0F, (b0 & 0x80) != 0, masked, mask, payload);
    }

    /** A server that answers every upgrade with {@code answer(head)} and hands the socket to the test. */
    private ScriptedHttpPeer server(java.util.function.Function<String, String> answer, BlockingQueue<Socket> sockets)
            throws IOException {
        ScriptedHttpPeer p = new ScriptedHttpPeer((s, head) -> {
            s.getOutputStream().write(answer.apply(head).getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            if (sockets != null) {
                sockets.put(s);
            }
            release.await();
        });
        closeAfter.add(p);
        return p;
    }

    private Transport connect(String url, Map<String, String> headers) throws IOException {
        MqttOptions.Builder b = MqttOptions.builder(url).connectTimeout(TIMEOUT);
        if (!headers.isEmpty()) {
            b.webSocketHeaders(headers);
        }
        MqttOptions options = b.build();
        Transport t = Transports.connect(options, options.servers().get(0));
        closeAfter.add(t);
        return t;
    }

    private String refusal(java.util.function.Function<String, String> answer) throws IOException {
        ScriptedHttpPeer p = server(answer, null);
        return assertThrows(ProtocolException.class, () -> connect("ws://127.0.0.1:" + p.port(), Map.of())).getMessage();
    }

    private static byte[] readExactly(Transport t, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (t.read(b) < 0) {
                throw new EOFException("after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.array();
    }

    // ---------------------------------------------------------------- the upgrade

    @Test
    void theUpgradeRequestOffersMqttAndCarriesTheExtraHeaders() throws IOException {
        BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
        ScriptedHttpPeer p = server(h -> switching(h, "Sec-WebSocket-Protocol: mqtt\r\n"), sockets);
        Transport t = connect("ws://127.0.0.1:" + p.port() + "/broker/mqtt?token=s3cret",
                Map.of("Authorization", "Bearer abc"));
        String head = p.requests().get(0);
        assertTrue(head.startsWith("GET /broker/mqtt?token=s3cret HTTP/1.1\r\nHost: 127.0.0.1:" + p.port() + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "), head);
        assertTrue(head.contains("\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\nAuthorization: Bearer abc\r\n\r\n"),
                head);
        assertEquals(16, java.util.Base64.getDecoder().decode(head.replaceAll("(?s).*Sec-WebSocket-Key: (\\S+).*", "$1")).length);
        assertEquals("ws://127.0.0.1:" + p.port() + "/broker/mqtt", t.describe(), "the query may hold secrets: not shown");
        assertNull(t.applicationProtocol());
    }

    @Test
    void theDefaultPathIsMqttAndTheDefaultPortIsLeftOutOfHost() {
        assertEquals("/mqtt", WebSocketTransport.requestTarget("ws://broker.example"));
        assertEquals("/mqtt", WebSocketTransport.requestTarget("ws://broker.example:8080"));
        assertEquals("/", WebSocketTransport.requestTarget("wss://broker.example/"));
        assertEquals("/a%20b?x=1&y=%2F", WebSocketTransport.requestTarget("wss://broker.example/a%20b?x=1&y=%2F"));
        assertEquals("/mqtt?x", WebSocketTransport.requestTarget("wss://broker.example?x"));
    }

    @Test
    void theAcceptValueIsTheOneOfRfc6455() {
        // RFC 6455 section 1.3's example
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketTransport.acceptFor("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    @Test
    void aServerThatSelectsNoSubprotocolIsRefused() throws IOException {
        String m = refusal(h -> switching(h, ""));
        assertTrue(m.contains("did not select the WebSocket subprotocol mqtt (its answer has no Sec-WebSocket-Protocol); "
                + "an MQTT server must ([MQTT-6.0.0-4]). Is /mqtt an MQTT endpoint?"), m);
    }

    @Test
    void aServerThatSelectsAnotherSubprotocolIsRefused() throws IOException {
        String m = refusal(h -> switching(h, "Sec-WebSocket-Protocol: mqttv3.1\r\n"));
        assertTrue(m.endsWith("selected the WebSocket subprotocol \"mqttv3.1\", not the offered mqtt ([MQTT-6.0.0-4])"), m);
    }

    @Test
    void aWrongOrMissingAcceptIsRefused() throws IOException {
        String wrong = refusal(h -> switching(h, "Sec-WebSocket-Protocol: mqtt\r\n")
                .replace(accept(h), WebSocketTransport.acceptFor("AAAAAAAAAAAAAAAAAAAAAA==")));
        assertTrue(wrong.contains("a Sec-WebSocket-Accept that does not match the key sent (RFC 6455 section 4.1)"), wrong);
        String none = refusal(h -> "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Protocol: mqtt\r\n\r\n");
        assertTrue(none.contains("answered with no Sec-WebSocket-Accept"), none);
    }

    @Test
    void missingUpgradeOrConnectionHeadersAreRefused() throws IOException {
        String upgrade = refusal(h -> switching(h, "Sec-WebSocket-Protocol: mqtt\r\n").replace("Upgrade: websocket\r\n", ""));
        assertTrue(upgrade.contains("without \"Upgrade: websocket\""), upgrade);
        String connection = refusal(h -> switching(h, "Sec-WebSocket-Protocol: mqtt\r\n")
                .replace("Connection: Upgrade", "Connection: keep-alive"));
        assertTrue(connection.contains("without \"Connection: Upgrade\" (it has \"keep-alive\")"), connection);
    }

    @Test
    void extensionsThatWereNotOfferedAreRefused() throws IOException {
        String m = refusal(h -> switching(h, "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"));
        assertTrue(m.endsWith("enabled WebSocket extensions that were not offered: \"permessage-deflate\""), m);
    }

    @Test
    void refusalsSayWhatTheServerSaidWithAHint() throws IOException {
        String notFound = refusal(h -> "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        assertTrue(notFound.endsWith("refused the WebSocket upgrade of /mqtt: \"HTTP/1.1 404 Not Found\"; is /mqtt its MQTT "
                + "path? (the URL's path; /mqtt when the URL has none)"), notFound);
        String auth = refusal(h -> "HTTP/1.1 401 Unauthorized\r\n\r\n");
        assertTrue(auth.endsWith("\"HTTP/1.1 401 Unauthorized\"; does it want credentials in the upgrade request? "
                + "(MqttOptions.Builder.webSocketHeaders)"), auth);
        String plain = refusal(h -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        assertTrue(plain.endsWith("\"HTTP/1.1 200 OK\"; it is not a WebSocket endpoint"), plain);
        String version = refusal(h -> "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 8\r\n\r\n");
        assertTrue(version.endsWith("; it speaks WebSocket version \"8\", Mote 13"), version);
        String redirect = refusal(h -> "HTTP/1.1 301 Moved Permanently\r\nLocation: wss://elsewhere/mqtt\r\n\r\n");
        assertTrue(redirect.endsWith("; it redirects to \"wss://elsewhere/mqtt\", which Mote does not follow"), redirect);
    }

    @Test
    void aSilentServerIsBoundedByTheConnectTimeout() throws IOException {
        ScriptedHttpPeer p = new ScriptedHttpPeer((s, head) -> release.await());
        closeAfter.add(p);
        MqttOptions options = MqttOptions.builder("ws://127.0.0.1:" + p.port()).connectTimeout(Duration.ofMillis(400)).build();
        long start = System.nanoTime();
        SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> Transports.connect(options, options.servers().get(0)));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals("the WebSocket server 127.0.0.1:" + p.port() + " did not answer the WebSocket upgrade request within "
                + "400 ms of connecting", e.getMessage());
        assertTrue(ms >= 350 && ms < 2000, "took " + ms + " ms");
    }

    // ---------------------------------------------------------------- frames from the server

    private Socket upgraded(BlockingQueue<Socket> sockets) throws InterruptedException {
        Socket s = sockets.poll(5, TimeUnit.SECONDS);
        assertTrue(s != null, "the server saw no upgrade");
        return s;
    }

    private Transport connected(BlockingQueue<Socket> sockets) throws IOException {
        ScriptedHttpPeer p = server(h -> switching(h, "Sec-WebSocket-Protocol: mqtt\r\n"), sockets);
        return connect("ws://127.0.0.1:" + p.port() + "/mqtt", Map.of());
    }

    @Test
    void packetsMaySpanAndShareFramesAndMessages() throws Exception {
        BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
        Transport t = connected(sockets);
        Socket s = upgraded(sockets);
        OutputStream out = s.getOutputStream();
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        frames.write(binary(0x20));                          // CONNACK split over two frames ([MQTT-6.0.0-2])
        frames.write(binary(0x02, 0x00, 0x00));
        frames.write(binary());                              // an empty frame is nothing
        frames.write(binary(0xD0, 0x00, 0xD0, 0x00));        // two PINGRESPs in one frame
        frames.write(frame(WebSocketTransport.OP_BINARY, false, new byte[] {0x40, 0x02}));   // a fragmented message:
        frames.write(frame(WebSocketTransport.OP_PING, true, "are you there".getBytes(StandardCharsets.US_ASCII)));
        frames.write(frame(WebSocketTransport.OP_CONTINUATION, false, new byte[] {0x00}));   // ... with a ping between
        frames.write(frame(WebSocketTransport.OP_PONG, true, new byte[0]));                 // and an unsolicited pong
        frames.write(frame(WebSocketTransport.OP_CONTINUATION, true, new byte[] {0x07}));
        out.write(frames.toByteArray());
        out.flush();
        assertArrayEquals(new byte[] {0x20, 0x02, 0x00, 0x00, (byte) 0xD0, 0x00, (byte) 0xD0, 0x00, 0x40, 0x02, 0x00, 0x07},
                readExactly(t, 12));
        ClientFrame pong = readFrame(s.getInputStream());
        assertEquals(WebSocketTransport.OP_PONG, pong.opcode(), "the ping is answered");
        assertTrue(pong.masked() && pong.fin());
        assertEquals("are you there", new String(pong.payload(), StandardCharsets.US_ASCII));
    }

    @Test
    void aBurstOfSmallFramesIsReadInFewReads() throws Exception {
        // A broker sends each PUBACK in a frame of its own: the client's reader must not pay one read per frame.
        BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
        Transport t = connected(sockets);
        Socket s = upgraded(sockets);
        ByteArrayOutputStream burst = new ByteArrayOutputStream();
        for (int i = 0; i < 10_000; i++) {
            burst.write(binary(0x40, 0x02, i >> 8 & 0xFF, i & 0xFF));
        }
        s.getOutputStream().write(burst.toByteArray());
        s.getOutputStream().flush();
        ByteBuffer dst = ByteBuffer.allocateDirect(64 * 1024);
        int reads = 0;
        int bytes = 0;
        while (bytes < 40_000) {
            dst.clear();
            bytes += t.read(dst);
            reads++;
            dst.flip();
            for (int i = 0; i < dst.remaining(); i++) {
                int index = (bytes - dst.remaining() + i);
                int k = index / 4;
                byte expected = switch (index % 4) {
                    case 0 -> 0x40;
                    case 1 -> 0x02;
                    case 2 -> (byte) (k >> 8);
                    default -> (byte) k;
                };
                assertEquals(expected, dst.get(i), "byte " + index);
            }
        }
        assertEquals(40_000, bytes);
        assertTrue(reads < 200, "10,000 frames took " + reads + " reads");
    }

    @Test
    void bytesRightAfterTheUpgradeAnswerAreNotLost() throws Exception {
        ScriptedHttpPeer p = server(h -> switching(h, "Sec-WebSocket-Protocol: mqtt\r\n")
                + new String(binary(0x20, 0x02, 0x01, 0x00), StandardCharsets.ISO_8859_1), null);
        Transport t = connect("ws://127.0.0.1:" + p.port(), Map.of());
        assertArrayEquals(new byte[] {0x20, 0x02, 0x01, 0x00}, readExactly(t, 4));
    }

    @Test
    void aLargeFrameIsReadWholeWithBoundedBuffers() throws Exception {
        BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
        Transport t = connected(sockets);
        Socket s = upgraded(sockets);
        byte[] big = new byte[1_000_003];
        new Random(7).nextBytes(big);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                s.getOutputStream().write(frame(WebSocketTransport.OP_BINARY, true, big));
                s.getOutputStream().write(binary(1, 2, 3));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        ByteBuffer dst = ByteBuffer.allocateDirect(64 * 1024); // what the client's reader uses
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int reads = 0;
        while (got.size() < big.length + 3) {
            dst.clear();
            int n = t.read(dst);
            assertTrue(n > 0);
            reads++;
            dst.flip();
            byte[] chunk = new byte[n];
            dst.get(chunk);
            got.write(chunk);
        }
        writer.join();
        byte[] all = got.toByteArray();
        assertArrayEquals(big, java.util.Arrays.copyOf(all, big.length));
        assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOfRange(all, big.length, all.length));
        assertTrue(reads >= big.length / (64 * 1024), reads + " reads");
    }

    @Test
    void aTextFrameClosesTheConnectionWith1003() throws Exception {
        BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
        Transport t = connected(sockets);
        Socket s = upgraded(sockets);
        s.getOutputStream().write(frame(WebSocketTransport.OP_TEXT, true, "{\"hello\":1}".getBytes(StandardCharsets.UTF_8)));
        ProtocolException e = assertThrows(ProtocolException.class, () -> t.read(ByteBuffer.allocate(100)));
        assertEquals("the broker sent a WebSocket text frame; MQTT over WebSocket allows binary frames only, so the "
                + "connection was closed ([MQTT-6.0.0-1])", e.getMessage());
        ClientFrame close = readFrame(s.getInputStream());
        assertEquals(WebSocketTransport.OP_CLOSE, close.opcode());
        assertEquals(1003, close.closeCode());
        assertEquals(-1, s.getInputStream().read(), "and the connection is closed");
        assertEquals(-1, t.read(ByteBuffer.allocate(10)), "later reads see the end");
    }

    @Test
    void protocolErrorsCloseTheConnectionWith1002() throws Exception {
        List<byte[]> bad = List.of(
                new byte[] {(byte) 0x82, (byte) 0x81, 1, 2, 3, 4, 5},        // masked by the server
                new byte[] {(byte) 0xC2, 0x01, 0x00},                       // RSV1 without an extension
                new byte[] {(byte) 0x83, 0x00},                             // reserved opcode 3
                new byte[] {(byte) 0x80, 0x01, 0x00},                       // continuation outside a message
                new byte[] {(byte) 0x09, 0x00},                             // fragmented ping
                new byte[] {(byte) 0x02, 0x01, 0x00, (byte) 0x82, 0x00},    // new message inside a fragmented one
                new byte[] {(byte) 0x88, 0x01, 0x03});                      // close with a 1-byte payload
        List<String> expected = List.of("masked WebSocket frame", "reserved bits set (RSV 4)", "reserved opcode 0x3",
                "continuation frame outside a message", "fragmented WebSocket control frame",
                "new WebSocket message before finishing the last one", "close frame with a 1-byte payload");
        for (int i = 0; i < bad.size(); i++) {
            BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
            Transport t = connected(sockets);
            Socket s = upgraded(sockets);
            s.getOutputStream().write(bad.get(i));
            ByteBuffer dst = ByteBuffer.allocate(100);
            ProtocolException e = assertThrows(ProtocolException.class, () -> {
                while (true) {
                    t.read(dst); // the byte of a fragment may come first
                }
            });
            assertTrue(e.getMessage().contains(expected.get(i)), e.getMessage());
            ClientFrame close = readFrame(s.getInputStream());
            assertEquals(1002, close.closeCode(), expected.get(i));
        }
    }

    @Test
    void aNormalCloseFromTheServerIsTheEndOfTheStreamAndIsAnswered() throws Exception {
        BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
        Transport t = connected(sockets);
        Socket s = upgraded(sockets);
        s.getOutputStream().write(binary(0xD0, 0x00));
        s.getOutputStream().write(frame(WebSocketTransport.OP_CLOSE, true, new byte[] {0x03, (byte) 0xE8, 'b', 'y', 'e'}));
        assertArrayEquals(new byte[] {(byte) 0xD0, 0x00}, readExactly(t, 2));
        assertEquals(-1, t.read(ByteBuffer.allocate(10)));
        ClientFrame answer = readFrame(s.getInputStream());
        assertEquals(WebSocketTransport.OP_CLOSE, answer.opcode());
        assertEquals(1000, answer.closeCode(), "the status is echoed");
        assertThrows(IOException.class, () -> t.write(ByteBuffer.wrap(new byte[] {(byte) 0xC0, 0x00})),
                "nothing may be sent after a close frame");
    }

    @Test
    void anAbnormalCloseFromTheServerSaysWhy() throws Exception {
        BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
        Transport t = connected(sockets);
        Socket s = upgraded(sockets);
        s.getOutputStream().write(frame(WebSocketTransport.OP_CLOSE, true, new byte[] {0x03, (byte) 0xF3, 'b', 'u', 's', 'y'}));
        IOException e = assertThrows(IOException.class, () -> t.read(ByteBuffer.allocate(10)));
        assertEquals("the broker closed the WebSocket with status 1011 (internal server error): \"busy\"", e.getMessage());
    }

    @Test
    void theEndOfTheConnectionInsideAFrameIsAnError() throws Exception {
        BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
        Transport t = connected(sockets);
        Socket s = upgraded(sockets);
        s.getOutputStream().write(new byte[] {(byte) 0x82, 0x05, 1, 2});
        s.shutdownOutput();
        assertArrayEquals(new byte[] {1, 2}, readExactly(t, 2));
        EOFException e = assertThrows(EOFException.class, () -> t.read(ByteBuffer.allocate(10)));
        assertEquals("the broker closed the connection in the middle of a WebSocket frame", e.getMessage());
    }

    @Test
    void theEndOfTheConnectionBetweenFramesIsTheEndOfTheStream() throws Exception {
        BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
        Transport t = connected(sockets);
        Socket s = upgraded(sockets);
        s.getOutputStream().write(binary(7));
        s.shutdownOutput();
        assertArrayEquals(new byte[] {7}, readExactly(t, 1));
        assertEquals(-1, t.read(ByteBuffer.allocate(10)));
    }

    // ---------------------------------------------------------------- frames from the client

    @Test
    void writesAreMaskedBinaryFramesOfAtMost64KiB() throws Exception {
        BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
        Transport t = connected(sockets);
        Socket s = upgraded(sockets);
        t.write(ByteBuffer.wrap(new byte[] {(byte) 0xC0, 0x00}));
        ClientFrame ping = readFrame(s.getInputStream());
        assertEquals(new ClientFrame(WebSocketTransport.OP_BINARY, true, true, ping.mask(), ping.payload()).toString(),
                ping.toString());
        assertArrayEquals(new byte[] {(byte) 0xC0, 0x00}, ping.payload());

        byte[] big = new byte[200_000];
        new Random(3).nextBytes(big);
        ByteBuffer src = ByteBuffer.allocateDirect(big.length + 10);
        src.position(5);
        src.put(big).flip().position(5); // a direct buffer, not at position 0, as the client's writer has
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                t.write(src);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        List<Integer> sizes = new ArrayList<>();
        List<Integer> masks = new ArrayList<>();
        while (got.size() < big.length) {
            ClientFrame f = readFrame(s.getInputStream());
            assertEquals(WebSocketTransport.OP_BINARY, f.opcode());
            assertTrue(f.fin() && f.masked());
            sizes.add(f.payload().length);
            masks.add(f.mask());
            got.write(f.payload());
        }
        writer.join();
        assertFalse(src.hasRemaining(), "the whole buffer was written");
        assertEquals(List.of(65536, 65536, 65536, 3392), sizes);
        assertArrayEquals(big, got.toByteArray());
        assertNotEquals(1, masks.stream().distinct().count(), "a fresh masking key per frame");
    }

    @Test
    void maskingMatchesTheByteByByteDefinition() {
        Random r = new Random(11);
        for (int n = 0; n < 70; n++) {
            byte[] data = new byte[n + 3];
            r.nextBytes(data);
            int key = r.nextInt();
            ByteBuffer src = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            src.position(3);
            ByteBuffer dst = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
            WebSocketTransport.mask(src, n, dst, key);
            assertEquals(n + 3, src.position());
            assertEquals(ByteOrder.LITTLE_ENDIAN, dst.order(), "the caller's byte order is left alone");
            for (int i = 0; i < n; i++) {
                byte k = (byte) (key >>> (24 - 8 * (i % 4)));
                assertEquals((byte) (data[i + 3] ^ k), dst.get(i), "n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void closeSendsACloseFrameAndDoesNotWaitLongForAnAnswer() throws Exception {
        BlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
        Transport t = connected(sockets);
        Socket s = upgraded(sockets);
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                t.read(ByteBuffer.allocate(10));
            } catch (IOException expected) {
                // closed under it
            }
        });
        // Once the reader is blocked in read, close waits a little for the server's close frame.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (reader.getState() != Thread.State.WAITING && System.nanoTime() < until) {
            Thread.sleep(2); // polling a condition, not waiting for luck
        }
        assertEquals(Thread.State.WAITING, reader.getState(), "the reader should be blocked in read");
        long start = System.nanoTime();
        t.close();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        ClientFrame close = readFrame(s.getInputStream());
        assertEquals(WebSocketTransport.OP_CLOSE, close.opcode());
        assertEquals(1000, close.closeCode());
        assertEquals(-1, s.getInputStream().read());
        assertTrue(ms < 1000, "close took " + ms + " ms");
        reader.join(2000);
        assertFalse(reader.isAlive(), "close unblocks the reader");
        t.close(); // idempotent
    }
}
