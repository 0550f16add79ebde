package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Suback;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.internal.codec.Unsuback;
import dev.mote.mqtt.internal.codec.Unsubscribe;
import dev.mote.mqtt.internal.session.RecordingListener.Sent;
import dev.mote.mqtt.internal.session.RecordingListener.Subscribed;
import dev.mote.mqtt.internal.session.RecordingListener.Unsubscribed;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** SUBSCRIBE/SUBACK and UNSUBSCRIBE/UNSUBACK. */
class SessionSubscribeTest extends SessionTestSupport {

    private static final List<Subscribe.Filter> THREE = List.of(
            new Subscribe.Filter("a/b", 1),
            new Subscribe.Filter("c/#", 2),
            new Subscribe.Filter("$share/g/d/+", 0));

    @Test
    @DisplayName("[MQTT-3.9.3-1] [MQTT-3.9.3-2] SUBACK return codes, 0x80 included, reach subscribed() in filter order")
    void subscribeThenSuback() {
        connected();
        int id = session.subscribe(THREE, "sub");

        assertEquals(1, id);
        assertEquals(List.of(new Sent(new Subscribe(1, THREE), "sub")), out.sent);
        assertTrue(out.events.isEmpty());

        out.clear();
        session.onPacket(new Suback(1, new int[] {1, Suback.FAILURE, 0}));
        assertEquals(List.of(new Subscribed("sub", List.of(1, 0x80, 0))), out.events);
        assertTrue(out.sent.isEmpty());
        assertEquals(0, session.idsInUse());
    }

    @Test
    @DisplayName("[MQTT-2.3.1-7] SUBACKs are matched to SUBSCRIBEs by id, whatever order they come in")
    void subacksCorrelatedById() {
        connected();
        session.subscribe(List.of(new Subscribe.Filter("x", 2)), "first");
        session.subscribe(THREE, "second");
        out.clear();

        session.onPacket(new Suback(2, new int[] {0, 1, 2}));
        session.onPacket(new Suback(1, new int[] {Suback.FAILURE}));
        assertEquals(List.of(
                new Subscribed("second", List.of(0, 1, 2)),
                new Subscribed("first", List.of(0x80))), out.events);
    }

    @Test
    @DisplayName("[MQTT-3.9.3-1] a SUBACK with the wrong number of return codes is a violation")
    void subackWithWrongCodeCountIsViolation() {
        connected();
        session.subscribe(THREE, "sub");
        out.clear();

        session.onPacket(new Suback(1, new int[] {0, 0}));
        assertEquals("sent a SUBACK with 2 return codes for a SUBSCRIBE of 3 filters (packet id 1)", out.onlyViolation());
        assertEquals(Session.State.DISCONNECTED, session.state());
    }

    @Test
    void subackWithTooManyCodesIsViolation() {
        connected();
        session.subscribe(List.of(new Subscribe.Filter("a", 0)), "sub");
        out.clear();

        session.onPacket(new Suback(1, new int[] {0, 0}));
        assertEquals("sent a SUBACK with 2 return codes for a SUBSCRIBE of 1 filters (packet id 1)", out.onlyViolation());
    }

    @Test
    @DisplayName("[MQTT-3.10.4-5] UNSUBSCRIBE, then UNSUBACK, completes the unsubscribe and frees its id")
    void unsubscribeThenUnsuback() {
        connected();
        int id = session.unsubscribe(List.of("a/b", "c/#"), "unsub");

        assertEquals(1, id);
        assertEquals(List.of(new Sent(new Unsubscribe(1, List.of("a/b", "c/#")), "unsub")), out.sent);
        assertEquals(1, session.idsInUse());

        out.clear();
        session.onPacket(new Unsuback(1));
        assertEquals(List.of(new Unsubscribed("unsub")), out.events);
        assertTrue(out.sent.isEmpty());
        assertEquals(0, session.idsInUse());
    }

    @Test
    void secondUnsubackForSameIdIsViolation() {
        connected();
        session.unsubscribe(List.of("a"), "unsub");
        session.onPacket(new Unsuback(1));
        out.clear();

        session.onPacket(new Unsuback(1));
        assertEquals("sent UNSUBACK for packet id 1, which this client has not used", out.onlyViolation());
    }

    @Test
    void subscribeAndUnsubscribeNeedAConnection() {
        assertEquals("not connected", assertThrows(IllegalStateException.class,
                () -> session.subscribe(THREE, "s")).getMessage());
        session.connect(connectPacket(true, 0), PING_TIMEOUT);
        out.clear();
        assertThrows(IllegalStateException.class, () -> session.subscribe(THREE, "s"));
        assertThrows(IllegalStateException.class, () -> session.unsubscribe(List.of("a"), "u"));
        assertTrue(out.sent.isEmpty());
        assertEquals(0, session.idsInUse(), "a refused command takes no id");
    }
}
