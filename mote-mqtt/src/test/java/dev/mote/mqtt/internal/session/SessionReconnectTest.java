package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Pingresp;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.codec.Suback;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.internal.session.RecordingListener.Connected;
import dev.mote.mqtt.internal.session.RecordingListener.Published;
import dev.mote.mqtt.internal.session.RecordingListener.Received;
import dev.mote.mqtt.internal.session.RecordingListener.Sent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Losing the connection and resuming the session on the next one. */
class SessionReconnectTest extends SessionTestSupport {

    private static final List<Subscribe.Filter> FILTER = List.of(new Subscribe.Filter("a/#", 1));

    private final List<Object> abandoned = new ArrayList<>();

    @Test
    @DisplayName("connectionLost gives pending subscribe, unsubscribe and ping tokens to the caller; publishes stay")
    void connectionLostAbandonsAllButPublishes() {
        connected(false, 10);
        session.publish("t", bytes("q1"), 1, false, "pub-1");        // 1
        session.subscribe(FILTER, "sub");                             // 2
        session.publish("t", bytes("q2"), 2, false, "pub-2");        // 3
        session.unsubscribe(List.of("a/#"), "unsub");                 // 4
        session.ping("ping");
        session.tick(20 * SECOND, 0, 0);                              // keep-alive PINGREQ: no token to give back
        assertEquals(4, session.idsInUse());

        session.connectionLost(abandoned::add);

        assertEquals(3, abandoned.size(), abandoned::toString);
        assertEquals(Set.of("sub", "unsub", "ping"), new HashSet<>(abandoned));
        assertEquals(Session.State.DISCONNECTED, session.state());
        assertEquals(2, session.publishesInFlight());
        assertEquals(2, session.idsInUse(), "the subscribe and unsubscribe ids are freed, the publish ids kept");
        assertTrue(out.events.isEmpty());
    }

    @Test
    @DisplayName("[MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-3.3.1-1] after reconnect, in-flight PUBLISHes go again with DUP=1 and PUBRELs again, in original order")
    void resendsInFlightInOriginalOrder() {
        connected();
        int a = session.publish("t/a", bytes("a"), 1, false, "A");
        int b = session.publish("t/b", bytes("b"), 2, false, "B");
        int c = session.publish("t/c", bytes("c"), 2, true, "C");
        int d = session.publish("t/d", bytes("d"), 1, false, "D");
        session.onPacket(new Pubrec(b)); // b now waits for PUBCOMP
        assertEquals(List.of(1, 2, 3, 4), List.of(a, b, c, d));

        session.connectionLost(abandoned::add);
        assertTrue(abandoned.isEmpty());
        Connect reconnect = connectPacket(false, 0);
        out.clear();
        session.connect(reconnect, PING_TIMEOUT);
        assertEquals(List.of(new Sent(reconnect, null)), out.sent, "nothing is resent before CONNACK");

        out.clear();
        session.onPacket(new Connack(true, 0));
        assertEquals(List.of(new Connected(true)), out.events);
        assertEquals(List.of(
                new Sent(outbound("t/a", "a", 1, false, true, 1), "A"),
                new Sent(new Pubrel(2), null),
                new Sent(outbound("t/c", "c", 2, true, true, 3), "C"),
                new Sent(outbound("t/d", "d", 1, false, true, 4), "D")), out.sent);

        // [MQTT-2.3.1-3] the resent packets kept their ids, so the broker's acks complete them.
        out.clear();
        session.onPacket(new Puback(4));
        session.onPacket(new Pubcomp(2));
        session.onPacket(new Pubrec(3));
        session.onPacket(new Puback(1));
        session.onPacket(new Pubcomp(3));
        assertEquals(List.of(new Published("D"), new Published("B"), new Published("A"), new Published("C")),
                out.events);
        assertEquals(List.of(new Pubrel(3)), out.packets());
        assertEquals(0, session.publishesInFlight());
        assertEquals(0, session.idsInUse());
    }

    @Test
    @DisplayName("[MQTT-3.3.1-3] a QoS 1/2 publish made while disconnected is sent after CONNACK with DUP=0")
    void publishWhileDisconnectedGoesAfterConnackWithoutDup() {
        connected();
        session.publish("t", bytes("old"), 1, false, "old");          // id 1, sent
        session.connectionLost(abandoned::add);
        out.clear();

        assertEquals(2, session.publish("t", bytes("new-1"), 1, false, "new-1"));
        session.connect(connectPacket(false, 0), PING_TIMEOUT);
        assertEquals(3, session.publish("t", bytes("new-2"), 2, false, "new-2"), "also while waiting for CONNACK");
        assertEquals(List.of(connectPacket(false, 0)), out.packets(), "only CONNECT before CONNACK");

        out.clear();
        session.onPacket(new Connack(true, 0));
        assertEquals(List.of(
                new Sent(outbound("t", "old", 1, false, true, 1), "old"),
                new Sent(outbound("t", "new-1", 1, false, false, 2), "new-1"),
                new Sent(outbound("t", "new-2", 2, false, false, 3), "new-2")), out.sent);
    }

    @Test
    void neverSentPublishKeepsDupZeroAcrossAConnectThatFailedBeforeConnack() {
        session.publish("t", bytes("m"), 1, false, "m");
        session.connect(connectPacket(false, 0), PING_TIMEOUT);
        session.connectionLost(abandoned::add); // e.g. CONNACK timeout
        out.clear();

        session.connect(connectPacket(false, 0), PING_TIMEOUT);
        session.onPacket(new Connack(false, 0));
        assertEquals(List.of(connectPacket(false, 0), outbound("t", "m", 1, false, false, 1)), out.packets());
        assertTrue(abandoned.isEmpty());
    }

