package dev.mote.mqtt;

import static dev.mote.mqtt.ClientTestSupport.assertFailure;
import static dev.mote.mqtt.ClientTestSupport.assertFails;
import static dev.mote.mqtt.ClientTestSupport.assertNoClientThreadsLeft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.codec.Suback;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.testpeer.ScriptedPeer;
import dev.mote.mqtt.testpeer.ScriptedPeer.PeerConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Automatic reconnect against a scripted peer: each test plays two (or more) connections and
 * checks what the client resends, resubscribes and reports.
 */
class ClientReconnectTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private ScriptedPeer peer;
    private MqttClient client;

    @BeforeEach
    void startPeer() throws Exception {
        peer = ScriptedPeer.start();
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        peer.close();
        assertNoClientThreadsLeft(WAIT);
    }

    private MqttOptions.Builder options() {
        return MqttOptions.builder(peer.uri())
                .clientId("resilient")
                .cleanSession(false)
                .connectTimeout(WAIT)
                .closeTimeout(Duration.ofMillis(200))
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(1), Duration.ofMillis(5)));
    }

    /** Connects the client and answers its CONNECT on the first connection. */
    private PeerConnection connect(MqttOptions options, boolean sessionPresent) throws Exception {
        var connecting = ClientTestSupport.Async.start("connect", () -> MqttClient.connect(options));
        PeerConnection first = peer.awaitConnection(WAIT);
        first.expect(Connect.class, WAIT);
        first.send(new Connack(sessionPresent, 0));
        client = connecting.get(WAIT);
        return first;
    }

    /** Subscribes on the peer's {@code connection}, granting {@code granted}. */
    private Subscription subscribeOn(PeerConnection connection, String filter, Qos qos, int granted) {
        var subscribing = ClientTestSupport.Async.start("subscribe", () -> client.subscribe(filter, qos));
        Subscribe s = connection.expect(Subscribe.class, WAIT);
        connection.send(new Suback(s.packetId(), new int[] {granted}));
        return subscribing.get(WAIT);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<ConnectionEvent> eventsUntil(Class<? extends ConnectionEvent> last) {
        List<ConnectionEvent> seen = new ArrayList<>();
        while (true) {
            ConnectionEvent e = client.nextConnectionEvent(WAIT);
            assertNotNull(e, () -> "no " + last.getSimpleName() + " event within " + WAIT + "; saw " + seen);
            seen.add(e);
            if (last.isInstance(e)) {
                return seen;
            }
        }
    }

    @Test
    @DisplayName("reconnect() drops the connection and connects again at once, skipping the backoff wait")
    void reconnectOnRequest() throws Exception {
        MqttOptions o = options().reconnect(ReconnectPolicy.backoff(Duration.ofHours(1), Duration.ofHours(1))).build();
        PeerConnection first = connect(o, false);
        assertTrue(client.reconnect());
        first.awaitClosedByClient(WAIT);
        PeerConnection second = peer.awaitConnection(WAIT); // a backoff of up to an hour would fail this wait
        assertEquals("resilient", second.expect(Connect.class, WAIT).clientId());
        second.send(new Connack(true, 0));
        assertTrue(client.awaitConnected(WAIT));
        List<ConnectionEvent> events = eventsUntil(ConnectionEvent.Connected.class);
        events = eventsUntil(ConnectionEvent.Connected.class);
        ConnectionEvent.Disconnected lost = assertInstanceOf(ConnectionEvent.Disconnected.class, events.get(0));
        assertTrue(lost.cause().getMessage().contains("the application asked to reconnect"), lost.cause().getMessage());
        client.close();
        assertFalse(client.reconnect(), "a closed client does not reconnect");
    }

    @Test
    @DisplayName("reconnect() needs an enabled reconnect policy")
    void reconnectNeedsThePolicy() throws Exception {
        connect(options().reconnect(ReconnectPolicy.disabled()).build(), false);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, client::reconnect);
        assertEquals("reconnect() needs a reconnect policy that is enabled", e.getMessage());
        assertTrue(client.isConnected(), "and leaves the connection alone");
    }

    @Test
    @DisplayName("a QoS 2 message the broker resends after its PUBREL (as Mosquitto 2.0 can) is answered, counted, and not delivered twice")
    void resendAfterPubrelIsNotDeliveredTwice() throws Exception {
        PeerConnection first = connect(options().build(), false);
        Subscription sub = subscribeOn(first, "q/#", Qos.EXACTLY_ONCE, 2);
        first.send(new Publish("q/x", bytes("once"), 2, false, false, 7));
        assertEquals(new Pubrec(7), first.expect(Pubrec.class, WAIT));
        assertEquals("once", sub.receive(WAIT).payloadAsString());
        first.send(new Pubrel(7));
        assertEquals(new Pubcomp(7), first.expect(Pubcomp.class, WAIT));
        first.close(); // the PUBCOMP may not have reached the broker

        PeerConnection second = peer.awaitConnection(WAIT);
        second.expect(Connect.class, WAIT);
        second.send(new Connack(true, 0));
        second.send(new Publish("q/x", bytes("once"), 2, false, true, 7)); // resent although released
        assertEquals(new Pubrec(7), second.expect(Pubrec.class, WAIT));
        second.send(new Pubrel(7));
        assertEquals(new Pubcomp(7), second.expect(Pubcomp.class, WAIT));
        second.send(new Publish("q/y", bytes("next"), 2, false, false, 8));
        assertEquals(new Pubrec(8), second.expect(Pubrec.class, WAIT));
        assertEquals("next", sub.receive(WAIT).payloadAsString(), "the resend must not come before it");
        assertEquals(1, client.metrics().duplicatesDropped());
        assertEquals(2, client.metrics().received().qos2());
    }

    @Test
    @DisplayName("[MQTT-4.4.0-1] after a reconnect with session present, unacknowledged PUBLISHes go again with DUP=1 and PUBRELs again, in order")
    void resumesTheSessionAfterAConnectionBreaks() throws Exception {
        PeerConnection first = connect(options().build(), false);
        Delivery q1 = client.publish("t/1", bytes("one"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
        Delivery q2 = client.publish("t/2", bytes("two"), Qos.EXACTLY_ONCE, false, Wait.NONE);
        Publish p1 = first.expect(Publish.class, WAIT);
        Publish p2 = first.expect(Publish.class, WAIT);
        first.send(new Pubrec(p2.packetId()));
        assertEquals(new Pubrel(p2.packetId()), first.expect(Pubrel.class, WAIT));
        first.close();

        PeerConnection second = peer.awaitConnection(WAIT);
        Connect again = second.expect(Connect.class, WAIT);
        assertFalse(again.cleanSession());
        assertEquals("resilient", again.clientId());
        second.send(new Connack(true, 0));

        Publish resent = second.expect(Publish.class, WAIT);
        assertEquals(p1.packetId(), resent.packetId(), "a resent PUBLISH keeps its packet id [MQTT-2.3.1-3]");
        assertTrue(resent.dup(), "a resent PUBLISH has DUP=1 [MQTT-3.3.1-1]");
        assertEquals("t/1", resent.topic());
        assertEquals(new Pubrel(p2.packetId()), second.expect(Pubrel.class, WAIT),
                "the PUBLISH of a message already PUBREC'd is never sent again, its PUBREL is [MQTT-4.3.3-1]");
        second.send(new Puback(p1.packetId()));
        second.send(new Pubcomp(p2.packetId()));
        q1.await(WAIT);
        q2.await(WAIT);
        assertEquals(Delivery.Status.ACKNOWLEDGED, q1.status());
        assertEquals(Delivery.Status.ACKNOWLEDGED, q2.status());

        List<ConnectionEvent> events = eventsUntil(ConnectionEvent.Connected.class);
        assertEquals(new ConnectionEvent.Connected(peer.uri(), false, false), events.get(0));
        events = eventsUntil(ConnectionEvent.Connected.class);
        ConnectionEvent.Disconnected lost = assertInstanceOf(ConnectionEvent.Disconnected.class, events.get(0));
        assertTrue(lost.willReconnect());
        ConnectionEvent.Reconnecting retry = assertInstanceOf(ConnectionEvent.Reconnecting.class, events.get(1));
        assertEquals(1, retry.attempt());
        assertEquals(new ConnectionEvent.Connected(peer.uri(), true, true), events.get(events.size() - 1));
        assertTrue(client.sessionPresent());
        second.expectNothing(Duration.ofMillis(200)); // no SUBSCRIBE: the broker kept the session
    }

    @Test
    @DisplayName("when the broker lost the session, the client subscribes again and says the session was lost")
    void resubscribesWhenTheBrokerLostTheSession() throws Exception {
        PeerConnection first = connect(options().build(), false);
        Subscription sub = subscribeOn(first, "a/#", Qos.AT_LEAST_ONCE, 1);
        first.close();

        PeerConnection second = peer.awaitConnection(WAIT);
        second.expect(Connect.class, WAIT);
        second.send(new Connack(false, 0));
        Subscribe resubscribe = second.expect(Subscribe.class, WAIT);
        assertEquals(List.of(new Subscribe.Filter("a/#", 1)), resubscribe.filters());
        second.send(new Suback(resubscribe.packetId(), new int[] {1}));

        List<ConnectionEvent> events = eventsUntil(ConnectionEvent.SessionLost.class);
        assertEquals(new ConnectionEvent.Connected(peer.uri(), false, true), events.get(events.size() - 2));

        // Messages keep flowing to the same Subscription object.
        second.send(new Publish("a/b", bytes("after"), 0, false, false, 0));
        Message m = sub.receive(WAIT);
        assertNotNull(m);
        assertEquals("after", m.payloadAsString());
    }

    @Test
    @DisplayName("publishes made while reconnecting are buffered and go out, in order, once connected")
    void buffersPublishesWhileReconnecting() throws Exception {
        PeerConnection first = connect(options().build(), false);
        first.close();
        PeerConnection second = peer.awaitConnection(WAIT); // the client waits for CONNACK now
        second.expect(Connect.class, WAIT);
        assertFalse(client.isConnected());

        Delivery a = client.publish("t", bytes("a"), Qos.AT_MOST_ONCE, false, Wait.NONE);
        Delivery b = client.publish("t", bytes("b"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
        var waitingForAck = ClientTestSupport.Async.start("publish with Wait.ACK",
                () -> client.publish("t", bytes("c"), Qos.AT_LEAST_ONCE, false, Wait.ACK));
        second.expectNothing(Duration.ofMillis(200));
        assertEquals(Delivery.Status.QUEUED, a.status());
        assertEquals(Delivery.Status.QUEUED, b.status());

        second.send(new Connack(true, 0));
        Publish pa = second.expect(Publish.class, WAIT);
        Publish pb = second.expect(Publish.class, WAIT);
        Publish pc = second.expect(Publish.class, WAIT);
        assertEquals(List.of("a", "b", "c"), List.of(new String(pa.payload()), new String(pb.payload()), new String(pc.payload())));
        assertFalse(pb.dup(), "never sent before, so not a duplicate");
        second.send(new Puback(pb.packetId()));
        second.send(new Puback(pc.packetId()));
        assertEquals(Delivery.Status.ACKNOWLEDGED, waitingForAck.get(WAIT).status(), "Wait.ACK waits across the reconnect");
        b.await(WAIT);
        assertEquals(Delivery.Status.ACKNOWLEDGED, a.status());
    }

    @Test
    @DisplayName("OfflinePolicy.FAIL: a publish beyond the offline buffer fails at once, naming the buffer")
    void offlineBufferFullFails() throws Exception {
        PeerConnection first = connect(options().offlineBuffer(1, 1 << 20, OfflinePolicy.FAIL).build(), false);
        first.close();
        peer.awaitConnection(WAIT).expect(Connect.class, WAIT); // held without CONNACK

        client.publish("t", bytes("fits"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
        assertFails(MqttException.class,
                () -> client.publish("t", bytes("too many"), Qos.AT_LEAST_ONCE, false, Wait.NONE),
                "offline buffer is full", "1 messages");
    }

    @Test
    @DisplayName("OfflinePolicy.DROP_OLDEST_QOS0: the oldest buffered QoS 0 message makes room and its delivery fails")
    void offlineBufferDropsOldestQos0() throws Exception {
        PeerConnection first = connect(options().offlineBuffer(2, 1 << 20, OfflinePolicy.DROP_OLDEST_QOS0).build(), false);
        first.close();
        PeerConnection second = peer.awaitConnection(WAIT);
        second.expect(Connect.class, WAIT);

        Delivery oldest = client.publish("t", bytes("1"), Qos.AT_MOST_ONCE, false, Wait.NONE);
        client.publish("t", bytes("2"), Qos.AT_MOST_ONCE, false, Wait.NONE);
        client.publish("t", bytes("3"), Qos.AT_MOST_ONCE, false, Wait.NONE);
        assertEquals(Delivery.Status.FAILED, oldest.status());
        assertFailure(MqttException.class, oldest.failure().orElseThrow(), "dropped from the full offline buffer");

        second.send(new Connack(true, 0));
        assertEquals("2", new String(second.expect(Publish.class, WAIT).payload()));
        assertEquals("3", new String(second.expect(Publish.class, WAIT).payload()));
    }

    @Test
    @DisplayName("after maxAttempts failed reconnects the client closes and pending deliveries fail with the reason")
    void givesUpAfterMaxAttempts() throws Exception {
        PeerConnection first = connect(options()
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(1), Duration.ofMillis(5)).withMaxAttempts(2))
                .connectTimeout(Duration.ofMillis(300))
                .build(), false);
        Delivery pending = client.publish("t", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
        first.expect(Publish.class, WAIT);
        peer.close(); // nothing listens any more: every attempt is refused
        first.close();

        List<ConnectionEvent> events = eventsUntil(ConnectionEvent.Closed.class);
        long attempts = events.stream().filter(e -> e instanceof ConnectionEvent.Reconnecting).count();
        assertEquals(2, attempts, events::toString);
        ConnectionEvent.Closed closed = (ConnectionEvent.Closed) events.get(events.size() - 1);
        assertFailure(ConnectionLostException.class, closed.cause(), "gave up reconnecting after 2 attempts");
        assertEquals(Delivery.Status.FAILED, pending.status());
        assertFailure(ConnectionLostException.class, pending.failure().orElseThrow(), "gave up reconnecting");
    }

    @Test
    @DisplayName("close() while reconnecting returns promptly and fails what is pending")
    void closeWhileReconnecting() throws Exception {
        PeerConnection first = connect(options().build(), false);
        Delivery pending = client.publish("t", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
        first.expect(Publish.class, WAIT);
        first.close();
        peer.awaitConnection(WAIT).expect(Connect.class, WAIT); // reconnecting, no CONNACK given

        client.close();
        assertEquals(Delivery.Status.FAILED, pending.status());
        assertFailure(ClientClosedException.class, pending.failure().orElseThrow());
        assertFails(ClientClosedException.class, () -> client.publish("t", "y"));
    }
}
