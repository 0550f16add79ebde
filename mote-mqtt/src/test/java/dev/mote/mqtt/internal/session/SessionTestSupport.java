package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Publish;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Shared set-up for the session tests: a fresh {@link Session} wired to a
 * {@link RecordingListener}, and short ways to build the packets a broker would send. JUnit makes
 * a new instance per test, so every test starts from a new session.
 */
abstract class SessionTestSupport {

    static final long SECOND = 1_000_000_000L;
    static final long MILLI = 1_000_000L;
    /** Ping timeout used unless a test says otherwise. */
    static final long PING_TIMEOUT = 5 * SECOND;

    final RecordingListener out = new RecordingListener();
    final Session session = new Session(out, Connect.LEVEL_3_1_1);

    static Connect connectPacket(boolean cleanSession, int keepAliveSeconds) {
        return new Connect(Connect.LEVEL_3_1_1, "client-1", cleanSession, keepAliveSeconds,
                null, null, 0, false, null, null);
    }

    /** Connects with a persistent session and no keep-alive, accepts, and clears the record. */
    void connected() {
        connected(false, 0);
    }

    /** Connects, gets CONNACK(accepted, session present = !cleanSession) and clears the record. */
    void connected(boolean cleanSession, int keepAliveSeconds) {
        session.connect(connectPacket(cleanSession, keepAliveSeconds), PING_TIMEOUT);
        session.onPacket(new Connack(false, 0));
        assertEquals(Session.State.CONNECTED, session.state());
        out.clear();
    }

    /** Loses the connection, reconnects with a persistent session and clears only the CONNECT. */
    List<Object> loseAndReconnect(boolean sessionPresent) {
        List<Object> abandoned = new java.util.ArrayList<>();
        session.connectionLost(abandoned::add);
        session.connect(connectPacket(false, 0), PING_TIMEOUT);
        out.clear();
        session.onPacket(new Connack(sessionPresent, 0));
        return abandoned;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A PUBLISH as the broker would send it. */
    static Publish inbound(String topic, int qos, int packetId, boolean dup) {
        return new Publish(topic, bytes("payload of " + packetId), qos, false, dup, packetId);
    }

    static Publish inbound(String topic, int qos, int packetId) {
        return inbound(topic, qos, packetId, false);
    }

    /** The PUBLISH the session should send for {@code session.publish(topic, bytes(body), qos, retain, ...)}. */
    static Publish outbound(String topic, String body, int qos, boolean retain, boolean dup, int packetId) {
        return new Publish(topic, bytes(body), qos, retain, dup, packetId);
    }
}
