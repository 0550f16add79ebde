package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Disconnect;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.internal.session.RecordingListener.Sent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** DISCONNECT and close: the end of the session. */
class SessionShutdownTest extends SessionTestSupport {

    private static final List<Subscribe.Filter> FILTER = List.of(new Subscribe.Filter("a/#", 1));

    private final List<Object> abandoned = new ArrayList<>();

    @Test
    @DisplayName("[MQTT-3.14.4-2] disconnect sends DISCONNECT, closes the session, and nothing may be sent after it")
    void disconnectSendsDisconnectThenNothing() {
        connected(false, 10);
        session.publish("t", bytes("a"), 1, false, "A");
        out.clear();

        session.disconnect();
        assertEquals(List.of(new Sent(Disconnect.INSTANCE, null)), out.sent);
        assertEquals(Session.State.CLOSED, session.state());

        out.clear();
        assertEquals("the session is closed",
                assertThrows(IllegalStateException.class, () -> session.publish("t", bytes("x"), 1, false, "B")).getMessage());
        assertThrows(IllegalStateException.class, () -> session.publish("t", bytes("x"), 0, false, "C"));
        assertThrows(IllegalStateException.class, () -> session.subscribe(FILTER, "s"));
        assertThrows(IllegalStateException.class, () -> session.unsubscribe(List.of("a"), "u"));
        assertThrows(IllegalStateException.class, () -> session.ping("p"));
        assertEquals(Long.MAX_VALUE, session.tick(60 * SECOND, 0, 0));
        session.onPacket(new Puback(1));
        session.onPacket(inbound("t", 1, 1));
        session.disconnect();

        assertTrue(out.sent.isEmpty(), "no packet after DISCONNECT, not even a second DISCONNECT");
        assertTrue(out.events.isEmpty(), "late packets mean nothing");
    }

    @Test
    void disconnectWhileConnectingSendsDisconnect() {
        session.connect(connectPacket(true, 0), PING_TIMEOUT);
        out.clear();
        session.disconnect();
        assertEquals(List.of(Disconnect.INSTANCE), out.packets());
        assertEquals(Session.State.CLOSED, session.state());
        session.onPacket(new Connack(false, 0));
        assertTrue(out.events.isEmpty());
    }

    @Test
    void disconnectWithoutConnectionSendsNothingButCloses() {
        connected();
        session.connectionLost(abandoned::add);
        out.clear();

        session.disconnect();
        assertTrue(out.sent.isEmpty());
        assertEquals(Session.State.CLOSED, session.state());
    }

    @Test
    @DisplayName("close hands every pending token over: publishes in send order, subscribes, unsubscribes, pings")
    void closeHandsOverEveryPendingToken() {
        connected(false, 10);
        session.publish("t", bytes("1"), 1, false, "pub-1");      // 1
        session.publish("t", bytes("2"), 2, false, "pub-2");      // 2, will wait for PUBCOMP
        session.subscribe(FILTER, "sub");                          // 3
        session.unsubscribe(List.of("a/#"), "unsub");              // 4
        session.publish("t", bytes("5"), 2, false, "pub-5");      // 5
        session.publish("t", bytes("6"), 1, false, "pub-6");      // 6
        session.onPacket(new Pubrec(2));
        session.onPacket(new Puback(6));                           // completed: not pending any more
        session.ping("ping");
        session.tick(10 * SECOND, 0, 0);                           // keep-alive ping: no token
        out.clear();

        session.close(abandoned::add);

        assertEquals(6, abandoned.size(), abandoned::toString);
        assertEquals(List.of("pub-1", "pub-2", "pub-5"),
                abandoned.stream().filter(t -> ((String) t).startsWith("pub")).toList(), "publishes in send order");
        assertEquals(Set.of("pub-1", "pub-2", "pub-5", "sub", "unsub", "ping"), new HashSet<>(abandoned));
        assertEquals(Session.State.CLOSED, session.state());
        assertEquals(0, session.publishesInFlight());
        assertEquals(0, session.idsInUse());
        assertTrue(out.sent.isEmpty(), "close sends nothing; disconnect is the polite way");
        assertTrue(out.events.isEmpty());

        abandoned.clear();
        session.close(abandoned::add);
        assertTrue(abandoned.isEmpty(), "a second close has nothing left to hand over");
        session.connectionLost(abandoned::add);
        assertTrue(abandoned.isEmpty());
    }

    @Test
    void closeAfterDisconnectHandsOverWhatWasStillInFlight() {
        connected();
        session.publish("t", bytes("1"), 1, false, "pub-1");
        session.disconnect();

        session.close(abandoned::add);
        assertEquals(List.of("pub-1"), abandoned);
    }

    @Test
    void closeWhileDisconnectedHandsOverQueuedPublishes() {
        session.publish("t", bytes("1"), 1, false, "queued-1");
        session.publish("t", bytes("2"), 2, false, "queued-2");

        session.close(abandoned::add);
        assertEquals(List.of("queued-1", "queued-2"), abandoned);
        assertTrue(out.sent.isEmpty());
    }

    @Test
    void closeAfterRefusalHandsOverPublishesMadeWhileConnecting() {
        session.connect(connectPacket(true, 0), PING_TIMEOUT);
        session.publish("t", bytes("1"), 1, false, "waiting");
        session.onPacket(new Connack(false, 4));
        assertEquals(Session.State.DISCONNECTED, session.state());

        session.close(abandoned::add);
        assertEquals(List.of("waiting"), abandoned);
        assertEquals(List.of(connectPacket(true, 0)), out.packets(), "the publish never left");
    }
}
