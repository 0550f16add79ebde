package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Disconnect;
import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.Pingreq;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.internal.codec.Unsubscribe;
import dev.mote.mqtt.internal.session.RecordingListener.Published;
import dev.mote.mqtt.internal.session.RecordingListener.Received;
import dev.mote.mqtt.internal.session.RecordingListener.Sent;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Messages from the broker: delivery, acknowledgement, exactly-once, ordering, bad packets. */
class SessionInboundPublishTest extends SessionTestSupport {

    /** Feeds {@code p} and returns the ack handed to the application with it. */
    private InboundAck receive(Publish p) {
        out.clear();
        session.onPacket(p);
        Received r = out.onlyReceived();
        assertSame(p, r.publish());
        out.clear();
        return r.ack();
    }

    /** Feeds {@code p}, acknowledges it, asserts the ack that went out, and clears the record. */
    private void receiveAndAcknowledge(Publish p, Packet expectedAck) {
        session.acknowledge(receive(p));
        assertEquals(List.of(expectedAck), out.packets());
        out.clear();
    }

    // ---------------------------------------------------------------- QoS 0 and 1

    @Test
    @DisplayName("[MQTT-3.3.4-1] inbound QoS 0 is delivered without an ack handle, and nothing is sent")
    void inboundQos0() {
        connected();
        Publish p = inbound("a/b", 0, 0);
        session.onPacket(p);

        assertEquals(List.of(new Received(p, null)), out.events);
        assertTrue(out.sent.isEmpty());
        assertEquals(0, session.pendingAcknowledgements());
    }

    @Test
    @DisplayName("[MQTT-3.3.4-1] [MQTT-4.3.2-2] inbound QoS 1: PUBACK with the same id, only once the application acknowledges")
    void inboundQos1AckedOnlyAfterAcknowledge() {
        connected();
        Publish p = inbound("a/b", 1, 77);
        session.onPacket(p);

        Received r = out.onlyReceived();
        assertSame(p, r.publish());
        InboundAck ack = r.ack();
        assertNotNull(ack);
        assertEquals(77, ack.packetId());
        assertEquals(1, ack.qos());
        assertTrue(out.sent.isEmpty(), "no PUBACK before the application has the message");
        assertEquals(1, session.pendingAcknowledgements());

        session.acknowledge(ack);
        assertEquals(List.of(new Sent(new Puback(77), null)), out.sent);
        assertEquals(0, session.pendingAcknowledgements());

        out.clear();
        session.acknowledge(ack);
        assertTrue(out.sent.isEmpty(), "acknowledging twice sends one PUBACK");
    }

    @Test
    @DisplayName("[MQTT-4.3.2-2] after PUBACK a PUBLISH with the same id is a new message, whatever its DUP flag")
    void inboundQos1SameIdAfterPubackIsNew() {
        connected();
        receiveAndAcknowledge(inbound("a", 1, 5), new Puback(5));

        Publish again = inbound("a", 1, 5, true);
        session.onPacket(again);
        Received r = out.onlyReceived();
        assertSame(again, r.publish());
        session.acknowledge(r.ack());
        assertEquals(List.of(new Puback(5)), out.packets());
    }

    // ---------------------------------------------------------------- QoS 2

    @Test
    @DisplayName("[MQTT-4.3.3-2] inbound QoS 2 is delivered once and PUBREC goes out on acknowledge")
    void inboundQos2PubrecOnAcknowledge() {
        connected();
        Publish p = inbound("a/b", 2, 9);
        session.onPacket(p);

        Received r = out.onlyReceived();
        assertSame(p, r.publish());
        assertEquals(9, r.ack().packetId());
        assertEquals(2, r.ack().qos());
        assertTrue(out.sent.isEmpty());

        session.acknowledge(r.ack());
        assertEquals(List.of(new Sent(new Pubrec(9), null)), out.sent);
    }

    @Test
    @DisplayName("[MQTT-4.3.3-2] duplicate QoS 2 PUBLISH is acknowledged but not delivered twice")
    void duplicateQos2IsReacknowledgedNotRedelivered() {
        connected();
        receiveAndAcknowledge(inbound("a/b", 2, 9), new Pubrec(9));

        // The broker did not see our PUBREC and sends the PUBLISH again, DUP=1.
        session.onPacket(inbound("a/b", 2, 9, true));
        assertTrue(out.events.isEmpty(), "not delivered a second time");
        assertEquals(List.of(new Sent(new Pubrec(9), null)), out.sent);

        out.clear();
        session.onPacket(inbound("a/b", 2, 9, true));
        assertTrue(out.events.isEmpty());
        assertEquals(List.of(new Pubrec(9)), out.packets(), "as often as the broker asks");
    }

