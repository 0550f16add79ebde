package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.codec.Suback;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.internal.codec.Unsuback;
import dev.mote.mqtt.internal.codec.Unsubscribe;
import dev.mote.mqtt.internal.session.RecordingListener.Published;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Packet identifiers: 1..65535, never 0, never one in use, shared by every kind of packet. */
class SessionPacketIdTest extends SessionTestSupport {

    private static final int MAX_ID = 65_535;
    private static final List<Subscribe.Filter> ONE_FILTER = List.of(new Subscribe.Filter("a/#", 1));

    /** Publishes QoS 1 and acknowledges at once, so the id is used and freed; returns the id. */
    private int publishAndAck() {
        int id = session.publish("t", bytes("x"), 1, false, null);
        session.onPacket(new Puback(id));
        return id;
    }

    @Test
    @DisplayName("[MQTT-2.3.1-1] ids start at 1 and count up, one per QoS 1/2 PUBLISH")
    void idsStartAtOneAndCountUp() {
        connected();
        assertEquals(1, session.publish("t", bytes("a"), 1, false, "a"));
        assertEquals(2, session.publish("t", bytes("b"), 2, false, "b"));
        assertEquals(3, session.publish("t", bytes("c"), 1, true, "c"));

        assertEquals(List.of(1, 2, 3), out.packets().stream().map(p -> ((Publish) p).packetId()).toList());
        assertEquals(3, session.idsInUse());
    }

    @Test
    @DisplayName("[MQTT-2.3.1-1] ids run 1..65535 and wrap round to 1, never 0")
    void idsWrapAroundAfter65535NeverZero() {
        connected();
        for (int expected = 1; expected <= MAX_ID; expected++) {
            assertEquals(expected, publishAndAck());
        }
        assertEquals(0, session.idsInUse());
        assertEquals(1, publishAndAck(), "after 65535 comes 1, not 0");
        assertEquals(2, publishAndAck());
    }

    @Test
    @DisplayName("[MQTT-2.3.1-2] a new packet gets an id not in use: after wrap-around in-use ids are skipped")
    void wrapAroundSkipsIdsStillInUse() {
        connected();
        int held1 = session.publish("t", bytes("held"), 1, false, "held-1"); // id 1, stays in flight
        int held2 = session.subscribe(ONE_FILTER, "held-sub");               // id 2, stays in flight
        int held3 = session.publish("t", bytes("held"), 2, false, "held-3"); // id 3, stays in flight
        assertEquals(List.of(1, 2, 3), List.of(held1, held2, held3));
        for (int expected = 4; expected <= MAX_ID; expected++) {
            assertEquals(expected, publishAndAck());
        }
        out.clear();

        // 1, 2 and 3 are still in use: the next id after 65535 is 4.
        assertEquals(4, session.publish("t", bytes("new"), 1, false, "new"));
        assertEquals(4, session.idsInUse());
        assertEquals(List.of(outbound("t", "new", 1, false, false, 4)), out.packets());
    }

    @Test
    @DisplayName("[MQTT-2.3.1-2] with many ids in flight, freed ids are reused and in-use ones are skipped")
    void fullTableReusesExactlyTheFreedIds() {
        // Publishing while disconnected fills the table without sending anything. Odd ids are
        // QoS 1, even ids QoS 2.
        for (int expected = 1; expected <= MAX_ID; expected++) {
            assertEquals(expected, session.publish("t", bytes("x"), 2 - (expected & 1), false, expected));
        }
        assertEquals(MAX_ID, session.idsInUse());
        assertEquals(MAX_ID, session.publishesInFlight());
        assertTrue(out.sent.isEmpty());
        connected(false, 0); // CONNACK sends all of them; connected() clears the record
        assertEquals(MAX_ID, session.idsInUse());

        // Free 7 (QoS 1, PUBACK), 40000 (QoS 2 after PUBREC+PUBCOMP) and 65535 (QoS 1); 12 is
        // half-way (PUBREC only) and must stay in use.
        session.onPacket(new Puback(7));
        session.onPacket(new Pubrec(40_000));
        session.onPacket(new Pubcomp(40_000));
        session.onPacket(new Puback(MAX_ID));
        session.onPacket(new Pubrec(12));
        assertEquals(List.of(new Published(7), new Published(40_000), new Published(MAX_ID)), out.events);
        assertEquals(MAX_ID - 3, session.idsInUse());

        // The allocator carries on after 65535: it wraps, skips everything in use, finds 7, 40000, 65535.
        assertEquals(7, session.publish("t", bytes("n1"), 1, false, "n1"));
        assertEquals(40_000, session.subscribe(ONE_FILTER, "n2"));
        assertEquals(MAX_ID, session.unsubscribe(List.of("a/#"), "n3"));
        assertEquals(MAX_ID, session.idsInUse());

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> session.publish("t", bytes("x"), 1, false, "too many"));
        assertTrue(e.getMessage().contains("65535"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> session.subscribe(ONE_FILTER, "too many"));
        assertThrows(IllegalStateException.class, () -> session.unsubscribe(List.of("a/#"), "too many"));
        assertEquals(MAX_ID, session.idsInUse());
    }

