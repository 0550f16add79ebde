package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Pingreq;
import dev.mote.mqtt.internal.codec.Pingresp;
import dev.mote.mqtt.internal.session.RecordingListener.Dead;
import dev.mote.mqtt.internal.session.RecordingListener.Pong;
import dev.mote.mqtt.internal.session.RecordingListener.Sent;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Keep-alive and PINGREQ/PINGRESP, on a fake clock: {@code tick(now, lastSentAt, lastReceivedAt)}
 * takes nanosecond times and returns how long until it wants to be called again.
 */
class SessionKeepAliveTest extends SessionTestSupport {

    /** An arbitrary origin, as System.nanoTime() has one. */
    private static final long T0 = 7_000 * SECOND;
    private static final int KEEP_ALIVE_S = 10;
    private static final long KEEP_ALIVE = KEEP_ALIVE_S * SECOND;

    private static final Sent PINGREQ = new Sent(Pingreq.INSTANCE, null);

    /** Connected with keep-alive 10 s; the last packet was sent and received at T0. */
    private void connectedWithKeepAlive() {
        connected(false, KEEP_ALIVE_S);
    }

    @Test
    @DisplayName("[MQTT-3.1.2-23] no PINGREQ before keep-alive elapses; tick says how long is left")
    void noPingBeforeKeepAliveElapses() {
        connectedWithKeepAlive();

        assertEquals(KEEP_ALIVE, session.tick(T0, T0, T0));
        assertEquals(3 * SECOND, session.tick(T0 + 7 * SECOND, T0, T0));
        assertEquals(1, session.tick(T0 + KEEP_ALIVE - 1, T0, T0));
        assertTrue(out.sent.isEmpty());
    }

    @Test
    @DisplayName("[MQTT-3.1.2-23] PINGREQ once nothing was sent for keep-alive, then tick waits for the ping timeout")
    void pingWhenNothingSentForKeepAlive() {
        connectedWithKeepAlive();
        long now = T0 + KEEP_ALIVE;

        assertEquals(PING_TIMEOUT, session.tick(now, T0, now - 1));
        assertEquals(List.of(PINGREQ), out.sent);
        assertTrue(out.events.isEmpty());
    }

    @Test
    void pingWhenNothingReceivedForKeepAlive() {
        connectedWithKeepAlive();
        long now = T0 + 12 * SECOND;

        assertEquals(PING_TIMEOUT, session.tick(now, now - SECOND, T0 + 2 * SECOND));
        assertEquals(List.of(PINGREQ), out.sent);
    }

    @Test
    void nextTickCountsFromTheOlderOfLastSentAndLastReceived() {
        connectedWithKeepAlive();

        // Sent 8 s ago, received 1 s ago: idle for 8 s, 2 s to go.
        assertEquals(2 * SECOND, session.tick(T0 + 20 * SECOND, T0 + 12 * SECOND, T0 + 19 * SECOND));
        // Received 6 s ago, sent just now: 4 s to go.
        assertEquals(4 * SECOND, session.tick(T0 + 20 * SECOND, T0 + 20 * SECOND, T0 + 14 * SECOND));
        assertTrue(out.sent.isEmpty());
    }

    @Test
    void noSecondPingWhileOneIsOutstanding() {
        connectedWithKeepAlive();
        long pingAt = T0 + KEEP_ALIVE;
        session.tick(pingAt, T0, T0);
        out.clear();

        // Still idle (the caller's times did not move), but a PINGREQ is already out.
        assertEquals(PING_TIMEOUT - SECOND, session.tick(pingAt + SECOND, T0, T0));
        assertEquals(PING_TIMEOUT - 4 * SECOND, session.tick(pingAt + 4 * SECOND, T0, T0));
        assertTrue(out.sent.isEmpty());
        assertTrue(out.events.isEmpty());
    }