    @Test
    void sentPublishKeepsDupOneAcrossSeveralReconnects() {
        connected();
        session.publish("t", bytes("m"), 1, false, "m");
        session.connectionLost(abandoned::add);
        session.connect(connectPacket(false, 0), PING_TIMEOUT);
        session.connectionLost(abandoned::add); // lost again before CONNACK
        out.clear();

        session.connect(connectPacket(false, 0), PING_TIMEOUT);
        session.onPacket(new Connack(true, 0));
        assertEquals(List.of(connectPacket(false, 0), outbound("t", "m", 1, false, true, 1)), out.packets());
    }

    @Test
    void publishesAfterResumeGetFreshIdsAndGoOutAfterTheResends() {
        connected();
        session.publish("t", bytes("a"), 1, false, "A");
        loseAndReconnect(true);
        out.clear();

        assertEquals(2, session.publish("t", bytes("b"), 1, false, "B"));
        assertEquals(List.of(new Sent(outbound("t", "b", 1, false, false, 2), "B")), out.sent);
    }

    @Test
    @DisplayName("[MQTT-3.1.2-4] [MQTT-4.3.3-2] an inbound QoS 2 id awaiting PUBREL survives a reconnect with session present")
    void inboundQos2StateSurvivesResume() {
        connected();
        session.onPacket(inbound("in", 2, 8));
        session.acknowledge(((Received) out.events.get(0)).ack());
        loseAndReconnect(true);
        out.clear();

        // The broker had not seen our PUBREC: it resends the PUBLISH. Not delivered again.
        session.onPacket(inbound("in", 2, 8, true));
        assertTrue(out.events.isEmpty());
        assertEquals(List.of(new Pubrec(8)), out.packets());

        out.clear();
        session.onPacket(new Pubrel(8));
        assertEquals(List.of(new Pubcomp(8)), out.packets());
    }

    @Test
    @DisplayName("[MQTT-4.3.3-2] an inbound QoS 2 message lost before the application took it is delivered when the broker resends it")
    void unacknowledgedInboundQos2IsDeliveredAgainAfterResume() {
        connected();
        session.onPacket(inbound("in", 2, 8));
        // The connection drops before the message was handed to the application (no acknowledge).
        loseAndReconnect(true);
        out.clear();

        Publish again = inbound("in", 2, 8, true);
        session.onPacket(again);
        assertSame(again, out.onlyReceived().publish(), "the application never had it, so the resend is delivered");
        assertTrue(out.packets().isEmpty(), "PUBREC waits for the application again");
    }

    @Test
    void inboundQos2StateIsDroppedWhenTheBrokerHasNoSession() {
        connected();
        session.onPacket(inbound("in", 2, 8));
        loseAndReconnect(false);
        out.clear();

        Publish p = inbound("in", 2, 8);
        session.onPacket(p);
        assertSame(p, out.onlyReceived().publish(), "a broker without our session sends id 8 as a new message");
    }

    @Test
    @DisplayName("[MQTT-3.1.2-6] a clean-session connect forgets inbound QoS 2 ids from the last session")
    void cleanSessionForgetsInboundQos2Ids() {
        connected();
        session.onPacket(inbound("in", 2, 8));
        session.connectionLost(abandoned::add);
        session.connect(connectPacket(true, 0), PING_TIMEOUT);
        session.onPacket(new Connack(false, 0));
        out.clear();

        Publish p = inbound("in", 2, 8);
        session.onPacket(p);
        assertSame(p, out.onlyReceived().publish());
    }

    @Test
    void acksNotSentBeforeTheLossAreDropped() {
        connected();
        session.onPacket(inbound("in", 1, 3));
        InboundAck ack = ((Received) out.events.get(0)).ack();
        loseAndReconnect(true);
        out.clear();

        session.acknowledge(ack); // the old connection's PUBACK: the broker will resend the message instead
        assertTrue(out.sent.isEmpty());
        assertEquals(0, session.pendingAcknowledgements());

        Publish again = inbound("in", 1, 3, true);
        session.onPacket(again);
        Received r = out.onlyReceived();
        assertSame(again, r.publish());
        session.acknowledge(r.ack());
        assertEquals(List.of(new Puback(3)), out.packets());
    }

    @Test
    void latePacketsAfterConnectionLostAreIgnored() {
        connected();
        session.publish("t", bytes("a"), 1, false, "A");
        session.subscribe(FILTER, "sub");
        session.ping("p");
        session.connectionLost(abandoned::add);
        out.clear();

        session.onPacket(new Puback(1));
        session.onPacket(new Suback(2, new int[] {1}));
        session.onPacket(Pingresp.INSTANCE);
        session.onPacket(inbound("in", 1, 1));
        assertTrue(out.events.isEmpty());
        assertTrue(out.sent.isEmpty());
        assertEquals(1, session.publishesInFlight());
    }

    @Test
    void keepAlivePingOutstandingIsForgottenOnLoss() {
        connected(false, 10);
        session.tick(10 * SECOND, 0, 0); // keep-alive PINGREQ out
        session.connectionLost(abandoned::add);
        session.connect(connectPacket(false, 10), PING_TIMEOUT);
        session.onPacket(new Connack(true, 0));
        out.clear();

        // The new connection owes no PINGRESP: no dead verdict, and a PINGRESP now is unasked for.
        long t = 100 * SECOND;
        assertEquals(10 * SECOND, session.tick(t, t, t));
        assertTrue(out.events.isEmpty());
        session.onPacket(Pingresp.INSTANCE);
        assertEquals("sent a PINGRESP without a PINGREQ", out.onlyViolation());
    }
}
