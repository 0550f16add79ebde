package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.Pingresp;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Suback;
import dev.mote.mqtt.internal.session.RecordingListener.Connected;
import dev.mote.mqtt.internal.session.RecordingListener.Refused;
import dev.mote.mqtt.internal.session.RecordingListener.Sent;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** CONNECT and CONNACK: the start of every connection. */
class SessionConnectTest extends SessionTestSupport {

    @Test
    void newSessionIsDisconnectedAndHoldsNothing() {
        assertEquals(Session.State.DISCONNECTED, session.state());
        assertEquals(Connect.LEVEL_3_1_1, session.protocolLevel());
        assertEquals(0, session.idsInUse());
        assertEquals(0, session.publishesInFlight());
        assertTrue(out.sent.isEmpty());
        assertTrue(out.events.isEmpty());
    }

    @Test
    @DisplayName("[MQTT-3.1.0-1] connect sends the CONNECT packet, first and alone, and waits for CONNACK")
    void connectSendsConnectFirst() {
        Connect c = connectPacket(true, 30);
        session.connect(c, PING_TIMEOUT);

        assertEquals(1, out.sent.size());
        assertSame(c, out.sent.get(0).packet());
        assertEquals(new Sent(c, null), out.sent.get(0));
        assertEquals(Session.State.CONNECTING, session.state());
        assertTrue(out.events.isEmpty(), "no event before CONNACK");
    }

    @Test
    @DisplayName("[MQTT-3.1.0-2] a second connect while waiting for CONNACK throws and sends nothing")
    void secondConnectWhileConnectingThrows() {
        session.connect(connectPacket(true, 0), PING_TIMEOUT);
        out.clear();

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> session.connect(connectPacket(true, 0), PING_TIMEOUT));
        assertTrue(e.getMessage().contains("connecting"), e.getMessage());
        assertTrue(out.sent.isEmpty());
        assertEquals(Session.State.CONNECTING, session.state());
    }

    @Test
    @DisplayName("[MQTT-3.1.0-2] a second connect while connected throws and sends nothing")
    void secondConnectWhileConnectedThrows() {
        connected();

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> session.connect(connectPacket(false, 0), PING_TIMEOUT));
        assertTrue(e.getMessage().contains("connected"), e.getMessage());
        assertTrue(out.sent.isEmpty());
        assertEquals(Session.State.CONNECTED, session.state());
    }

    @Test
    void connectAfterDisconnectThrows() {
        connected();
        session.disconnect();
        out.clear();

        assertThrows(IllegalStateException.class, () -> session.connect(connectPacket(false, 0), PING_TIMEOUT));
        assertTrue(out.sent.isEmpty());
    }

    @ParameterizedTest(name = "[{index}] CONNACK session present = {0}")
    @ValueSource(booleans = {false, true})
    void connackAcceptedReportsSessionPresentFlag(boolean sessionPresent) {
        session.connect(connectPacket(false, 0), PING_TIMEOUT);
        session.onPacket(new Connack(sessionPresent, 0));

        assertEquals(List.of(new Connected(sessionPresent)), out.events);
        assertEquals(Session.State.CONNECTED, session.state());
    }

    @ParameterizedTest(name = "[{index}] return code {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5})
    @DisplayName("[MQTT-3.2.2-5] CONNACK return codes 1..5 refuse the connection")
    void connackRefusalCodes(int code) {
        session.connect(connectPacket(true, 0), PING_TIMEOUT);
        out.clear();
        session.onPacket(new Connack(false, code));

        assertEquals(List.of(new Refused(code)), out.events);
        assertEquals(Session.State.DISCONNECTED, session.state());
        assertTrue(out.sent.isEmpty());
    }

    @ParameterizedTest(name = "[{index}] reserved return code {0}")
    @ValueSource(ints = {6, 7, 0x80, 255})
    void connackReservedCodesAreRefusalsToo(int code) {
        session.connect(connectPacket(true, 0), PING_TIMEOUT);
        session.onPacket(new Connack(false, code));

        assertEquals(List.of(new Refused(code)), out.events);
        assertEquals(Session.State.DISCONNECTED, session.state());
    }

    @Test
    @DisplayName("after a refusal nothing is sent until the next connect, which a reconnect may make")
    void refusedSessionSendsNothingUntilConnectedAgain() {
        session.connect(connectPacket(true, 0), PING_TIMEOUT);
        session.onPacket(new Connack(false, 5));
        out.clear();

        session.publish("a", bytes("x"), 1, false, "t"); // kept in flight for the next connection
        session.onPacket(new Connack(false, 0));
        assertTrue(out.sent.isEmpty(), "nothing goes out on a refused connection");
        assertTrue(out.events.isEmpty(), "a late CONNACK after refusal means nothing");

        session.connect(connectPacket(true, 0), PING_TIMEOUT);
        session.onPacket(new Connack(false, 0));
        assertEquals(List.of(connectPacket(true, 0), new Publish("a", bytes("x"), 1, false, false, 1)), out.packets(),
                "the next connection sends the waiting publish, not marked as a duplicate");
    }

    static Stream<Arguments> packetsBeforeConnack() {
        return Stream.of(
                Arguments.of(inbound("a/b", 1, 1), "PUBLISH"),
                Arguments.of(new Puback(1), "PUBACK"),
                Arguments.of(new Suback(1, new int[] {0}), "SUBACK"),
                Arguments.of(Pingresp.INSTANCE, "PINGRESP"));
    }

    @ParameterizedTest(name = "[{index}] {1} first")
    @MethodSource("packetsBeforeConnack")
    @DisplayName("a first packet other than CONNACK is a violation that names the packet")
    void firstPacketNotConnackIsViolation(Packet first, String name) {
        session.connect(connectPacket(true, 0), PING_TIMEOUT);
        out.clear();
        session.onPacket(first);

        String v = out.onlyViolation();
        assertTrue(v.contains(name + " before CONNACK"), v);
        assertEquals(Session.State.DISCONNECTED, session.state());
        assertTrue(out.sent.isEmpty());

        // The connection is dead: a CONNACK arriving after the violation is ignored.
        out.clear();
        session.onPacket(new Connack(false, 0));
        assertTrue(out.events.isEmpty());
        assertEquals(Session.State.DISCONNECTED, session.state());
    }

    @Test
    @DisplayName("[MQTT-4.8.0-1] a second CONNACK on the same connection is a violation")
    void secondConnackIsViolation() {
        connected();
        session.onPacket(new Connack(true, 0));

        String v = out.onlyViolation();
        assertTrue(v.contains("second CONNACK"), v);
        assertEquals(Session.State.DISCONNECTED, session.state());
    }

    @Test
    void packetsBeforeConnectAreIgnored() {
        session.onPacket(new Connack(false, 0));
        session.onPacket(inbound("a", 1, 1));

        assertTrue(out.events.isEmpty());
        assertTrue(out.sent.isEmpty());
        assertEquals(Session.State.DISCONNECTED, session.state());
    }
}
