package dev.mote.mqtt;

import static dev.mote.mqtt.ClientTestSupport.assertFailure;
import static dev.mote.mqtt.ClientTestSupport.assertFails;
import static dev.mote.mqtt.ClientTestSupport.assertNoClientThreadsLeft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.ClientTestSupport.Async;
import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Disconnect;
import dev.mote.mqtt.internal.codec.PacketDecoder;
import dev.mote.mqtt.internal.codec.PacketEncoder;
import dev.mote.mqtt.internal.codec.Pingreq;
import dev.mote.mqtt.internal.codec.Pingresp;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.internal.codec.Suback;
import dev.mote.mqtt.testpeer.ScriptedPeer;
import dev.mote.mqtt.testpeer.ScriptedPeer.Received;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A hostile broker: the misbehaviours that {@link ClientScriptedPeerTest} does not try, each
 * with its exact outcome (exception type and the key words of its message, what happens to the
 * connection and to pending operations, how fast), and no client thread left behind. The table
 * in docs/hardening.md lists these together with the ones tried there.
 *
 * <p>Reconnect is off throughout: the subject is what one connection does when it breaks.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostileBrokerTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration QUIET = Duration.ofMillis(300);
    /**
     * The most packets a broker may leave the client owing it while not reading: the client's
     * limit (1,024) plus what one 64 KiB read can ask for (16,384 four-byte PUBRELs).
     */
    private static final int OWED_BOUND = 1_024 + 16_384;

    private ScriptedPeer peer;
    private final List<MqttClient> clients = Collections.synchronizedList(new ArrayList<>());
    private final List<AutoCloseable> closeLater = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void startPeer() throws IOException {
        peer = ScriptedPeer.start();
    }

    @AfterEach
    void closeEverythingAndCheckThreads() throws Exception {
        try {
            for (MqttClient c : clients) {
                c.close();
            }
        } finally {
            peer.close();
            for (AutoCloseable c : closeLater) {
                c.close();
            }
        }
        assertNoClientThreadsLeft(WAIT);
    }

    // ---------------------------------------------------------------- helpers

    private MqttOptions.Builder options(String uri) {
        return MqttOptions.builder(uri)
                .reconnect(ReconnectPolicy.disabled())
                .clientId("client-under-test")
                .connectTimeout(WAIT)
                .closeTimeout(Duration.ofMillis(200));
    }

    private MqttOptions.Builder options() {
        return options(peer.uri());
    }

    private String server() {
        return "mqtt://127.0.0.1:" + peer.port();
    }

    private Async<MqttClient> connectAsync(MqttOptions options) {
        return Async.start("connect", () -> {
            MqttClient c = MqttClient.connect(options);
            clients.add(c);
            return c;
        });
    }

    private MqttClient connect(MqttOptions.Builder options) {
        Async<MqttClient> f = connectAsync(options.build());
        peer.expect(Connect.class);
        peer.send(new Connack(false, 0));
        return f.get(WAIT);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] hex(String s) {
        return java.util.HexFormat.ofDelimiter(" ").parseHex(s);
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** A client with a QoS 1 publish the peer has seen and not acknowledged. */
    private final class Pending {
        final MqttClient client;
        final Delivery delivery;

        Pending(MqttOptions.Builder options) {
            client = connect(options);
            delivery = client.publish("pending/topic", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            assertEquals("pending/topic", peer.expect(Publish.class).topic());
        }

        Pending() {
            this(options());
        }

        /**
         * The client closed the connection; the pending delivery failed with {@code type} whose
         * message has {@code words}; later calls throw ClientClosedException caused by it.
         */
        <T extends MqttException> T assertClosedWith(Class<T> type, String... words) {
            peer.awaitClosedByClient(WAIT);
            T e = assertFails(type, () -> delivery.await(WAIT), words);
            assertEquals(Delivery.Status.FAILED, delivery.status());
            assertFalse(client.isConnected());
            ClientClosedException closed = assertFails(ClientClosedException.class,
                    () -> client.publish("later", "y", Qos.AT_MOST_ONCE), "the client is closed: ");
            assertFailure(type, closed.getCause(), words);
            assertNoClientThreadsLeft(WAIT);
            return e;
        }

        /** As {@link #assertClosedWith}, for a ProtocolViolationException. */
        ProtocolViolationException assertViolation(String... words) {
            List<String> all = new ArrayList<>(List.of("broker " + server() + " "));
            all.addAll(List.of(words));
            all.add("the connection was closed");
            return assertClosedWith(ProtocolViolationException.class, all.toArray(String[]::new));
        }
    }

    /**
     * A server socket that accepts one connection, reads CONNECT, may answer CONNACK, and then
     * does whatever the test does with the raw socket (including nothing at all).
     */
    private static final class RawBroker implements AutoCloseable {
        final ServerSocket server;
        Socket socket;

        RawBroker() throws IOException {
            server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        }

        String uri() {
            return "mqtt://127.0.0.1:" + server.getLocalPort();
        }

        /** Accepts, reads the CONNECT frame, sends an accepting CONNACK. */
        Socket acceptAndConnack() throws Exception {
            server.setSoTimeout(5_000);
            socket = server.accept();
            InputStream in = socket.getInputStream();
            PacketDecoder decoder = new PacketDecoder(1 << 16);
            byte[] one = new byte[1];
            Object p = null;
            while (p == null) {
                if (in.read(one) < 0) {
                    throw new IOException("the client closed before CONNECT");
                }
                p = decoder.decode(ByteBuffer.wrap(one));
            }
            assertInstanceOf(Connect.class, p);
            socket.getOutputStream().write(PacketEncoder.encode(new Connack(false, 0)));
            return socket;
        }

        @Override
        public void close() throws IOException {
            if (socket != null) {
                socket.close();
            }
            server.close();
        }
    }

    // ================================================================ framing

    @Nested
    class Framing {

        @Test
        void lengthLargerThanTheDataThenSilenceIsEndedByKeepAlive() {
            Pending p = new Pending(options().keepAlive(Duration.ofSeconds(1)).pingTimeout(Duration.ofMillis(500)));
            // A PUBLISH claiming 10 body bytes, of which 3 come; then nothing, ever.
            peer.sendRaw(hex("30 0A 00 03 61"));
            long start = System.nanoTime();
            peer.expect(Pingreq.class, Duration.ofSeconds(3));
            p.assertClosedWith(ConnectionLostException.class,
                    "connection to " + server() + " is dead", "no PINGRESP within 500 ms of PINGREQ (keep-alive 1 s)");
            long millis = millisSince(start);
            // One keep-alive interval of silence, then the ping timeout.
            assertTrue(millis >= 1_000 && millis < 4_000, "closed " + millis + " ms after the partial packet");
        }

        @Test
        void lengthLargerThanTheDataWithoutKeepAliveTimesOutOnlyTheCall() {
            MqttClient client = connect(options().keepAlive(Duration.ZERO).ackTimeout(Duration.ofMillis(500)));
            peer.sendRaw(hex("30 0A 00 03 61"));
            long start = System.nanoTime();
            assertFails(MqttTimeoutException.class,
                    () -> client.publish("t", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.ACK),
                    "timed out after 500 ms");
            long millis = millisSince(start);
            assertTrue(millis >= 450 && millis < 3_000, "timed out after " + millis + " ms");
            peer.expect(Publish.class);
            // Without keep-alive nothing can tell this silence from a quiet broker: the
            // connection stays, and close still ends it promptly.
            peer.expectNothing(QUIET);
            assertTrue(client.isConnected());
            start = System.nanoTime();
            client.close();
            assertTrue(millisSince(start) < 2_000, "close took " + millisSince(start) + " ms");
            assertInstanceOf(Disconnect.class, peer.next(WAIT).packet());
            peer.awaitClosedByClient(WAIT);
        }

        @Test
        void headerClaimingAHugePacketIsRejectedBeforeItsBody() {
            Pending p = new Pending();
            long start = System.nanoTime();
            // The largest remaining length (268,435,455) and not one body byte.
            peer.sendRaw(hex("30 FF FF FF 7F"));
            p.assertViolation("sent a malformed packet",
                    "packet of 268435460 bytes exceeds the maximum packet size of 16777216");
            assertTrue(millisSince(start) < 2_000, "took " + millisSince(start) + " ms");
        }

        @Test
        void reservedPacketType0() {
            Pending p = new Pending();
            peer.sendRaw(hex("00 00"));
            p.assertViolation("sent a malformed packet", "reserved packet type 0");
        }

        static Stream<Arguments> reservedFlags() {
            return Stream.of(
                    Arguments.of("41 02 00 01", "PUBACK with fixed-header flags 0001, expected 0000"),
                    Arguments.of("58 02 00 01", "PUBREC with fixed-header flags 1000, expected 0000"),
                    Arguments.of("64 02 00 01", "PUBREL with fixed-header flags 0100, expected 0010"),
                    Arguments.of("71 02 00 01", "PUBCOMP with fixed-header flags 0001, expected 0000"),
                    Arguments.of("92 03 00 01 00", "SUBACK with fixed-header flags 0010, expected 0000"),
                    Arguments.of("B2 02 00 01", "UNSUBACK with fixed-header flags 0010, expected 0000"),
                    Arguments.of("DF 00", "PINGRESP with fixed-header flags 1111, expected 0000"),
                    Arguments.of("38 04 00 01 61 78", "PUBLISH with QoS 0 has DUP set"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("reservedFlags")
        void reservedFixedHeaderFlagBits(String wire, String words) {
            Pending p = new Pending();
            peer.sendRaw(hex(wire));
            p.assertViolation("sent a malformed packet", words);
        }

        static Stream<Arguments> wrongLengths() {
            return Stream.of(
                    Arguments.of("40 03 00 01 00", "PUBACK with remaining length 3, expected 2"),
                    Arguments.of("D0 01 00", "PINGRESP with remaining length 1, expected 0"),
                    Arguments.of("90 02 00 01", "SUBACK with no return code"),
                    Arguments.of("30 01 00", "PUBLISH topic is cut off inside its length prefix"),
                    Arguments.of("32 05 00 01 61 00 00", "PUBLISH with packet identifier 0"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("wrongLengths")
        void packetsWhoseBodyDoesNotFitTheirType(String wire, String words) {
            Pending p = new Pending();
            peer.sendRaw(hex(wire));
            p.assertViolation("sent a malformed packet", words);
        }
    }

    // ================================================================ topics

    @Nested
    class Topics {

        static Stream<Arguments> badUtf8() {
            return Stream.of(
                    Arguments.of("61 C3 28", "is not well-formed UTF-8 at byte 1 (incomplete sequence)"),
                    Arguments.of("61 ED A0 80", "is not well-formed UTF-8 at byte 1 (encoded surrogate)"),
                    Arguments.of("C0 AF", "is not well-formed UTF-8 at byte 0 (overlong encoding)"),
                    Arguments.of("61 FF", "is not well-formed UTF-8 at byte 1 (invalid byte 0xFF)"),
                    Arguments.of("61 E2 82", "is not well-formed UTF-8 at byte 1 (truncated sequence)"),
                    Arguments.of("61 00 62", "contains U+0000 at byte 1"));
        }

        @ParameterizedTest(name = "topic {0}")
        @MethodSource("badUtf8")
        void publishWithAnInvalidTopic(String topicHex, String words) {
            Pending p = new Pending();
            byte[] topic = hex(topicHex);
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            wire.write(0x30);
            wire.write(2 + topic.length + 1);
            wire.write(0);
            wire.write(topic.length);
            wire.writeBytes(topic);
            wire.write('x');
            peer.sendRaw(wire.toByteArray());
            p.assertViolation("sent a malformed packet", "PUBLISH topic " + words);
        }

        @Test
        void publishWithAMultiLevelWildcard() {
            Pending p = new Pending();
            peer.send(new Publish("x/#", bytes("w"), 1, false, false, 3));
            p.assertViolation("sent a PUBLISH whose topic name contains a wildcard", "\"x/#\"");
        }

        @Test
        void publishWithAnEmptyTopic() {
            Pending p = new Pending();
            peer.send(new Publish("", bytes("w"), 0, false, false, 0));
            p.assertViolation("sent a PUBLISH with an empty topic name");
        }
    }

    // ================================================================ acknowledgements and order

    @Nested
    class Acknowledgements {

        static Stream<Arguments> unknownAcks() {
            return Stream.of(
                    Arguments.of("50 02 10 92", "sent PUBREC for packet id 4242, which this client has not used"),
                    Arguments.of("70 02 10 92", "sent PUBCOMP for packet id 4242, which this client has not used"),
                    Arguments.of("90 03 10 92 00", "sent SUBACK for packet id 4242, which this client has not used"),
                    Arguments.of("B0 02 10 92", "sent UNSUBACK for packet id 4242, which this client has not used"),
                    // id 1 is the pending QoS 1 publish
                    Arguments.of("50 02 00 01", "sent PUBREC for packet id 1, which belongs to a QoS 1 PUBLISH waiting for PUBACK"),
                    Arguments.of("90 03 00 01 00", "sent SUBACK for packet id 1, which belongs to a QoS 1 PUBLISH waiting for PUBACK"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("unknownAcks")
        void ackForAnIdNeverUsedOrOfAnotherKind(String wire, String words) {
            Pending p = new Pending();
            peer.sendRaw(hex(wire));
            p.assertViolation(words);
        }

        @Test
        void pubackForAQos2Publish() {
            Pending p = new Pending();
            p.client.publish("q2", bytes("x"), Qos.EXACTLY_ONCE, false, Wait.NONE);
            int id = peer.expect(Publish.class).packetId();
            peer.send(new Puback(id));
            p.assertViolation("sent PUBACK for packet id " + id + ", which belongs to a QoS 2 PUBLISH waiting for PUBREC");
        }

        @Test
        void subackWithFewerReturnCodesThanFilters() {
            Pending p = new Pending();
            Subscription sub = p.client.subscribe(List.of(TopicFilter.of("s/1", Qos.AT_LEAST_ONCE),
                    TopicFilter.of("s/2", Qos.AT_LEAST_ONCE)), null, Wait.NONE);
            Subscribe s = peer.expect(Subscribe.class);
            peer.send(new Suback(s.packetId(), new int[] {1}));
            p.assertViolation("sent a SUBACK with 1 return codes for a SUBSCRIBE of 2 filters");
            assertFails(ProtocolViolationException.class, sub::grantedQos, "SUBACK with 1 return codes");
            assertFalse(sub.isActive());
        }

        static Stream<Arguments> beforeConnack() {
            return Stream.of(
                    Arguments.of("30 04 00 01 61 78", "sent PUBLISH before CONNACK"),
                    Arguments.of("D0 00", "sent PINGRESP before CONNACK"),
                    Arguments.of("90 03 00 01 00", "sent SUBACK before CONNACK"),
                    Arguments.of("62 02 00 01", "sent PUBREL before CONNACK"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("beforeConnack")
        void packetBeforeConnack(String wire, String words) {
            long start = System.nanoTime();
            Async<MqttClient> f = connectAsync(options().build());
            peer.expect(Connect.class);
            peer.sendRaw(hex(wire));
            assertFailure(ProtocolViolationException.class, f.failure(WAIT),
                    "broker " + server() + " " + words, "the connection was closed");
            assertTrue(millisSince(start) < 3_000);
            peer.awaitClosedByClient(WAIT);
            assertNoClientThreadsLeft(WAIT);
        }
    }

    // ================================================================ the connection itself

    @Nested
    class ConnectionLevel {

        @Test
        void connackTrickledOneByteASecondWithinTheConnectTimeoutConnects() {
            long start = System.nanoTime();
            Async<MqttClient> f = connectAsync(options().connectTimeout(Duration.ofSeconds(6)).build());
            peer.expect(Connect.class);
            trickle(hex("20 02 01 00"), Duration.ofSeconds(1));
            MqttClient client = f.get(Duration.ofSeconds(8));
            long millis = millisSince(start);
            assertTrue(millis >= 2_900 && millis < 6_000, "connected after " + millis + " ms");
            assertTrue(client.isConnected());
            assertTrue(client.sessionPresent());
        }

        @Test
        void connackTrickledTooSlowlyTimesOutCleanly() {
            long start = System.nanoTime();
            Async<MqttClient> f = connectAsync(options().connectTimeout(Duration.ofMillis(1_500)).build());
            peer.expect(Connect.class);
            Thread trickler = trickle(hex("20 02 00 00"), Duration.ofSeconds(1));
            assertFailure(MqttTimeoutException.class, f.failure(WAIT),
                    "no CONNACK from " + server() + " within 1500 ms of connecting");
            long millis = millisSince(start);
            assertTrue(millis >= 1_400 && millis < 3_500, "timed out after " + millis + " ms");
            peer.awaitClosedByClient(WAIT);
            assertNoClientThreadsLeft(WAIT);
            trickler.interrupt();
        }

        /** Sends one byte every {@code every} on a thread of its own, until done or the socket fails. */
        private Thread trickle(byte[] wire, Duration every) {
            ScriptedPeer.PeerConnection c = peer.connection();
            return Thread.ofVirtual().name("trickle").start(() -> {
                try {
                    for (int i = 0; i < wire.length; i++) {
                        if (i > 0) {
                            Thread.sleep(every);
                        }
                        c.sendRaw(new byte[] {wire[i]});
                    }
                } catch (InterruptedException | AssertionError stopped) {
                    // the client is gone, or the test is over
                }
            });
        }

        @Test
        void brokerThatNeverAcceptsTimesOutWithinTheConnectTimeout() throws IOException {
            // Bound and listening, never accept()ed: the kernel completes the TCP handshake and
            // takes the CONNECT into its buffers, and nothing ever answers.
            ServerSocket backlogOnly = new ServerSocket();
            backlogOnly.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            closeLater.add(backlogOnly);
            String uri = "mqtt://127.0.0.1:" + backlogOnly.getLocalPort();
            long start = System.nanoTime();
            MqttTimeoutException e = assertFails(MqttTimeoutException.class,
                    () -> MqttClient.connect(options(uri).connectTimeout(Duration.ofMillis(500)).build()),
                    "no CONNACK from " + uri + " within 500 ms of connecting");
            assertNotNull(e);
            long millis = millisSince(start);
            assertTrue(millis >= 450 && millis < 3_000, "timed out after " + millis + " ms");
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void brokerClosingInsideConnack() {
            Async<MqttClient> f = connectAsync(options().build());
            peer.expect(Connect.class);
            peer.sendRaw(hex("20 02"));
            peer.closeConnection();
            assertFailure(ConnectionLostException.class, f.failure(WAIT),
                    "broker " + server() + " closed the connection before sending CONNACK");
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void brokerClosingInsideAPublish() {
            Pending p = new Pending();
            Subscription sub = subscribeOne(p.client, "in/#");
            byte[] wire = PacketEncoder.encode(new Publish("in/x", bytes("never whole"), 1, false, false, 9));
            peer.sendRaw(java.util.Arrays.copyOf(wire, wire.length - 4));
            peer.closeConnection();
            String lost = "broker " + server() + " closed the connection";
            assertFails(ConnectionLostException.class, () -> p.delivery.await(WAIT), lost);
            assertNull(sub.receive(WAIT), "the half message is never delivered");
            assertFalse(sub.isActive());
            assertFalse(p.client.isConnected());
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void brokerResettingTheConnection() throws Exception {
            RawBroker raw = new RawBroker();
            closeLater.add(raw);
            Async<MqttClient> f = connectAsync(options(raw.uri()).build());
            Socket s = raw.acceptAndConnack();
            MqttClient client = f.get(WAIT);
            Delivery pending = client.publish("p", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            s.setSoLinger(true, 0); // close with RST instead of FIN
            s.close();
            MqttException e = assertFails(ConnectionLostException.class, () -> pending.await(WAIT), raw.uri());
            // The reader sees the RST ("lost: Connection reset") or, if the reset raced the FIN
            // path, an end of stream ("closed the connection"); or the writer sees it first.
            assertTrue(e.getMessage().contains("lost:") || e.getMessage().contains("was closed")
                    || e.getMessage().contains("closed the connection"), e.getMessage());
            assertFalse(client.isConnected());
            assertNoClientThreadsLeft(WAIT);
        }

        private Subscription subscribeOne(MqttClient client, String filter) {
            Async<Subscription> f = Async.start("subscribe", () -> client.subscribe(filter, Qos.AT_LEAST_ONCE));
            Subscribe s = peer.expect(Subscribe.class);
            peer.send(new Suback(s.packetId(), new int[] {1}));
            return f.get(WAIT);
        }
    }

    // ================================================================ floods

    @Nested
    class Floods {

        @Test
        void publishFloodFasterThanTheHandlerStopsAtTheSubscriptionBuffer() throws Exception {
            int bound = 100;
            int total = 3_000;
            MqttClient client = connect(options().subscriptionBuffer(bound));
            CountDownLatch release = new CountDownLatch(1);
            List<String> handled = Collections.synchronizedList(new ArrayList<>());
            Async<Subscription> subscribing = Async.start("subscribe", () -> client.subscribe("f/#", Qos.AT_LEAST_ONCE, m -> {
                release.await(20, TimeUnit.SECONDS);
                handled.add(m.payloadAsString());
            }));
            Subscribe s = peer.expect(Subscribe.class);
            peer.send(new Suback(s.packetId(), new int[] {1}));
            Subscription sub = subscribing.get(WAIT);

            // The flood, written from a thread of its own: it blocks once TCP pushes back.
            ByteArrayOutputStream flood = new ByteArrayOutputStream();
            for (int i = 1; i <= total; i++) {
                flood.writeBytes(PacketEncoder.encode(new Publish("f/" + i, bytes(Integer.toString(i)), 1, false, false, i)));
            }
            Async<Void> writing = Async.run("flood", () -> peer.sendRaw(flood.toByteArray()));

            // The handler holds message 1; the buffer takes `bound` more; then nothing is read,
            // so nothing more is acknowledged.
            AtomicInteger maxBuffered = new AtomicInteger();
            int acked = 0;
            long quietSince = System.nanoTime();
            while (millisSince(quietSince) < 1_000) {
                Received r = poll(Duration.ofMillis(50));
                if (r != null) {
                    assertInstanceOf(Puback.class, r.packet());
                    acked++;
                    quietSince = System.nanoTime();
                }
                maxBuffered.accumulateAndGet(buffered(sub), Math::max);
            }
            assertEquals(bound + 1, acked, "acknowledged while the handler was stuck");
            assertEquals(bound, buffered(sub));
            assertTrue(maxBuffered.get() <= bound, "buffered " + maxBuffered.get());
            assertTrue(client.isConnected());

            // The handler catches up: everything arrives, in order, and is acknowledged.
            release.countDown();
            while (acked < total) {
                Received r = peer.next(WAIT);
                assertEquals(++acked, ((Puback) r.packet()).packetId());
            }
            writing.get(WAIT);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (handled.size() < total && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(total, handled.size());
            for (int i = 0; i < total; i++) {
                assertEquals(Integer.toString(i + 1), handled.get(i));
            }
            assertTrue(client.isConnected());
        }

        /** Skips the QoS 0 PUBLISHes that were buffered while reconnecting. */
        private void drainPokes() {
            Received r;
            while ((r = poll(QUIET)) != null) {
                assertEquals("poke", assertInstanceOf(Publish.class, r.packet()).topic());
            }
        }

        private Received poll(Duration timeout) {
            try {
                return peer.next(timeout);
            } catch (AssertionError nothing) {
                return null;
            }
        }

        /** Messages waiting in the subscription's buffer (package-private state, read reflectively). */
        private int buffered(Subscription sub) {
            try {
                java.lang.reflect.Field q = sub.getClass().getDeclaredField("queue");
                q.setAccessible(true);
                Object queue = q.get(sub);
                java.lang.reflect.Method size = queue.getClass().getDeclaredMethod("size");
                size.setAccessible(true);
                return (int) size.invoke(queue);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError("cannot read the subscription's buffer", e);
            }
        }

        /**
         * Found by the flood test: an acknowledgement waited until every message read with it had
         * been handed over, so a full buffer held back the PUBREC of a QoS 2 message the
         * application already had; and when the connection broke meanwhile, the session forgot
         * that message's id, so the broker's resend was delivered a second time.
         */
        @Test
        void qos2MessageTheApplicationHasIsAcknowledgedAtOnceAndNotDeliveredTwiceAfterAReconnect() {
            MqttClient client = connect(options().cleanSession(false).subscriptionBuffer(1)
                    .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(1), Duration.ofMillis(5))));
            Async<Subscription> subscribing = Async.start("subscribe", () -> client.subscribe("d/#", Qos.EXACTLY_ONCE));
            Subscribe s = peer.expect(Subscribe.class);
            peer.send(new Suback(s.packetId(), new int[] {2}));
            Subscription sub = subscribing.get(WAIT);

            // Read together: "one" fills the buffer of one, "two" waits for room.
            peer.sendTogether(new Publish("d/1", bytes("one"), 2, false, false, 1),
                    new Publish("d/2", bytes("two"), 2, false, false, 2));
            assertEquals(1, peer.expect(Pubrec.class).packetId(), "the application has \"one\": PUBREC 1 goes now");
            peer.expectNothing(QUIET);

            // The connection breaks before that PUBREC reached the broker, which resends "one"
            // (and "two") on the resumed session. The paused reader cannot see the end of the
            // stream; the writer does, once the application writes something.
            peer.closeConnection();
            java.util.concurrent.atomic.AtomicBoolean reconnected = new java.util.concurrent.atomic.AtomicBoolean();
            Async<Void> poking = Async.run("poke", () -> {
                while (!reconnected.get()) {
                    client.publish("poke", bytes("x"), Qos.AT_MOST_ONCE, false, Wait.NONE);
                    Thread.sleep(20);
                }
            });
            peer.awaitConnection(WAIT);
            reconnected.set(true);
            poking.get(WAIT);
            assertFalse(peer.expect(Connect.class).cleanSession());
            peer.send(new Connack(true, 0));
            drainPokes();
            peer.sendTogether(new Publish("d/1", bytes("one"), 2, false, true, 1),
                    new Publish("d/2", bytes("two"), 2, false, true, 2));

            assertEquals("one", sub.receive(WAIT).payloadAsString());
            assertEquals(1, peer.expect(Pubrec.class).packetId(), "the resent \"one\" is answered, not delivered");
            assertEquals("two", sub.receive(WAIT).payloadAsString());
            assertEquals(2, peer.expect(Pubrec.class).packetId());
            assertNull(sub.receive(QUIET), "each message exactly once");
            peer.send(new Pubrel(1));
            peer.send(new Pubrel(2));
            assertEquals(1, peer.expect(Pubcomp.class).packetId());
            assertEquals(2, peer.expect(Pubcomp.class).packetId());
            assertTrue(client.isConnected());
        }

        /**
         * A broker that never reads and sends PUBRELs (each owed a PUBCOMP) as fast as it can:
         * the PUBCOMPs cannot be written, and they must not pile up in the client without bound.
         */
        @Test
        void brokerThatNeverReadsCannotMakeTheClientQueueWithoutBound() throws Exception {
            RawBroker raw = new RawBroker();
            closeLater.add(raw);
            Async<MqttClient> f = connectAsync(options(raw.uri())
                    .keepAlive(Duration.ofSeconds(1)).pingTimeout(Duration.ofSeconds(1)).build());
            Socket s = raw.acceptAndConnack();
            MqttClient client = f.get(WAIT);
            OutputStream out = s.getOutputStream();
            // 2 million PUBRELs (8 MB), written from a thread of its own.
            byte[] chunk = new byte[4 * 8_192];
            for (int i = 0; i < 8_192; i++) {
                int id = 1 + i;
                chunk[4 * i] = 0x62;
                chunk[4 * i + 1] = 0x02;
                chunk[4 * i + 2] = (byte) (id >>> 8);
                chunk[4 * i + 3] = (byte) id;
            }
            AtomicInteger written = new AtomicInteger();
            Async<Void> writing = Async.run("pubrel flood", () -> {
                try {
                    for (int i = 0; i < 256; i++) {
                        out.write(chunk);
                        written.incrementAndGet();
                    }
                } catch (IOException closed) {
                    // the client gave up on the connection
                }
            });
            long start = System.nanoTime();
            // The client must end it: its PINGREQ cannot get through, so keep-alive calls it dead.
            long deadline = start + Duration.ofSeconds(10).toNanos();
            int peak = 0;
            while (client.isConnected() && System.nanoTime() < deadline) {
                Thread.sleep(5);
                peak = Math.max(peak, outboundQueued(client));
            }
            long millis = millisSince(start);
            writing.get(WAIT);
            System.out.println("[hostile] never-reading broker: " + written.get() * 8_192L
                    + " PUBRELs written, at most " + peak + " packets queued, closed after " + millis + " ms");
            assertFalse(client.isConnected(), "still connected after " + millis + " ms");
            assertTrue(millis < 6_000, "closed after " + millis + " ms");
            assertTrue(peak <= OWED_BOUND, peak + " packets waited for the writer");
            ClientClosedException e = assertFails(ClientClosedException.class,
                    () -> client.publish("t", "x", Qos.AT_MOST_ONCE), "the client is closed");
            assertFailure(ConnectionLostException.class, e.getCause(), "is dead", "no PINGRESP within 1000 ms");
            assertNoClientThreadsLeft(WAIT);
        }

        /** Packets waiting for the client's writer (package-private state, read reflectively). */
        private int outboundQueued(MqttClient client) {
            try {
                Object core = field(client, "core");
                Object conn = field(core, "conn");
                if (conn == null) {
                    return 0;
                }
                Object queue = field(conn, "queue");
                java.lang.reflect.Method size = queue.getClass().getDeclaredMethod("size");
                size.setAccessible(true);
                return (int) size.invoke(queue);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError("cannot read the client's write queue", e);
            }
        }

        private static Object field(Object o, String name) throws ReflectiveOperationException {
            java.lang.reflect.Field f = o.getClass().getDeclaredField(name);
            f.setAccessible(true);
            return f.get(o);
        }
    }
}
