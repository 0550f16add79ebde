package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.codec.Suback;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.internal.codec.Unsuback;
import dev.mote.mqtt.internal.session.RecordingListener.Published;
import dev.mote.mqtt.internal.session.RecordingListener.Sent;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Publishing from the client: QoS 0, 1 and 2 handshakes, and acks the session did not ask for. */
class SessionOutboundPublishTest extends SessionTestSupport {

    // ---------------------------------------------------------------- QoS 0

    @Test
    @DisplayName("[MQTT-4.3.1-1] [MQTT-3.3.1-2] QoS 0 is sent at once with QoS 0, DUP 0 and no id")
    void qos0IsSentAtOnceWithIdZero() {
        connected();
        assertEquals(0, session.publish("sensors/t", bytes("21.5"), 0, true, "tok"));

        assertEquals(List.of(new Sent(outbound("sensors/t", "21.5", 0, true, false, 0), "tok")), out.sent);
        assertTrue(out.events.isEmpty(), "QoS 0 has no acknowledgement and no published event");
        assertEquals(0, session.publishesInFlight());
    }

    @Test
    void qos0WhileNotConnectedThrows() {
        IllegalStateException before = assertThrows(IllegalStateException.class,
                () -> session.publish("t", bytes("x"), 0, false, "tok"));
        assertEquals("not connected", before.getMessage());

        session.connect(connectPacket(true, 0), PING_TIMEOUT);
        out.clear();
        assertThrows(IllegalStateException.class, () -> session.publish("t", bytes("x"), 0, false, "tok"),
                "QoS 0 cannot wait for CONNACK either");
        assertTrue(out.sent.isEmpty());

        session.onPacket(new Connack(false, 0));
        session.connectionLost(t -> { });
        out.clear();
        assertThrows(IllegalStateException.class, () -> session.publish("t", bytes("x"), 0, false, "tok"));
        assertTrue(out.sent.isEmpty());
    }

    // ---------------------------------------------------------------- QoS 1

    @Test
    @DisplayName("[MQTT-4.3.2-1] QoS 1: PUBLISH with DUP 0, unacknowledged until PUBACK, which frees the id")
    void qos1PublishThenPuback() {
        connected();
        int id = session.publish("a/b", bytes("hello"), 1, false, "tok");

        assertEquals(1, id);
        assertEquals(List.of(new Sent(outbound("a/b", "hello", 1, false, false, 1), "tok")), out.sent);
        assertTrue(out.events.isEmpty());
        assertEquals(1, session.publishesInFlight());
        assertEquals(1, session.idsInUse());

        out.clear();
        session.onPacket(new Puback(1));
        assertEquals(List.of(new Published("tok")), out.events);
        assertTrue(out.sent.isEmpty(), "the client answers nothing to PUBACK");
        assertEquals(0, session.publishesInFlight());
        assertEquals(0, session.idsInUse());
    }

    @Test
    @DisplayName("[MQTT-4.3.2-1] several QoS 1 messages may be in flight; each PUBACK completes its own")
    void qos1ManyInFlightCompletedOutOfOrder() {
        connected();
        session.publish("t", bytes("a"), 1, false, "A");
        session.publish("t", bytes("b"), 1, false, "B");
        session.publish("t", bytes("c"), 1, false, "C");

        session.onPacket(new Puback(3));
        session.onPacket(new Puback(1));
        session.onPacket(new Puback(2));
        assertEquals(List.of(new Published("C"), new Published("A"), new Published("B")), out.events);
        assertEquals(0, session.publishesInFlight());
    }

    @Test
    void secondPubackForSameIdIsViolation() {
        connected();
        session.publish("t", bytes("a"), 1, false, "A");
        session.onPacket(new Puback(1));
        out.clear();

        session.onPacket(new Puback(1));
        assertEquals("sent PUBACK for packet id 1, which this client has not used", out.onlyViolation());
    }

    // ---------------------------------------------------------------- QoS 2

    @Test
    @DisplayName("[MQTT-4.3.3-1] QoS 2: PUBLISH, PUBREC, PUBREL with the same id, PUBCOMP completes")
    void qos2FullHandshake() {
        connected();
        session.publish("x", bytes("y"), 1, false, "first"); // id 1, so the QoS 2 id is not 1
        out.clear();

        int id = session.publish("a/b", bytes("exactly once"), 2, true, "tok");
        assertEquals(2, id);
        assertEquals(List.of(new Sent(outbound("a/b", "exactly once", 2, true, false, 2), "tok")), out.sent);

        out.clear();
        session.onPacket(new Pubrec(2));
        assertEquals(List.of(new Sent(new Pubrel(2), null)), out.sent);
        assertTrue(out.events.isEmpty(), "PUBREC does not complete a QoS 2 publish");
        assertEquals(2, session.publishesInFlight());
        assertEquals(2, session.idsInUse());

        out.clear();
        session.onPacket(new Pubcomp(2));
        assertEquals(List.of(new Published("tok")), out.events);
        assertTrue(out.sent.isEmpty());
        assertEquals(1, session.publishesInFlight());
        assertEquals(1, session.idsInUse());
    }

    @Test
    @DisplayName("[MQTT-4.3.3-1] a duplicate PUBREC while waiting for PUBCOMP sends PUBREL again, not a violation")
    void duplicatePubrecResendsPubrel() {
        connected();
        session.publish("t", bytes("x"), 2, false, "tok");
        session.onPacket(new Pubrec(1));
        out.clear();

        session.onPacket(new Pubrec(1));
        assertEquals(List.of(new Sent(new Pubrel(1), null)), out.sent);
        assertTrue(out.events.isEmpty());
        assertEquals(Session.State.CONNECTED, session.state());

        out.clear();
        session.onPacket(new Pubcomp(1));
        assertEquals(List.of(new Published("tok")), out.events);
    }