    @Test
    @DisplayName("[MQTT-4.3.3-2] a duplicate QoS 2 PUBLISH before the application acknowledged adds no extra PUBREC")
    void duplicateQos2BeforeAcknowledgeSendsOnePubrec() {
        connected();
        InboundAck ack = receive(inbound("a/b", 2, 9));

        session.onPacket(inbound("a/b", 2, 9, true));
        assertTrue(out.events.isEmpty());
        assertTrue(out.sent.isEmpty(), "the PUBREC waits for the application, duplicates or not");

        session.acknowledge(ack);
        assertEquals(List.of(new Pubrec(9)), out.packets());
    }

    @Test
    @DisplayName("[MQTT-4.3.3-2] PUBREL is answered by PUBCOMP and the id is then new")
    void pubrelGetsPubcompAndFreesTheId() {
        connected();
        receiveAndAcknowledge(inbound("a/b", 2, 9), new Pubrec(9));

        session.onPacket(new Pubrel(9));
        assertEquals(List.of(new Sent(new Pubcomp(9), null)), out.sent);
        assertTrue(out.events.isEmpty());

        out.clear();
        Publish next = inbound("c/d", 2, 9);
        session.onPacket(next);
        Received r = out.onlyReceived();
        assertSame(next, r.publish(), "after PUBCOMP a PUBLISH with the same id is a new message");
        session.acknowledge(r.ack());
        assertEquals(List.of(new Pubrec(9)), out.packets());
    }

    @Test
    @DisplayName("PUBREL for an unknown id is answered with PUBCOMP, not treated as a violation (section 4.4)")
    void pubrelForUnknownIdGetsPubcomp() {
        connected();
        session.onPacket(new Pubrel(1234));

        assertEquals(List.of(new Sent(new Pubcomp(1234), null)), out.sent);
        assertTrue(out.events.isEmpty());
        assertEquals(Session.State.CONNECTED, session.state());
    }

    @Test
    @DisplayName("[MQTT-2.3.1-4] the broker's ids are independent of the client's: both may use id 5 at once")
    void inboundAndOutboundIdsAreIndependent() {
        connected();
        for (int i = 1; i <= 5; i++) {
            session.publish("out", bytes("m" + i), 2, false, "out-" + i);
        }
        out.clear();

        // Broker's own QoS 2 message with id 5 while the client's id 5 is in flight.
        receiveAndAcknowledge(inbound("in", 2, 5), new Pubrec(5));

        // Acks for the client's id 5 still complete the client's message.
        session.onPacket(new Pubrec(5));
        assertEquals(List.of(new Pubrel(5)), out.packets());
        out.clear();
        session.onPacket(new Pubrel(5)); // the broker releases its own id 5
        assertEquals(List.of(new Pubcomp(5)), out.packets());
        assertEquals(5, session.publishesInFlight(), "the broker's PUBREL does not touch the client's id 5");
        out.clear();
        session.onPacket(new Pubcomp(5));
        assertEquals(List.of(new Published("out-5")), out.events);

        // And an inbound QoS 1 with id 3 does not free or block the client's id 3.
        receiveAndAcknowledge(inbound("in", 1, 3), new Puback(3));
        assertEquals(4, session.publishesInFlight());
        assertEquals(6, session.publish("out", bytes("m6"), 1, false, "out-6"), "id 5 was freed by PUBCOMP, 6 is next");
    }

    // ---------------------------------------------------------------- ordering

    @Test
    @DisplayName("[MQTT-4.6.0-2] [MQTT-4.6.0-3] acks leave in arrival order even when the application acknowledges out of order")
    void acknowledgementsLeaveInArrivalOrder() {
        connected();
        InboundAck a = receive(inbound("t", 1, 1));
        InboundAck b = receive(inbound("t", 2, 2));
        InboundAck c = receive(inbound("t", 1, 3));
        assertEquals(3, session.pendingAcknowledgements());

        session.acknowledge(c);
        assertTrue(out.sent.isEmpty(), "C's PUBACK must not go before A's");
        assertEquals(3, session.pendingAcknowledgements());

        session.acknowledge(a);
        assertEquals(List.of(new Puback(1)), out.packets(), "A goes, C still waits for B");
        assertEquals(2, session.pendingAcknowledgements());

        session.acknowledge(b);
        assertEquals(List.of(new Puback(1), new Pubrec(2), new Puback(3)), out.packets());
        assertEquals(0, session.pendingAcknowledgements());
    }