    @Test
    void pingrespClearsTheOutstandingPing() {
        connectedWithKeepAlive();
        long pingAt = T0 + KEEP_ALIVE;
        session.tick(pingAt, T0, T0);
        out.clear();

        session.onPacket(Pingresp.INSTANCE);
        assertEquals(List.of(new Pong(null)), out.events);
        assertTrue(out.sent.isEmpty());

        // PINGREQ sent at pingAt, PINGRESP received at pingAt + 1 s: the next ping is due a
        // keep-alive after the older of the two, the PINGREQ.
        long received = pingAt + SECOND;
        out.clear();
        assertEquals(KEEP_ALIVE - 2 * SECOND, session.tick(pingAt + 2 * SECOND, pingAt, received));
        assertTrue(out.sent.isEmpty());
        assertEquals(PING_TIMEOUT, session.tick(pingAt + KEEP_ALIVE, pingAt, received));
        assertEquals(List.of(PINGREQ), out.sent, "a new keep-alive ping once idle again");
    }

    @Test
    @DisplayName("no PINGRESP within the ping timeout: the connection is declared dead")
    void noPingrespWithinTimeoutIsDead() {
        connectedWithKeepAlive();
        long pingAt = T0 + KEEP_ALIVE;
        session.tick(pingAt, T0, T0);
        out.clear();

        assertEquals(1, session.tick(pingAt + PING_TIMEOUT - 1, pingAt, T0));
        assertTrue(out.events.isEmpty());

        assertEquals(Long.MAX_VALUE, session.tick(pingAt + PING_TIMEOUT, pingAt, T0));
        assertEquals(1, out.events.size());
        String d = assertInstanceOf(Dead.class, out.events.get(0)).description();
        assertEquals("no PINGRESP within 5000 ms of PINGREQ (keep-alive 10 s)", d);
        assertTrue(out.sent.isEmpty());
    }

    @Test
    void deadReportsTheConfiguredPingTimeout() {
        session.connect(connectPacket(true, 3), 750 * MILLI);
        session.onPacket(new Connack(false, 0));
        out.clear();
        long pingAt = T0 + 3 * SECOND;
        assertEquals(750 * MILLI, session.tick(pingAt, T0, T0));
        session.tick(pingAt + 750 * MILLI, pingAt, T0);
        String d = assertInstanceOf(Dead.class, out.events.get(0)).description();
        assertEquals("no PINGRESP within 750 ms of PINGREQ (keep-alive 3 s)", d);
    }

    @Test
    void restartPingClockPostponesTheDeadVerdict() {
        connectedWithKeepAlive();
        long pingAt = T0 + KEEP_ALIVE;
        session.tick(pingAt, T0, T0);
        out.clear();

        session.restartPingClock(pingAt + 4 * SECOND);
        assertEquals(3 * SECOND, session.tick(pingAt + 6 * SECOND, pingAt, T0), "timeout counts from the restart");
        assertTrue(out.events.isEmpty());

        session.tick(pingAt + 9 * SECOND, pingAt, T0);
        assertInstanceOf(Dead.class, out.events.get(0));
    }

    @Test
    void restartPingClockWithoutOutstandingPingChangesNothing() {
        connectedWithKeepAlive();
        session.restartPingClock(T0 + 9 * SECOND);
        assertEquals(PING_TIMEOUT, session.tick(T0 + KEEP_ALIVE, T0, T0));
        assertEquals(List.of(PINGREQ), out.sent);
    }

    @Test
    @DisplayName("keep-alive 0 turns the mechanism off: tick returns Long.MAX_VALUE and never pings")
    void keepAliveZeroNeverPings() {
        connected(false, 0);

        assertEquals(Long.MAX_VALUE, session.tick(T0, T0, T0));
        assertEquals(Long.MAX_VALUE, session.tick(T0 + 3_600 * SECOND, T0, T0));
        assertEquals(Long.MAX_VALUE, session.tick(T0 + 18 * 3_600 * SECOND, T0, T0));
        assertTrue(out.sent.isEmpty());
        assertTrue(out.events.isEmpty());
    }

