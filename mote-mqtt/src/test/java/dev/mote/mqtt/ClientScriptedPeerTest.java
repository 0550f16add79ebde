package dev.mote.mqtt;

import static dev.mote.mqtt.ClientTestSupport.assertFailure;
import static dev.mote.mqtt.ClientTestSupport.assertFails;
import static dev.mote.mqtt.ClientTestSupport.assertNoClientThreadsLeft;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.ClientTestSupport.Async;
import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Disconnect;
import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.PacketEncoder;
import dev.mote.mqtt.internal.codec.Pingreq;
import dev.mote.mqtt.internal.codec.Pingresp;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.codec.Suback;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.internal.codec.Unsuback;
import dev.mote.mqtt.internal.codec.Unsubscribe;
import dev.mote.mqtt.testpeer.ScriptedPeer;
import dev.mote.mqtt.testpeer.ScriptedPeer.Received;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The client runtime against a scripted, sometimes misbehaving peer: a plain server socket that
 * plays the bytes each test chooses. Every test ends by checking that the client left no thread
 * running (see {@link ClientTestSupport#assertNoClientThreadsLeft}).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClientScriptedPeerTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    /** The window of the negative checks ("nothing arrives"). */
    private static final Duration QUIET = Duration.ofMillis(300);

    private ScriptedPeer peer;
    private final List<MqttClient> clients = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void startPeer() throws IOException {
        peer = ScriptedPeer.start();
    }

    @AfterEach
    void closeEverythingAndCheckThreads() {
        try {
            for (MqttClient c : clients) {
                c.close();
            }
        } finally {
            peer.close();
        }
        assertNoClientThreadsLeft(WAIT);
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Options for the peer, with a short close timeout so teardown never waits long. Reconnect
     * is off: these tests are about what one connection does when it breaks (the client closes
     * and fails what is pending); reconnecting is tested on its own.
     */
    private MqttOptions.Builder options() {
        return MqttOptions.builder(peer.uri())
                .reconnect(ReconnectPolicy.disabled())
                .clientId("client-under-test")
                .connectTimeout(WAIT)
                .closeTimeout(Duration.ofMillis(200));
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

    /** Connects, the peer answering CONNACK with {@code sessionPresent}. */
    private MqttClient connect(MqttOptions.Builder options, boolean sessionPresent) {
        Async<MqttClient> f = connectAsync(options.build());
        peer.expect(Connect.class);
        peer.send(new Connack(sessionPresent, 0));
        return f.get(WAIT);
    }

    private MqttClient connect(MqttOptions.Builder options) {
        return connect(options, false);
    }

    /** Subscribes one filter, the peer granting {@code granted}. */
    private Subscription subscribe(MqttClient client, String filter, Qos qos, MessageHandler handler, int granted) {
        Async<Subscription> f = Async.start("subscribe", () -> handler == null
                ? client.subscribe(filter, qos)
                : client.subscribe(filter, qos, handler));
        Subscribe s = peer.expect(Subscribe.class);
        assertEquals(List.of(new Subscribe.Filter(filter, qos.value())), s.filters());
        peer.send(new Suback(s.packetId(), new int[] {granted}));
        return f.get(WAIT);
    }

    /**
     * Proves the connection still works: a QoS 1 publish round trip through the peer, which
     * answers any keep-alive PINGREQ met on the way.
     */
    private void assertStillConnected(MqttClient client) {
        assertTrue(client.isConnected(), "client should still be connected");
        Delivery d = client.publish("still/connected", bytes("?"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
        Publish p = expectAnsweringPings(Publish.class);
        assertEquals("still/connected", p.topic());
        peer.send(new Puback(p.packetId()));
        assertTrue(d.await(WAIT));
        assertTrue(client.isConnected(), "client should still be connected");
    }

    /** The next packet of {@code type}, answering the keep-alive PINGREQs that come first. */
    private <T extends Packet> T expectAnsweringPings(Class<T> type) {
        for (int i = 0; i < 10; i++) {
            Received r = peer.next(WAIT);
            if (r.packet() instanceof Pingreq && type != Pingreq.class) {
                peer.send(Pingresp.INSTANCE);
                continue;
            }
            assertInstanceOf(type, r.packet(), () -> "expected " + type.getSimpleName() + ", got " + r);
            return type.cast(r.packet());
        }
        throw new AssertionError("only PINGREQs, no " + type.getSimpleName());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Publish publish(String topic, String payload, int qos, int id) {
        return new Publish(topic, bytes(payload), qos, false, false, id);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    // ================================================================ connecting

    @Nested
    class Connecting {

        @Test
        void acceptedConnackConnectsWithoutSessionPresent() {
            MqttClient client = connect(options(), false);
            assertTrue(client.isConnected());
            assertFalse(client.sessionPresent());
        }

        @Test
        void sessionPresentOfConnackIsReflected() {
            MqttClient client = connect(options().cleanSession(false), true);
            assertTrue(client.isConnected());
            assertTrue(client.sessionPresent());
        }

        static Stream<Arguments> refusals() {
            return Stream.of(
                    Arguments.of(1, UnacceptableProtocolVersionException.class, "unacceptable protocol version"),
                    Arguments.of(2, IdentifierRejectedException.class, "identifier rejected"),
                    Arguments.of(3, ServerUnavailableException.class, "server unavailable"),
                    Arguments.of(4, BadUserNameOrPasswordException.class, "bad user name or password"),
                    Arguments.of(5, NotAuthorizedException.class, "not authorized"),
                    Arguments.of(6, ConnectionRefusedException.class, "reserved return code"),
                    Arguments.of(255, ConnectionRefusedException.class, "reserved return code"));
        }

        @ParameterizedTest(name = "CONNACK code {0} -> {1}")
        @MethodSource("refusals")
        void refusedConnackThrowsTheExceptionOfItsCode(int code, Class<? extends ConnectionRefusedException> type,
                String words) {
            Async<MqttClient> f = connectAsync(options().build());
            peer.expect(Connect.class);
            peer.send(new Connack(false, code));
            ConnectionRefusedException e = assertFailure(type, f.failure(WAIT),
                    "broker " + server() + " refused the connection (CONNACK code " + code + ")", words);
            assertEquals(code, e.returnCode());
            assertEquals(List.of(), peer.awaitClosedByClient(WAIT), "nothing may follow a refused CONNACK");
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void peerThatNeverAnswersTimesOutWithinTheConnectTimeout() {
            long start = System.nanoTime();
            Async<MqttClient> f = connectAsync(options().connectTimeout(Duration.ofMillis(500)).build());
            peer.expect(Connect.class);
            assertFailure(MqttTimeoutException.class, f.failure(WAIT), "no CONNACK from " + server(), "within 500 ms");
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= 450 && millis < 3_000, "timed out after " + millis + " ms");
            peer.awaitClosedByClient(WAIT);
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void peerClosingBeforeConnackFailsTheConnect() {
            Async<MqttClient> f = connectAsync(options().build());
            peer.expect(Connect.class);
            peer.closeConnection();
            assertFailure(ConnectionLostException.class, f.failure(WAIT),
                    "broker " + server() + " closed the connection before sending CONNACK");
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void packetOtherThanConnackFirstIsAViolation() {
            Async<MqttClient> f = connectAsync(options().build());
            peer.expect(Connect.class);
            peer.send(new Puback(1));
            assertFailure(ProtocolViolationException.class, f.failure(WAIT),
                    "sent PUBACK before CONNACK", "the connection was closed");
            peer.awaitClosedByClient(WAIT);
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void connackWithReservedFlagBitsIsAViolation() {
            Async<MqttClient> f = connectAsync(options().build());
            peer.expect(Connect.class);
            peer.sendRaw(new byte[] {0x20, 0x02, 0x02, 0x00});
            assertFailure(ProtocolViolationException.class, f.failure(WAIT),
                    "sent a malformed packet", "CONNACK acknowledge flags 0x2 set reserved bits");
            peer.awaitClosedByClient(WAIT);
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void connackSplitIntoSingleBytesIsReassembled() {
            Async<MqttClient> f = connectAsync(options().build());
            peer.expect(Connect.class);
            for (byte b : new byte[] {0x20, 0x02, 0x01, 0x00}) {
                peer.sendRaw(new byte[] {b});
            }
            MqttClient client = f.get(WAIT);
            assertTrue(client.sessionPresent());
        }

        @Test
        void nothingListeningFailsQuickly() throws IOException {
            int port = freePort();
            long start = System.nanoTime();
            MqttException e = assertFails(MqttException.class,
                    () -> MqttClient.connect(MqttOptions.builder("mqtt://127.0.0.1:" + port).build()),
                    "cannot connect to mqtt://127.0.0.1:" + port);
            assertInstanceOf(IOException.class, e.getCause());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 2_000, "took " + millis + " ms");
            assertNoClientThreadsLeft(WAIT);
        }
    }

    // ================================================================ the CONNECT packet

    @Nested
    class ConnectPacket {

        @Test
        void carriesEverythingAsConfigured() {
            byte[] willPayload = {0, 1, 2, (byte) 0xFF};
            byte[] password = {'p', 0, (byte) 0xFE, 'w'};
            Async<MqttClient> f = connectAsync(options()
                    .clientId("device-42")
                    .cleanSession(false)
                    .keepAlive(Duration.ofSeconds(17))
                    .will(new Will("status/device-42", willPayload, Qos.EXACTLY_ONCE, true))
                    .credentials("alice", password)
                    .build());
            Received r = peer.next(WAIT);
            assertEquals(0x10, r.raw()[0] & 0xFF, "CONNECT fixed header");
            Connect c = assertInstanceOf(Connect.class, r.packet());
            assertEquals(Connect.LEVEL_3_1_1, c.protocolLevel());
            assertEquals("device-42", c.clientId());
            assertFalse(c.cleanSession());
            assertEquals(17, c.keepAliveSeconds());
            assertEquals("status/device-42", c.willTopic());
            assertArrayEquals(willPayload, c.willPayload());
            assertEquals(2, c.willQos());
            assertTrue(c.willRetain());
            assertEquals("alice", c.username());
            assertArrayEquals(password, c.password());
            peer.send(new Connack(false, 0));
            f.get(WAIT);
        }

        @Test
        void defaultsHaveNoWillNoCredentialsAndCleanSession() {
            Async<MqttClient> f = connectAsync(options().build());
            Connect c = peer.expect(Connect.class);
            assertEquals("client-under-test", c.clientId());
            assertTrue(c.cleanSession());
            assertEquals(60, c.keepAliveSeconds());
            assertNull(c.willTopic());
            assertNull(c.willPayload());
            assertEquals(0, c.willQos());
            assertFalse(c.willRetain());
            assertNull(c.username());
            assertNull(c.password());
            peer.send(new Connack(false, 0));
            f.get(WAIT);
        }

        @Test
        void userNameWithoutPasswordAndWillAtQos0WithoutRetain() {
            Async<MqttClient> f = connectAsync(options()
                    .credentials("bob", (byte[]) null)
                    .will(Will.of("gone", "", Qos.AT_MOST_ONCE, false))
                    .build());
            Connect c = peer.expect(Connect.class);
            assertEquals("bob", c.username());
            assertNull(c.password());
            assertEquals("gone", c.willTopic());
            assertArrayEquals(new byte[0], c.willPayload());
            assertEquals(0, c.willQos());
            assertFalse(c.willRetain());
            peer.send(new Connack(false, 0));
            f.get(WAIT);
        }

        @Test
        void zeroLengthClientIdWithCleanSession() {
            Async<MqttClient> f = connectAsync(options().clientId("").cleanSession(true).build());
            Connect c = peer.expect(Connect.class);
            assertEquals("", c.clientId());
            assertTrue(c.cleanSession());
            peer.send(new Connack(false, 0));
            MqttClient client = f.get(WAIT);
            assertEquals("", client.clientId());
            assertTrue(client.isConnected());
        }
    }

    // ================================================================ protocol violations

    /**
     * Each test connects, leaves a QoS 1 publish unacknowledged, makes the peer break the
     * protocol, and checks that the client closed the connection, failed the pending delivery
     * with a {@link ProtocolViolationException} saying what the broker did, and refuses later
     * calls with a {@link ClientClosedException} caused by it.
     */
    @Nested
    class ProtocolViolations {
        private MqttClient client;
        private Delivery pending;

        private void connectWithPendingPublish(MqttOptions.Builder options) {
            client = connect(options);
            pending = client.publish("pending/topic", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            Publish p = peer.expect(Publish.class);
            assertEquals(1, p.qos());
            assertEquals("pending/topic", p.topic());
        }

        private void connectWithPendingPublish() {
            connectWithPendingPublish(options());
        }

        private ProtocolViolationException assertClosedForViolation(String... words) {
            peer.awaitClosedByClient(WAIT);
            List<String> all = new ArrayList<>(List.of("broker " + server() + " "));
            all.addAll(List.of(words));
            all.add("the connection was closed");
            String[] expected = all.toArray(String[]::new);
            ProtocolViolationException e = assertFails(ProtocolViolationException.class, () -> pending.await(WAIT), expected);
            assertEquals(Delivery.Status.FAILED, pending.status());
            assertFailure(ProtocolViolationException.class, pending.failure().orElseThrow(), expected);
            assertFalse(client.isConnected());
            ClientClosedException closed = assertFails(ClientClosedException.class,
                    () -> client.publish("later", "y", Qos.AT_MOST_ONCE), "the client is closed: ");
            assertFailure(ProtocolViolationException.class, closed.getCause(), expected);
            assertFails(ClientClosedException.class, () -> client.subscribe("later/#", Qos.AT_MOST_ONCE),
                    words[0]);
            assertNoClientThreadsLeft(WAIT);
            client.close(); // still fine
            return e;
        }

        @Test
        void secondConnack() {
            connectWithPendingPublish();
            peer.send(new Connack(false, 0));
            assertClosedForViolation("sent a second CONNACK");
        }

        @Test
        void pubackForAnIdNeverUsed() {
            connectWithPendingPublish();
            peer.send(new Puback(4242));
            assertClosedForViolation("sent PUBACK for packet id 4242, which this client has not used");
        }

        @Test
        void pubcompForAQos1Publish() {
            connectWithPendingPublish();
            peer.send(new Pubcomp(1));
            assertClosedForViolation("sent PUBCOMP for packet id 1, which belongs to a QoS 1 PUBLISH waiting for PUBACK");
        }

        @Test
        void subackWithTheWrongNumberOfReturnCodes() {
            connectWithPendingPublish();
            Subscription sub = client.subscribe(List.of(TopicFilter.of("s/one", Qos.AT_LEAST_ONCE)), null, Wait.NONE);
            Subscribe s = peer.expect(Subscribe.class);
            peer.send(new Suback(s.packetId(), new int[] {1, 1}));
            assertClosedForViolation("sent a SUBACK with 2 return codes for a SUBSCRIBE of 1 filters");
            assertFails(ProtocolViolationException.class, sub::grantedQos, "SUBACK with 2 return codes");
            assertFalse(sub.isActive());
            assertNull(sub.receive(Duration.ZERO));
        }

        @Test
        void publishWithAWildcardTopic() {
            connectWithPendingPublish();
            peer.send(publish("a/+/c", "w", 0, 0));
            assertClosedForViolation("sent a PUBLISH whose topic name contains a wildcard", "\"a/+/c\"");
        }

        @Test
        void pubrelWithReservedFlagBitsCleared() {
            connectWithPendingPublish();
            peer.sendRaw(new byte[] {0x60, 0x02, 0x00, 0x01});
            assertClosedForViolation("sent a malformed packet", "PUBREL with fixed-header flags 0000, expected 0010");
        }

        @Test
        void unknownPacketType() {
            connectWithPendingPublish();
            peer.sendRaw(new byte[] {(byte) 0xF0, 0x00});
            assertClosedForViolation("sent a malformed packet", "reserved packet type 15");
        }

        @Test
        void remainingLengthWithAFifthByte() {
            connectWithPendingPublish();
            peer.sendRaw(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01});
            assertClosedForViolation("sent a malformed packet", "remaining length longer than 4 bytes");
        }

        @Test
        void packetOverMaxIncomingPacketSize() {
            connectWithPendingPublish(options().maxIncomingPacketSize(64));
            // 1 type byte + 1 length byte + (2 + 3 topic bytes + 100 payload bytes) = 107
            peer.send(new Publish("big", new byte[100], 0, false, false, 0));
            assertClosedForViolation("sent a malformed packet", "packet of 107 bytes exceeds the maximum packet size of 64");
        }

        @Test
        void publishAtQos3() {
            connectWithPendingPublish();
            // PUBLISH flags 0110 (QoS 3), topic "a", packet id 1, payload "x"
            peer.sendRaw(new byte[] {0x36, 0x06, 0x00, 0x01, 'a', 0x00, 0x01, 'x'});
            assertClosedForViolation("sent a malformed packet", "PUBLISH with QoS 3");
        }

        @Test
        void serverSendingSubscribe() {
            connectWithPendingPublish();
            peer.send(new Subscribe(1, List.of(new Subscribe.Filter("x/#", 0))));
            assertClosedForViolation("sent SUBSCRIBE, which only a client may send");
        }

        @Test
        void unsubackForAnIdNeverUsed() {
            connectWithPendingPublish();
            peer.send(new Unsuback(300));
            assertClosedForViolation("sent UNSUBACK for packet id 300, which this client has not used");
        }

        @Test
        void qos1PublishWithPacketIdZero() {
            connectWithPendingPublish();
            // PUBLISH QoS 1, topic "a", packet id 0
            peer.sendRaw(new byte[] {0x32, 0x05, 0x00, 0x01, 'a', 0x00, 0x00});
            assertClosedForViolation("sent a malformed packet", "PUBLISH with packet identifier 0");
        }

        @Test
        void publishWithATopicThatIsNotUtf8() {
            connectWithPendingPublish();
            // PUBLISH QoS 0, topic of two bytes 0xC3 0x28 (an invalid UTF-8 sequence)
            peer.sendRaw(new byte[] {0x30, 0x04, 0x00, 0x02, (byte) 0xC3, 0x28});
            assertClosedForViolation("sent a malformed packet", "PUBLISH topic");
        }

        @Test
        void pingrespWithoutPingreq() {
            connectWithPendingPublish();
            peer.send(Pingresp.INSTANCE);
            assertClosedForViolation("sent a PINGRESP without a PINGREQ");
        }
    }

    // ================================================================ legitimate oddities

    @Nested
    class LegitimateOddities {

        @Test
        void pubrelForAnUnknownIdIsAnsweredWithPubcomp() {
            MqttClient client = connect(options());
            peer.send(new Pubrel(77));
            assertEquals(77, peer.expect(Pubcomp.class).packetId());
            assertStillConnected(client);
        }

        @Test
        void repeatedPubrecIsAnsweredWithPubrelAgain() {
            MqttClient client = connect(options());
            Delivery d = client.publish("q2/out", bytes("x"), Qos.EXACTLY_ONCE, false, Wait.NONE);
            int id = peer.expect(Publish.class).packetId();
            peer.send(new Pubrec(id));
            assertEquals(id, peer.expect(Pubrel.class).packetId());
            peer.send(new Pubrec(id)); // crossed our PUBREL, say
            assertEquals(id, peer.expect(Pubrel.class).packetId());
            peer.send(new Pubcomp(id));
            assertTrue(d.await(WAIT));
            assertStillConnected(client);
        }

        @Test
        void publishMatchingNoSubscriptionIsStillAcknowledged() {
            MqttClient client = connect(options());
            peer.send(publish("nobody/listens", "q1", 1, 5));
            assertEquals(5, peer.expect(Puback.class).packetId());
            peer.send(publish("nobody/listens", "q2", 2, 6));
            assertEquals(6, peer.expect(Pubrec.class).packetId());
            peer.send(new Pubrel(6));
            assertEquals(6, peer.expect(Pubcomp.class).packetId());
            assertStillConnected(client);
        }
    }

    // ================================================================ inbound delivery

    @Nested
    class InboundDelivery {

        @Test
        void qos2IsDeliveredExactlyOnceDespiteADuplicate() {
            MqttClient client = connect(options());
            Subscription sub = subscribe(client, "q/#", Qos.EXACTLY_ONCE, null, 2);
            peer.send(new Publish("q/x", bytes("once"), 2, false, false, 7));
            assertEquals(7, peer.expect(Pubrec.class).packetId());
            Message m = sub.receive(WAIT);
            assertNotNull(m);
            assertEquals("q/x", m.topic());
            assertEquals("once", m.payloadAsString());
            assertEquals(Qos.EXACTLY_ONCE, m.qos());
            assertFalse(m.duplicate());

            // The PUBREC was lost, say: the broker sends the PUBLISH again with DUP set.
            peer.send(new Publish("q/x", bytes("once"), 2, false, true, 7));
            assertEquals(7, peer.expect(Pubrec.class).packetId());
            assertNull(sub.receive(QUIET), "the duplicate must not be delivered again");

            peer.send(new Pubrel(7));
            assertEquals(7, peer.expect(Pubcomp.class).packetId());

            // After PUBREL the id is free again: a new message with id 7 is a new message.
            peer.send(new Publish("q/y", bytes("again"), 2, false, false, 7));
            assertEquals(7, peer.expect(Pubrec.class).packetId());
            assertEquals("again", sub.receive(WAIT).payloadAsString());
            peer.send(new Pubrel(7));
            assertEquals(7, peer.expect(Pubcomp.class).packetId());
        }

        @Test
        void acknowledgesOnlyAfterHandOffToAHandler() throws InterruptedException {
            MqttClient client = connect(options().subscriptionBuffer(1));
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch handledAll = new CountDownLatch(3);
            List<String> handled = Collections.synchronizedList(new ArrayList<>());
            subscribe(client, "h/#", Qos.AT_LEAST_ONCE, m -> {
                handled.add(m.payloadAsString());
                if (handled.size() == 1) {
                    entered.countDown();
                    release.await(10, TimeUnit.SECONDS);
                }
                handledAll.countDown();
            }, 1);

            peer.send(publish("h/1", "m1", 1, 1));
            assertEquals(1, peer.expect(Puback.class).packetId(), "m1 was handed to the handler");
            assertTrue(entered.await(5, TimeUnit.SECONDS), "the handler got m1 and now blocks");

            peer.send(publish("h/2", "m2", 1, 2));
            assertEquals(2, peer.expect(Puback.class).packetId(), "m2 fits the buffer of one");

            peer.send(publish("h/3", "m3", 1, 3));
            peer.expectNothing(QUIET); // no PUBACK 3: the buffer is full and the handler holds m1

            release.countDown();
            assertEquals(3, peer.expect(Puback.class).packetId(), "PUBACK 3 once the handler made room");
            assertTrue(handledAll.await(5, TimeUnit.SECONDS));
            assertEquals(List.of("m1", "m2", "m3"), handled);
        }

        @Test
        void acknowledgesOnlyAfterHandOffToAReceiveBuffer() {
            MqttClient client = connect(options().subscriptionBuffer(1));
            Subscription sub = subscribe(client, "r/#", Qos.AT_LEAST_ONCE, null, 1);

            peer.send(publish("r/1", "m1", 1, 1));
            assertEquals(1, peer.expect(Puback.class).packetId());
            peer.send(publish("r/2", "m2", 1, 2));
            peer.expectNothing(QUIET); // no PUBACK 2 while m1 fills the buffer

            assertEquals("m1", sub.receive(WAIT).payloadAsString());
            assertEquals(2, peer.expect(Puback.class).packetId());
            assertEquals("m2", sub.receive(WAIT).payloadAsString());
        }

        @Test
        void publishSplitIntoSingleBytesIsReassembled() {
            MqttClient client = connect(options());
            Subscription sub = subscribe(client, "split/#", Qos.AT_LEAST_ONCE, null, 1);
            byte[] wire = PacketEncoder.encode(
                    new Publish("split/t", bytes("a payload long enough to span many reads"), 1, true, false, 9));
            for (byte b : wire) {
                peer.sendRaw(new byte[] {b});
            }
            assertEquals(9, peer.expect(Puback.class).packetId());
            Message m = sub.receive(WAIT);
            assertEquals("split/t", m.topic());
            assertEquals("a payload long enough to span many reads", m.payloadAsString());
            assertTrue(m.retained());
        }

        @Test
        void refusedFilterThrowsSubscriptionRefusedAndGrantedOnesStay() {
            MqttClient client = connect(options());
            Async<Subscription> f = Async.start("subscribe", () -> client.subscribe(
                    List.of(TopicFilter.of("ok/#", Qos.AT_LEAST_ONCE), TopicFilter.of("no/#", Qos.AT_LEAST_ONCE)),
                    null, Wait.ACK));
            Subscribe s = peer.expect(Subscribe.class);
            peer.send(new Suback(s.packetId(), new int[] {1, Suback.FAILURE}));
            SubscriptionRefusedException e = assertFailure(SubscriptionRefusedException.class, f.failure(WAIT),
                    "broker " + server() + " refused the subscription to \"no/#\"", "0x80");
            assertEquals(List.of("no/#"), e.refusedFilters());
            Subscription sub = e.subscription();
            assertEquals(Arrays.asList(Qos.AT_LEAST_ONCE, null), sub.grantedQos());
            assertTrue(sub.isActive());
            peer.send(publish("no/x", "dropped", 1, 1));
            assertEquals(1, peer.expect(Puback.class).packetId());
            peer.send(publish("ok/x", "kept", 1, 2));
            assertEquals(2, peer.expect(Puback.class).packetId());
            assertEquals("kept", sub.receive(WAIT).payloadAsString());
            assertNull(sub.poll(), "the refused filter routes nothing here");
        }

        @Test
        void defaultHandlerGetsMessagesArrivingWithTheConnack() throws InterruptedException {
            List<Message> got = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch handled = new CountDownLatch(2);
            Async<MqttClient> f = connectAsync(options().cleanSession(false).defaultHandler(m -> {
                got.add(m);
                handled.countDown();
            }).build());
            peer.expect(Connect.class);
            // A resumed session: queued messages right behind CONNACK, in the same segment.
            peer.sendTogether(new Connack(true, 0), publish("queued/1", "a", 1, 1), publish("queued/2", "b", 2, 2));
            f.get(WAIT);
            assertEquals(1, peer.expect(Puback.class).packetId());
            assertEquals(2, peer.expect(Pubrec.class).packetId());
            assertTrue(handled.await(5, TimeUnit.SECONDS));
            assertEquals(List.of("queued/1", "queued/2"), got.stream().map(Message::topic).toList());
        }

        @Test
        void overlappingSubscriptionsEachGetTheirOwnCopyAndOneAck() {
            MqttClient client = connect(options());
            Subscription all = subscribe(client, "ov/#", Qos.AT_LEAST_ONCE, null, 1);
            Subscription one = subscribe(client, "ov/+", Qos.AT_LEAST_ONCE, null, 1);
            peer.send(publish("ov/x", "shared", 1, 4));
            assertEquals(4, peer.expect(Puback.class).packetId());
            Message a = all.receive(WAIT);
            Message b = one.receive(WAIT);
            assertEquals("shared", a.payloadAsString());
            assertEquals("shared", b.payloadAsString());
            assertTrue(a.payload() != b.payload(), "each subscription gets its own payload array");
            peer.expectNothing(QUIET); // one PUBACK only
        }

        /**
         * Section 3.3.5 lets a broker send one copy per matching subscription. Each copy is its
         * own PUBLISH with its own id: each is acknowledged, and each is routed to every matching
         * subscription, so the application sees what the broker sent.
         */
        @Test
        void aBrokerSendingOneCopyPerSubscriptionGetsEachAcknowledged() {
            MqttClient client = connect(options());
            Subscription all = subscribe(client, "cp/#", Qos.AT_LEAST_ONCE, null, 1);
            Subscription one = subscribe(client, "cp/+", Qos.AT_LEAST_ONCE, null, 1);
            peer.sendTogether(publish("cp/x", "copy", 1, 21), publish("cp/x", "copy", 1, 22));
            assertEquals(21, peer.expect(Puback.class).packetId());
            assertEquals(22, peer.expect(Puback.class).packetId());
            for (Subscription s : List.of(all, one)) {
                assertEquals("copy", s.receive(WAIT).payloadAsString());
                assertEquals("copy", s.receive(WAIT).payloadAsString());
            }
            peer.expectNothing(QUIET);
            assertStillConnected(client);
        }

        @Test
        void acknowledgesInArrivalOrderWhenMessagesArriveTogether() {
            MqttClient client = connect(options());
            Subscription sub = subscribe(client, "o/#", Qos.EXACTLY_ONCE, null, 2);
            peer.sendTogether(
                    publish("o/1", "1", 1, 10),
                    publish("o/2", "2", 2, 11),
                    publish("elsewhere", "-", 1, 12),
                    publish("o/3", "3", 0, 0),
                    publish("o/4", "4", 1, 13),
                    publish("o/5", "5", 2, 14));
            List<String> acks = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Packet p = peer.next(WAIT).packet();
                acks.add(switch (p) {
                    case Puback a -> "PUBACK " + a.packetId();
                    case Pubrec r -> "PUBREC " + r.packetId();
                    default -> p.toString();
                });
            }
            assertEquals(List.of("PUBACK 10", "PUBREC 11", "PUBACK 12", "PUBACK 13", "PUBREC 14"), acks);
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                got.add(sub.receive(WAIT).payloadAsString());
            }
            assertEquals(List.of("1", "2", "3", "4", "5"), got);
        }
    }

    // ================================================================ keep-alive and ping

    @Nested
    class KeepAlive {

        @Test
        void sendsPingreqAfterAnIdleKeepAliveInterval() {
            MqttClient client = connect(options().keepAlive(Duration.ofSeconds(1)));
            long connectedAt = System.nanoTime();
            peer.expect(Pingreq.class, Duration.ofSeconds(3));
            long millis = (System.nanoTime() - connectedAt) / 1_000_000;
            assertTrue(millis >= 500 && millis < 2_500, "PINGREQ after " + millis + " ms");
            peer.send(Pingresp.INSTANCE);
            peer.expect(Pingreq.class, Duration.ofSeconds(3)); // and again one interval later
            peer.send(Pingresp.INSTANCE);
            assertTrue(client.isConnected());
        }

        @Test
        void unansweredPingreqClosesTheConnection() {
            MqttClient client = connect(options().keepAlive(Duration.ofSeconds(1)).pingTimeout(Duration.ofMillis(500)));
            Delivery pending = client.publish("pending", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            peer.expect(Publish.class);
            peer.expect(Pingreq.class, Duration.ofSeconds(3));
            long pingAt = System.nanoTime();
            peer.awaitClosedByClient(Duration.ofSeconds(3));
            long millis = (System.nanoTime() - pingAt) / 1_000_000;
            assertTrue(millis >= 400 && millis < 2_500, "closed " + millis + " ms after PINGREQ");
            String[] words = {"connection to " + server() + " is dead", "no PINGRESP within 500 ms of PINGREQ"};
            assertFails(ConnectionLostException.class, () -> pending.await(WAIT), words);
            assertFalse(client.isConnected());
            ClientClosedException e = assertFails(ClientClosedException.class,
                    () -> client.publish("later", "y", Qos.AT_MOST_ONCE), "PINGRESP");
            assertFailure(ConnectionLostException.class, e.getCause(), words);
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void pingrespUnreadBehindBackPressureDoesNotKillTheConnection() {
            MqttClient client = connect(options().keepAlive(Duration.ofSeconds(1))
                    .pingTimeout(Duration.ofMillis(500)).subscriptionBuffer(1));
            Subscription sub = subscribe(client, "bp/#", Qos.AT_LEAST_ONCE, null, 1);
            peer.send(publish("bp/1", "m1", 1, 1));
            assertEquals(1, peer.expect(Puback.class).packetId());
            peer.send(publish("bp/2", "m2", 1, 2)); // the reader now waits for room
            peer.expect(Pingreq.class, Duration.ofSeconds(3));
            peer.send(Pingresp.INSTANCE); // sits unread behind m2
            // Three ping timeouts pass: the client must not call the connection dead, since it
            // is not reading; nor may it send another PINGREQ while one is outstanding.
            peer.expectNothing(Duration.ofMillis(1_500));
            assertTrue(client.isConnected());
            assertEquals("m1", sub.receive(WAIT).payloadAsString());
            assertEquals(2, expectAnsweringPings(Puback.class).packetId());
            assertEquals("m2", sub.receive(WAIT).payloadAsString());
            assertStillConnected(client);
        }

        @RepeatedTest(2) // without the fix, a single run catches the race about 4 times in 5
        void outstandingPingreqGetsAWholePingTimeoutOnceTheReaderResumes() {
            MqttClient client = connect(options().keepAlive(Duration.ofSeconds(1))
                    .pingTimeout(Duration.ofMillis(500)).subscriptionBuffer(1));
            Subscription sub = subscribe(client, "bp/#", Qos.AT_LEAST_ONCE, null, 1);
            peer.send(publish("bp/1", "m1", 1, 1));
            assertEquals(1, peer.expect(Puback.class).packetId());
            peer.send(publish("bp/2", "m2", 1, 2)); // the reader now waits for room
            peer.expect(Pingreq.class, Duration.ofSeconds(3));
            // No PINGRESP, but more data waits unread: the link is alive, the missing answer may be
            // behind it, so the paused client keeps the connection past the ping timeout.
            peer.send(publish("bp/3", "m3", 1, 3));
            peer.expectNothing(Duration.ofMillis(700));

            assertEquals("m1", sub.receive(WAIT).payloadAsString());
            assertEquals(2, peer.expect(Puback.class).packetId()); // the reader resumed (and waits again, on m3)
            // From the moment it read again, the PINGREQ gets a whole ping timeout (500 ms). Answer within it.
            peer.expectNothing(QUIET);
            peer.send(Pingresp.INSTANCE);
            assertEquals("m2", sub.receive(WAIT).payloadAsString());
            assertEquals(3, expectAnsweringPings(Puback.class).packetId());
            assertEquals("m3", sub.receive(WAIT).payloadAsString());
            // The connection lives on: the next keep-alive PINGREQ comes about a second later.
            peer.expect(Pingreq.class, Duration.ofSeconds(3));
            peer.send(Pingresp.INSTANCE);
            assertStillConnected(client);
        }

        @Test
        void pausedReaderWithNothingUnreadFindsAnUnansweredPingreq() {
            MqttClient client = connect(options().keepAlive(Duration.ofSeconds(1))
                    .pingTimeout(Duration.ofMillis(500)).subscriptionBuffer(1));
            subscribe(client, "bp/#", Qos.AT_LEAST_ONCE, null, 1);
            peer.send(publish("bp/1", "m1", 1, 1));
            assertEquals(1, peer.expect(Puback.class).packetId());
            peer.send(publish("bp/2", "m2", 1, 2)); // the reader now waits for room, with nothing left unread
            peer.expect(Pingreq.class, Duration.ofSeconds(3));
            long pingAt = System.nanoTime();
            // Not answered, and nothing else sent: the link is as good as dead, paused reader or not.
            peer.awaitClosedByClient(Duration.ofSeconds(3));
            long millis = (System.nanoTime() - pingAt) / 1_000_000;
            assertTrue(millis >= 400 && millis < 2_500, "closed " + millis + " ms after PINGREQ");
            assertFalse(client.isConnected());
        }

        @Test
        void pingReturnsTheRoundTrip() {
            MqttClient client = connect(options());
            Async<Duration> ping = Async.start("ping", client::ping);
            peer.expect(Pingreq.class);
            ping.assertStillBlocked(Duration.ofMillis(50));
            peer.send(Pingresp.INSTANCE);
            Duration rtt = ping.get(WAIT);
            assertTrue(rtt.toNanos() > 0 && rtt.compareTo(WAIT) < 0, "round trip " + rtt);
        }

        @Test
        void unansweredPingTimesOutAfterTheAckTimeout() {
            MqttClient client = connect(options().ackTimeout(Duration.ofMillis(300)));
            Async<Duration> ping = Async.start("ping", client::ping);
            peer.expect(Pingreq.class);
            assertFailure(MqttTimeoutException.class, ping.failure(WAIT), "timed out after 300 ms", "PINGRESP");
        }
    }

    // ================================================================ bad input at the call site

    @Nested
    class BadInput {

        @Test
        void invalidTopicNamesAreRejectedAtTheCall() {
            MqttClient client = connect(options());
            assertFails(IllegalArgumentException.class, () -> client.publish("a/+/b", "x"),
                    "Invalid topic name \"a/+/b\"", "wildcard '+'");
            assertFails(IllegalArgumentException.class, () -> client.publish("a/#", "x"),
                    "Invalid topic name \"a/#\"", "wildcard '#'");
            assertFails(IllegalArgumentException.class, () -> client.publish("", "x"),
                    "Invalid topic name \"\"", "at least one character");
            assertFails(IllegalArgumentException.class, () -> client.publish("a\u0000b", "x"),
                    "Invalid topic name", "U+0000");
            assertFails(IllegalArgumentException.class, () -> client.publish("t".repeat(65_536), "x"),
                    "Invalid topic name", "longer than 65535 bytes");
            assertFails(IllegalArgumentException.class,
                    () -> client.publish("a/+", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE), "wildcard '+'");
            peer.expectNothing(QUIET);
            assertStillConnected(client);
        }

        @Test
        void invalidTopicFiltersAreRejectedAtTheCall() {
            MqttClient client = connect(options());
            assertFails(IllegalArgumentException.class, () -> client.subscribe("a/#/b", Qos.AT_MOST_ONCE),
                    "Invalid topic filter \"a/#/b\"", "'#'", "last character");
            assertFails(IllegalArgumentException.class, () -> client.subscribe("a+", Qos.AT_MOST_ONCE),
                    "Invalid topic filter \"a+\"", "'+'", "entire level");
            assertFails(IllegalArgumentException.class, () -> client.subscribe("", Qos.AT_MOST_ONCE),
                    "Invalid topic filter \"\"");
            peer.expectNothing(QUIET);
            assertStillConnected(client);
        }

        @Test
        void qosOutOfRange() {
            assertFails(IllegalArgumentException.class, () -> Qos.of(3), "QoS must be 0, 1 or 2, not 3");
            assertFails(IllegalArgumentException.class, () -> Qos.of(-1), "not -1");
        }

        @Test
        void payloadOverMaxOutgoingPacketSizeIsRejectedNamingTheSize() {
            MqttClient client = connect(options().maxOutgoingPacketSize(1024));
            // QoS 0 to "t": 1 type byte + 2 length bytes + (2 + 1 topic byte + payload)
            assertFails(IllegalArgumentException.class,
                    () -> client.publish("t", new byte[1019], Qos.AT_MOST_ONCE, false, Wait.NONE),
                    "1019 payload bytes", "would be 1025 bytes", "over the limit of 1024", "maxOutgoingPacketSize");
            assertFails(IllegalArgumentException.class,
                    () -> client.publish("t", new byte[2000], Qos.AT_LEAST_ONCE, false, Wait.NONE),
                    "2000 payload bytes", "would be 2008 bytes", "over the limit of 1024");
            peer.expectNothing(QUIET);

            // Exactly at the limit is fine.
            Delivery d = client.publish("t", new byte[1018], Qos.AT_MOST_ONCE, false, Wait.SENT);
            assertEquals(Delivery.Status.ACKNOWLEDGED, d.status());
            Received r = peer.next(WAIT);
            assertEquals(1024, r.raw().length);
            assertInstanceOf(Publish.class, r.packet());
        }

        @Test
        void callsAfterCloseThrowClientClosed() {
            MqttClient client = connect(options());
            client.close();
            assertFalse(client.isConnected());
            assertFails(ClientClosedException.class, () -> client.publish("t", "x"), "the client is closed");
            assertFails(ClientClosedException.class,
                    () -> client.publish("t", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE), "the client is closed");
            assertFails(ClientClosedException.class, () -> client.subscribe("t/#", Qos.AT_MOST_ONCE),
                    "the client is closed");
            assertFails(ClientClosedException.class, () -> client.unsubscribe("t/#"), "the client is closed");
            assertFails(ClientClosedException.class, client::ping, "the client is closed");
            client.close(); // twice is fine
            client.close();
        }
    }

    // ================================================================ close

    @Nested
    class Closing {

        @Test
        void sendsDisconnectThenClosesTheSocket() {
            MqttClient client = connect(options());
            client.close();
            Received r = peer.next(WAIT);
            assertInstanceOf(Disconnect.class, r.packet());
            assertArrayEquals(new byte[] {(byte) 0xE0, 0x00}, r.raw());
            assertEquals(List.of(), peer.awaitClosedByClient(WAIT), "nothing may follow DISCONNECT");
            assertFalse(client.isConnected());
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void unacknowledgedPublishFailsWithClientClosedAfterTheCloseTimeout() {
            MqttClient client = connect(options().closeTimeout(Duration.ofMillis(200)));
            Delivery pending = client.publish("never/acked", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            peer.expect(Publish.class);
            long start = System.nanoTime();
            client.close();
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= 150 && millis < 2_000, "close took " + millis + " ms");
            assertInstanceOf(Disconnect.class, peer.next(WAIT).packet());
            peer.awaitClosedByClient(WAIT);
            assertEquals(Delivery.Status.FAILED, pending.status());
            assertFails(ClientClosedException.class, () -> pending.await(WAIT), "the client was closed before this completed");
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void closeWaitsForInFlightPublishesBeforeDisconnect() {
            MqttClient client = connect(options().closeTimeout(WAIT));
            Delivery d = client.publish("acked/late", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            Publish p = peer.expect(Publish.class);
            Async<Void> closing = Async.run("close", client::close);
            peer.expectNothing(QUIET); // no DISCONNECT while the publish is in flight
            closing.assertStillBlocked(Duration.ZERO);
            peer.send(new Puback(p.packetId()));
            assertInstanceOf(Disconnect.class, peer.next(WAIT).packet());
            peer.awaitClosedByClient(WAIT);
            closing.get(WAIT);
            assertEquals(Delivery.Status.ACKNOWLEDGED, d.status());
        }

        /**
         * Closing while QoS 2 messages stream in: every message the application got was
         * acknowledged (PUBREC) before DISCONNECT, none that it did not get was, and the connection
         * ends with a clean end of stream rather than a reset that could discard those acks.
         */
        @Test
        void closeWhileMessagesArriveAcknowledgesEveryDeliveredOneAndEndsCleanly() throws Exception {
            MqttClient client = connect(options().closeTimeout(WAIT));
            java.util.Set<Integer> delivered = java.util.concurrent.ConcurrentHashMap.newKeySet();
            CountDownLatch hundred = new CountDownLatch(100);
            subscribe(client, "flood/#", Qos.EXACTLY_ONCE, m -> {
                delivered.add(Integer.parseInt(new String(m.payload(), StandardCharsets.UTF_8)));
                hundred.countDown();
            }, 2);
            int total = 5_000;
            Thread flood = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 1; i <= total; i++) {
                        peer.send(publish("flood/" + (i % 7), Integer.toString(i), 2, i));
                    }
                } catch (Throwable expected) {
                    // the client half-closed and the peer closed: the rest has nowhere to go
                }
            });
            assertTrue(hundred.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
            client.close();
            List<Received> sent = peer.awaitClosedByClient(WAIT);
            flood.join(WAIT);
            assertNoClientThreadsLeft(WAIT);
            assertFalse(sent.isEmpty());
            assertInstanceOf(Disconnect.class, sent.get(sent.size() - 1).packet(), "DISCONNECT comes last");
            java.util.Set<Integer> acknowledged = new java.util.TreeSet<>();
            for (Received r : sent) {
                if (r.packet() instanceof Pubrec rec) {
                    acknowledged.add(rec.packetId());
                }
            }
            assertEquals(new java.util.TreeSet<>(delivered), acknowledged,
                    "PUBREC for exactly the messages the application got");
            assertEquals("end of stream", peer.connection().endReason(), "a clean close, not a reset");
        }

        @Test
        void closeFromInsideAHandlerDoesNotDeadlock() {
            MqttClient client = connect(options());
            CountDownLatch closed = new CountDownLatch(1);
            subscribe(client, "stop", Qos.AT_MOST_ONCE, m -> {
                client.close();
                closed.countDown();
            }, 0);
            peer.send(publish("stop", "now", 0, 0));
            List<Received> before = peer.awaitClosedByClient(WAIT);
            assertFalse(before.isEmpty());
            assertInstanceOf(Disconnect.class, before.get(before.size() - 1).packet());
            assertTimeoutPreemptively(WAIT, () -> closed.await());
            assertFalse(client.isConnected());
        }

        @Test
        void subscriptionCloseWaitsForUnsuback() {
            MqttClient client = connect(options());
            Subscription sub = subscribe(client, "u/#", Qos.AT_LEAST_ONCE, null, 1);
            Async<Void> closing = Async.run("subscription close", sub::close);
            var unsubscribe = peer.expect(Unsubscribe.class);
            assertEquals(List.of("u/#"), unsubscribe.filters());
            closing.assertStillBlocked(Duration.ofMillis(100));
            peer.send(new Unsuback(unsubscribe.packetId()));
            closing.get(WAIT);
            assertFalse(sub.isActive());
            assertStillConnected(client);
        }

        @Test
        void subscriptionCloseIsQuietWhenTheConnectionBreaksMeanwhile() {
            MqttClient client = connect(options());
            Subscription sub = subscribe(client, "u/#", Qos.AT_LEAST_ONCE, null, 1);
            Async<Void> closing = Async.run("subscription close", sub::close);
            peer.expect(Unsubscribe.class);
            peer.send(new Puback(31_000)); // the broker breaks the protocol instead of answering
            closing.get(WAIT); // the connection is gone, and the subscription with it: nothing to report
            assertFalse(sub.isActive());
            assertFalse(client.isConnected());
        }

        @Test
        void receiveReturnsBufferedMessagesThenNullAfterClose() {
            MqttClient client = connect(options());
            Subscription sub = subscribe(client, "r/#", Qos.AT_LEAST_ONCE, null, 1);
            peer.send(publish("r/1", "one", 1, 3));
            assertEquals(3, peer.expect(Puback.class).packetId()); // so "one" is in the buffer
            client.close();
            assertFalse(sub.isActive());
            assertTimeoutPreemptively(WAIT, () -> {
                Message m = sub.receive();
                assertNotNull(m);
                assertEquals("one", m.payloadAsString());
                assertNull(sub.receive());
                assertNull(sub.receive(WAIT));
                assertNull(sub.poll());
                Iterator<Message> it = sub.iterator();
                assertFalse(it.hasNext());
            });
        }
    }

    // ================================================================ connection lost

    @Nested
    class ConnectionLoss {

        @Test
        void peerClosingAfterConnackFailsEverythingPending() {
            MqttClient client = connect(options());
            Subscription sub = subscribe(client, "x/#", Qos.AT_LEAST_ONCE, null, 1);
            Async<Message> receiving = Async.start("receive", sub::receive);
            Delivery pending = client.publish("pending", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            peer.expect(Publish.class);
            Async<Subscription> subscribing = Async.start("subscribe", () -> client.subscribe("y/#", Qos.AT_LEAST_ONCE));
            peer.expect(Subscribe.class);
            Async<Duration> pinging = Async.start("ping", client::ping);
            peer.expect(Pingreq.class);
            receiving.assertStillBlocked(Duration.ZERO);

            peer.closeConnection();

            String lost = "broker " + server() + " closed the connection";
            assertFails(ConnectionLostException.class, () -> pending.await(WAIT), lost);
            assertFailure(ConnectionLostException.class, subscribing.failure(WAIT), lost);
            assertFailure(ConnectionLostException.class, pinging.failure(WAIT), lost);
            assertNull(receiving.get(WAIT), "a blocked receive ends with null");
            assertFalse(sub.isActive());
            assertFalse(client.isConnected());
            ClientClosedException e = assertFails(ClientClosedException.class,
                    () -> client.publish("later", "y", Qos.AT_MOST_ONCE), "the client is closed: " + lost);
            assertFailure(ConnectionLostException.class, e.getCause(), lost);
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void publisherWaitingForTheWindowIsReleasedWhenTheConnectionFails() {
            MqttClient client = connect(options().inFlightWindow(1));
            client.publish("win", bytes("1"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            peer.expect(Publish.class);
            Async<Delivery> blocked = Async.start("second publish",
                    () -> client.publish("win", bytes("2"), Qos.AT_LEAST_ONCE, false, Wait.NONE));
            blocked.assertStillBlocked(QUIET);
            peer.send(new Puback(999));
            Throwable t = blocked.failure(WAIT);
            ClientClosedException e = assertFailure(ClientClosedException.class, t,
                    "the client is closed: ", "sent PUBACK for packet id 999");
            assertInstanceOf(ProtocolViolationException.class, e.getCause());
            peer.awaitClosedByClient(WAIT);
            assertNoClientThreadsLeft(WAIT);
        }

        @Test
        void closeReleasesAReaderWaitingForBufferRoom() {
            MqttClient client = connect(options().subscriptionBuffer(1));
            Subscription sub = subscribe(client, "bp/#", Qos.AT_LEAST_ONCE, null, 1);
            peer.send(publish("bp/1", "m1", 1, 1));
            assertEquals(1, peer.expect(Puback.class).packetId());
            peer.send(publish("bp/2", "m2", 1, 2));
            peer.expectNothing(QUIET); // the reader waits for room

            long start = System.nanoTime();
            client.close();
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 2_000, "close took " + millis + " ms");
            // m2 was never handed over, so it is never acknowledged: DISCONNECT, then the end.
            assertInstanceOf(Disconnect.class, peer.next(WAIT).packet());
            assertEquals(List.of(), peer.awaitClosedByClient(WAIT));
            assertEquals("m1", sub.receive(WAIT).payloadAsString());
            assertNull(sub.receive(WAIT));
            assertNoClientThreadsLeft(WAIT);
        }
    }

    // ================================================================ Wait semantics

    @Nested
    class WaitSemantics {

        @Test
        void waitAckReturnsOnlyAfterPuback() {
            MqttClient client = connect(options());
            Async<Delivery> call = Async.start("publish",
                    () -> client.publish("w/ack", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.ACK));
            Publish p = peer.expect(Publish.class);
            call.assertStillBlocked(QUIET);
            peer.send(new Puback(p.packetId()));
            Delivery d = call.get(WAIT);
            assertEquals(Delivery.Status.ACKNOWLEDGED, d.status());
            assertTrue(d.isDone());
            assertTrue(d.failure().isEmpty());
        }

        @Test
        void statusGoesFromQueuedOrSentToAcknowledged() {
            MqttClient client = connect(options());
            Delivery d = client.publish("w/none", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            assertTrue(d.status() == Delivery.Status.QUEUED || d.status() == Delivery.Status.SENT, d.status().name());
            Publish p = peer.expect(Publish.class);
            d.awaitSent();
            assertEquals(Delivery.Status.SENT, d.status());
            assertFalse(d.isDone());
            peer.send(new Puback(p.packetId()));
            assertTrue(d.await(WAIT));
            assertEquals(Delivery.Status.ACKNOWLEDGED, d.status());
        }

        @Test
        void waitSentReturnsBeforeAnyAck() {
            MqttClient client = connect(options());
            Delivery d = client.publish("w/sent", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.SENT);
            assertEquals(Delivery.Status.SENT, d.status());
            Publish p = peer.expect(Publish.class);
            assertEquals("w/sent", p.topic());
            assertFalse(d.await(Duration.ofMillis(100)), "no PUBACK yet");
            peer.send(new Puback(p.packetId()));
            assertTrue(d.await(WAIT));
            assertEquals(Delivery.Status.ACKNOWLEDGED, d.status());
        }

        @Test
        void qos2GoesThroughPubrecPubrelPubcomp() {
            MqttClient client = connect(options());
            Delivery d = client.publish("w/q2", bytes("x"), Qos.EXACTLY_ONCE, true, Wait.NONE);
            Publish p = peer.expect(Publish.class);
            assertEquals(2, p.qos());
            assertTrue(p.retain());
            assertFalse(p.dup());
            peer.send(new Pubrec(p.packetId()));
            Received rel = peer.next(WAIT);
            assertEquals(new Pubrel(p.packetId()), rel.packet());
            assertEquals(0x62, rel.raw()[0] & 0xFF, "PUBREL carries flags 0010");
            assertEquals(Delivery.Status.SENT, d.status());
            peer.send(new Pubcomp(p.packetId()));
            assertTrue(d.await(WAIT));
            assertEquals(Delivery.Status.ACKNOWLEDGED, d.status());
        }

        @Test
        void qos0WaitSentReturnsAnAcknowledgedDelivery() {
            MqttClient client = connect(options());
            // For QoS 0, written is done: no caller may see SENT once Wait.SENT returned.
            // Many rounds, because a wrong order of the two completions shows only sometimes.
            for (int i = 0; i < 300; i++) {
                Delivery d = client.publish("w/q0", bytes("x"), Qos.AT_MOST_ONCE, false, Wait.SENT);
                assertEquals(Delivery.Status.ACKNOWLEDGED, d.status(), "round " + i);
                assertTrue(d.isDone());
            }
            for (int i = 0; i < 300; i++) {
                assertEquals(0, peer.expect(Publish.class).qos());
            }
        }

        @Test
        void qos0WaitAckIsDoneOnceWritten() {
            MqttClient client = connect(options());
            Delivery d = client.publish("w/q0", "x", Qos.AT_MOST_ONCE);
            assertEquals(Delivery.Status.ACKNOWLEDGED, d.status());
            Publish p = peer.expect(Publish.class);
            assertEquals(0, p.qos());
            assertEquals(0, p.packetId());
        }
    }

    // ================================================================ in-flight window

    @Nested
    class InFlightWindow {

        @Test
        void publishBeyondTheWindowWaitsForAnAck() {
            MqttClient client = connect(options().inFlightWindow(2));
            Delivery d1 = client.publish("win", bytes("1"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            Delivery d2 = client.publish("win", bytes("2"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            Async<Delivery> third = Async.start("third publish",
                    () -> client.publish("win", bytes("3"), Qos.AT_LEAST_ONCE, false, Wait.NONE));
            Publish p1 = peer.expect(Publish.class);
            Publish p2 = peer.expect(Publish.class);
            peer.expectNothing(QUIET);
            third.assertStillBlocked(Duration.ZERO);

            peer.send(new Puback(p1.packetId()));
            Delivery d3 = third.get(WAIT);
            Publish p3 = peer.expect(Publish.class);
            assertEquals("3", new String(p3.payload(), StandardCharsets.UTF_8));
            assertTrue(d1.await(WAIT));
            peer.send(new Puback(p2.packetId()));
            peer.send(new Puback(p3.packetId()));
            assertTrue(d2.await(WAIT));
            assertTrue(d3.await(WAIT));
        }

        @Test
        void fullWindowTimesOutAfterTheAckTimeout() {
            MqttClient client = connect(options().inFlightWindow(2).ackTimeout(Duration.ofMillis(300)));
            client.publish("win", bytes("1"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            client.publish("win", bytes("2"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            peer.expect(Publish.class);
            peer.expect(Publish.class);
            long start = System.nanoTime();
            assertFails(MqttTimeoutException.class,
                    () -> client.publish("win", bytes("3"), Qos.AT_LEAST_ONCE, false, Wait.NONE),
                    "in-flight window of 2 unacknowledged messages stayed full for 300 ms");
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= 250 && millis < 3_000, "timed out after " + millis + " ms");
            peer.expectNothing(QUIET);
            assertTrue(client.isConnected(), "a full window is no reason to close");
        }
    }
}