    @Test
    @DisplayName("all 65535 ids in use: publish throws IllegalStateException and sends nothing")
    void allIdsInUseThrows() {
        connected();
        for (int i = 1; i <= MAX_ID; i++) {
            session.publish("t", bytes("x"), 1, false, i);
        }
        out.clear();

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> session.publish("t", bytes("x"), 2, false, "one too many"));
        assertEquals("all 65535 packet identifiers are in use", e.getMessage());
        assertTrue(out.sent.isEmpty());
        assertEquals(MAX_ID, session.idsInUse());
        assertEquals(MAX_ID, session.publishesInFlight());

        // QoS 0 needs no id and still goes out.
        assertEquals(0, session.publish("t", bytes("q0"), 0, false, "q0"));
        assertEquals(List.of(outbound("t", "q0", 0, false, false, 0)), out.packets());

        // Freeing one id makes exactly that one available.
        session.onPacket(new Puback(31_000));
        assertEquals(31_000, session.publish("t", bytes("x"), 1, false, "next"));
    }

    @Test
    @DisplayName("[MQTT-2.3.1-1] PUBLISH, SUBSCRIBE and UNSUBSCRIBE draw from one id space")
    void idsAreSharedByPublishSubscribeAndUnsubscribe() {
        connected();
        int p1 = session.publish("t", bytes("a"), 1, false, "p1");
        int s = session.subscribe(ONE_FILTER, "s");
        int u = session.unsubscribe(List.of("x", "y"), "u");
        int p2 = session.publish("t", bytes("b"), 2, false, "p2");

        assertEquals(List.of(1, 2, 3, 4), List.of(p1, s, u, p2));
        assertEquals(List.of(
                outbound("t", "a", 1, false, false, 1),
                new Subscribe(2, ONE_FILTER),
                new Unsubscribe(3, List.of("x", "y")),
                outbound("t", "b", 2, false, false, 4)), out.packets());
        assertEquals(4, session.idsInUse());
        assertEquals(2, session.publishesInFlight(), "subscribe and unsubscribe are not publishes");
    }

    @Test
    @DisplayName("[MQTT-2.3.1-3] an id is freed once PUBACK, PUBCOMP, SUBACK or UNSUBACK is processed, not before")
    void idsAreFreedByTheirFinalAck() {
        connected();
        session.publish("t", bytes("a"), 1, false, "p1");         // 1
        session.subscribe(ONE_FILTER, "s");                        // 2
        session.unsubscribe(List.of("a/#"), "u");                  // 3
        session.publish("t", bytes("b"), 2, false, "p2");         // 4
        assertEquals(4, session.idsInUse());

        session.onPacket(new Unsuback(3));
        session.onPacket(new Suback(2, new int[] {1}));
        session.onPacket(new Puback(1));
        assertEquals(1, session.idsInUse());

        session.onPacket(new Pubrec(4));
        assertEquals(1, session.idsInUse(), "a QoS 2 id stays in use between PUBREC and PUBCOMP");
        session.onPacket(new Pubcomp(4));
        assertEquals(0, session.idsInUse());
        assertEquals(0, session.publishesInFlight());
    }

    @Test
    @DisplayName("[MQTT-2.3.1-6] PUBREL carries the id of the PUBLISH it answers")
    void pubrelCarriesThePublishId() {
        connected();
        session.publish("t", bytes("a"), 1, false, "p1"); // 1
        int id = session.publish("t", bytes("b"), 2, false, "p2"); // 2
        out.clear();
        session.onPacket(new Pubrec(id));
        assertEquals(List.of(new Pubrel(2)), out.packets());
    }

    @Test
    @DisplayName("[MQTT-2.3.1-5] QoS 0 publishes take no id")
    void qos0TakesNoId() {
        connected();
        assertEquals(0, session.publish("t", bytes("a"), 0, false, "q0"));
        assertEquals(0, session.idsInUse());
        assertEquals(1, session.publish("t", bytes("b"), 1, false, "q1"), "QoS 0 did not consume id 1");
    }
}