    @Test
    void noKeepAliveBeforeConnackOrAfterDisconnect() {
        session.connect(connectPacket(true, KEEP_ALIVE_S), PING_TIMEOUT);
        out.clear();
        assertEquals(Long.MAX_VALUE, session.tick(T0 + 60 * SECOND, T0, T0), "no ping while waiting for CONNACK");

        session.onPacket(new Connack(false, 0));
        session.disconnect();
        out.clear();
        assertEquals(Long.MAX_VALUE, session.tick(T0 + 60 * SECOND, T0, T0));
        assertTrue(out.sent.isEmpty());
    }

    @Test
    @DisplayName("keep-alive arithmetic is overflow-safe, like System.nanoTime() comparisons must be")
    void keepAliveSurvivesNanoTimeOverflow() {
        connectedWithKeepAlive();
        long origin = Long.MAX_VALUE - 5 * SECOND; // System.nanoTime() may start anywhere

        // Sent 5 s before the counter overflows, received after it: idle (since the send) for 8 s.
        long sent = origin;
        long received = origin + 7 * SECOND; // wrapped round to a negative value
        long now = origin + 8 * SECOND;
        assertTrue(received < 0 && now < 0 && sent > 0);
        assertEquals(2 * SECOND, session.tick(now, sent, received));
        assertTrue(out.sent.isEmpty());

        assertEquals(PING_TIMEOUT, session.tick(origin + KEEP_ALIVE, sent, received));
        assertEquals(List.of(PINGREQ), out.sent);

        // The ping timeout across the overflow too.
        out.clear();
        long pingAt = origin + KEEP_ALIVE;
        assertEquals(SECOND, session.tick(pingAt + 4 * SECOND, sent, received));
        session.tick(pingAt + PING_TIMEOUT, sent, received);
        assertInstanceOf(Dead.class, out.events.get(0));
    }

    // ---------------------------------------------------------------- application pings

    @Test
    void userPingGetsItsTokenBack() {
        connectedWithKeepAlive();
        session.ping("req-1");

        assertEquals(List.of(PINGREQ), out.sent);
        assertTrue(out.events.isEmpty());
        session.onPacket(Pingresp.INSTANCE);
        assertEquals(List.of(new Pong("req-1")), out.events);
    }

    @Test
    void pingrespsAnswerPingsInOrderWhetherKeepAliveOrUser() {
        connectedWithKeepAlive();
        session.ping("first");
        session.tick(T0 + KEEP_ALIVE, T0, T0); // keep-alive PINGREQ second
        session.ping("third");
        assertEquals(List.of(PINGREQ, PINGREQ, PINGREQ), out.sent);

        session.onPacket(Pingresp.INSTANCE);
        session.onPacket(Pingresp.INSTANCE);
        session.onPacket(Pingresp.INSTANCE);
        assertEquals(List.of(new Pong("first"), new Pong(null), new Pong("third")), out.events);

        // The keep-alive ping was answered: no dead verdict later.
        out.clear();
        session.tick(T0 + KEEP_ALIVE + PING_TIMEOUT, T0 + KEEP_ALIVE + PING_TIMEOUT, T0 + KEEP_ALIVE + PING_TIMEOUT);
        assertTrue(out.events.isEmpty());
    }

    @Test
    @DisplayName("[MQTT-4.8.0-1] a PINGRESP without a PINGREQ is a violation")
    void pingrespWithoutPingreqIsViolation() {
        connectedWithKeepAlive();
        session.onPacket(Pingresp.INSTANCE);

        assertEquals("sent a PINGRESP without a PINGREQ", out.onlyViolation());
        assertEquals(Session.State.DISCONNECTED, session.state());
    }

    @Test
    void secondPingrespForOnePingreqIsViolation() {
        connectedWithKeepAlive();
        session.ping("only");
        session.onPacket(Pingresp.INSTANCE);
        out.clear();

        session.onPacket(Pingresp.INSTANCE);
        assertEquals("sent a PINGRESP without a PINGREQ", out.onlyViolation());
    }

    @Test
    void userPingNeedsAConnection() {
        assertThrows(IllegalStateException.class, () -> session.ping("p"));
        assertTrue(out.sent.isEmpty());
    }
}