    @Test
    @DisplayName("[MQTT-4.3.3-1] once PUBREL is sent the PUBLISH is never sent again, even when resending after a reconnect")
    void publishNeverResentAfterPubrec() {
        connected();
        session.publish("t", bytes("x"), 2, false, "tok");
        session.onPacket(new Pubrec(1));
        session.onPacket(new Pubrec(1));
        out.clear();

        loseAndReconnect(true);
        assertEquals(List.of(new Sent(new Pubrel(1), null)), out.sent);
        assertTrue(out.packets().stream().noneMatch(p -> p instanceof Publish));
    }

    @Test
    @DisplayName("[MQTT-4.6.0-4] PUBRELs go out in the order the PUBRECs arrived")
    void pubrelsFollowPubrecOrder() {
        connected();
        session.publish("t", bytes("1"), 2, false, "one");
        session.publish("t", bytes("2"), 2, false, "two");
        session.publish("t", bytes("3"), 2, false, "three");
        out.clear();

        session.onPacket(new Pubrec(3));
        session.onPacket(new Pubrec(1));
        session.onPacket(new Pubrec(2));
        assertEquals(List.of(new Pubrel(3), new Pubrel(1), new Pubrel(2)), out.packets());
    }

    // ---------------------------------------------------------------- acks nobody asked for

    static Stream<Arguments> acksForUnknownIds() {
        return Stream.of(
                Arguments.of(new Puback(42), "PUBACK"),
                Arguments.of(new Pubrec(42), "PUBREC"),
                Arguments.of(new Pubcomp(42), "PUBCOMP"),
                Arguments.of(new Suback(42, new int[] {0}), "SUBACK"),
                Arguments.of(new Unsuback(42), "UNSUBACK"));
    }

    @ParameterizedTest(name = "[{index}] {1} 42")
    @MethodSource("acksForUnknownIds")
    @DisplayName("[MQTT-4.8.0-1] an ack for an id the client has not used is a violation naming the packet and id")
    void ackForUnknownIdIsViolation(Packet ack, String name) {
        connected();
        session.publish("t", bytes("x"), 1, false, "tok"); // id 1 in use, 42 not
        out.clear();

        session.onPacket(ack);
        assertEquals("sent " + name + " for packet id 42, which this client has not used", out.onlyViolation());
        assertEquals(Session.State.DISCONNECTED, session.state());
        assertTrue(out.sent.isEmpty());
        assertEquals(1, session.publishesInFlight(), "the real in-flight message is untouched");
    }

    @Test
    void pubackForQos2IdIsViolationSayingWhatTheIdBelongsTo() {
        connected();
        session.publish("t", bytes("x"), 2, false, "tok");
        out.clear();

        session.onPacket(new Puback(1));
        assertEquals("sent PUBACK for packet id 1, which belongs to a QoS 2 PUBLISH waiting for PUBREC",
                out.onlyViolation());
        assertEquals(1, session.publishesInFlight());
    }

    @Test
    void pubackForPubrelIdIsViolationSayingWhatTheIdBelongsTo() {
        connected();
        session.publish("t", bytes("x"), 2, false, "tok");
        session.onPacket(new Pubrec(1));
        out.clear();

        session.onPacket(new Puback(1));
        assertEquals("sent PUBACK for packet id 1, which belongs to a PUBREL waiting for PUBCOMP", out.onlyViolation());
    }

    @Test
    void pubcompBeforePubrecIsViolation() {
        connected();
        session.publish("t", bytes("x"), 2, false, "tok");
        out.clear();

        session.onPacket(new Pubcomp(1));
        assertEquals("sent PUBCOMP for packet id 1, which belongs to a QoS 2 PUBLISH waiting for PUBREC",
                out.onlyViolation());
    }

    @Test
    void pubrecForQos1IdIsViolation() {
        connected();
        session.publish("t", bytes("x"), 1, false, "tok");
        out.clear();

        session.onPacket(new Pubrec(1));
        assertEquals("sent PUBREC for packet id 1, which belongs to a QoS 1 PUBLISH waiting for PUBACK",
                out.onlyViolation());
        assertTrue(out.sent.isEmpty(), "no PUBREL for a QoS 1 message");
    }

    @Test
    void pubackForSubscribeIdIsViolation() {
        connected();
        session.subscribe(List.of(new Subscribe.Filter("a", 0)), "sub");
        session.unsubscribe(List.of("a"), "unsub");
        out.clear();

        session.onPacket(new Puback(1));
        assertEquals("sent PUBACK for packet id 1, which belongs to a SUBSCRIBE waiting for SUBACK", out.onlyViolation());
    }

    @Test
    void subackForUnsubscribeIdIsViolation() {
        connected();
        session.unsubscribe(List.of("a"), "unsub");
        out.clear();

        session.onPacket(new Suback(1, new int[] {0}));
        assertEquals("sent SUBACK for packet id 1, which belongs to an UNSUBSCRIBE waiting for UNSUBACK",
                out.onlyViolation());
    }

    @Test
    void packetsAfterViolationAreIgnored() {
        connected();
        session.publish("t", bytes("x"), 1, false, "tok");
        session.onPacket(new Puback(9));
        out.clear();

        session.onPacket(new Puback(1));
        session.onPacket(inbound("t", 1, 3));
        assertTrue(out.events.isEmpty(), "the connection is over once the broker broke the protocol");
        assertTrue(out.sent.isEmpty());
        assertEquals(1, session.publishesInFlight());
    }
}