    @Test
    @DisplayName("[MQTT-4.6.0-3] a duplicate QoS 2 PUBLISH whose PUBREC is held back for ordering gets no early PUBREC")
    void heldBackPubrecIsNotSentEarlyByDuplicate() {
        connected();
        InboundAck a = receive(inbound("t", 1, 1));
        InboundAck b = receive(inbound("t", 2, 2));
        session.acknowledge(b); // held back behind A

        session.onPacket(inbound("t", 2, 2, true));
        assertTrue(out.sent.isEmpty(), "PUBREC 2 may not overtake PUBACK 1");
        assertTrue(out.events.isEmpty());

        session.acknowledge(a);
        assertEquals(List.of(new Puback(1), new Pubrec(2)), out.packets());
    }

    // ---------------------------------------------------------------- bad packets

    @ParameterizedTest(name = "[{index}] topic {0}")
    @ValueSource(strings = {"a/+/c", "+", "a/#", "#", "sport+", "a#b"})
    @DisplayName("[MQTT-3.3.2-2] [MQTT-4.7.1-1] an inbound PUBLISH whose topic has a wildcard is a violation")
    void inboundWildcardTopicIsViolation(String topic) {
        connected();
        session.onPacket(inbound(topic, 1, 1));

        String v = out.onlyViolation();
        assertTrue(v.contains("wildcard"), v);
        assertTrue(v.contains(topic), v);
        assertTrue(out.sent.isEmpty());
        assertEquals(0, session.pendingAcknowledgements());
        assertEquals(Session.State.DISCONNECTED, session.state());
    }

    @Test
    @DisplayName("[MQTT-4.7.3-1] an inbound PUBLISH with an empty topic name is a violation")
    void inboundEmptyTopicIsViolation() {
        connected();
        session.onPacket(inbound("", 0, 0));

        assertEquals("sent a PUBLISH with an empty topic name", out.onlyViolation());
        assertEquals(Session.State.DISCONNECTED, session.state());
    }

    static Stream<Arguments> clientOnlyPackets() {
        return Stream.of(
                Arguments.of(connectPacket(true, 0), "CONNECT"),
                Arguments.of(new Subscribe(1, List.of(new Subscribe.Filter("a", 0))), "SUBSCRIBE"),
                Arguments.of(new Unsubscribe(1, List.of("a")), "UNSUBSCRIBE"),
                Arguments.of(Pingreq.INSTANCE, "PINGREQ"),
                Arguments.of(Disconnect.INSTANCE, "DISCONNECT"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("clientOnlyPackets")
    @DisplayName("[MQTT-4.8.0-1] a packet only a client may send, received from the broker, is a violation")
    void clientOnlyPacketFromBrokerIsViolation(Packet p, String name) {
        connected();
        session.onPacket(p);

        assertEquals("sent " + name + ", which only a client may send", out.onlyViolation());
        assertTrue(out.sent.isEmpty(), "in particular no PINGRESP to a PINGREQ");
        assertEquals(Session.State.DISCONNECTED, session.state());
    }

    @Test
    void acknowledgeAfterConnectionLostSendsNothing() {
        connected();
        InboundAck ack = receive(inbound("t", 1, 4));
        session.connectionLost(t -> { });
        out.clear();

        session.acknowledge(ack);
        assertTrue(out.sent.isEmpty(), "the broker resends unacknowledged messages on the next connection");
        assertEquals(0, session.pendingAcknowledgements());
    }

    @Test
    void qos0HasNoAckToHold() {
        connected();
        InboundAck a = receive(inbound("t", 1, 1));
        session.onPacket(inbound("t", 0, 0));
        Received r = out.onlyReceived();
        assertNull(r.ack());
        assertEquals(1, session.pendingAcknowledgements(), "QoS 0 adds nothing to the ack queue");
        out.clear();
        session.acknowledge(a);
        assertEquals(List.of(new Puback(1)), out.packets());
    }
}
