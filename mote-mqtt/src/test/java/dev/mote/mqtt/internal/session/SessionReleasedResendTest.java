package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Pingresp;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.session.RecordingListener.Received;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A broker that resends, as a PUBLISH with DUP=1, a QoS 2 message it had already released with
 * PUBREL. Mosquitto 2.0.11 does this when a client reconnects twice before the broker resent its
 * PUBREL (seen in LossAndDuplicationTest: 106 duplicates over 11 traced runs, every one of them a PUBLISH
 * resent after its PUBREL). The session answers such a resend but does not deliver it again, as
 * long as the broker may not have the PUBCOMP; everything else is delivered as the protocol says.
 */
class SessionReleasedResendTest extends SessionTestSupport {

    private final List<Object> abandoned = new ArrayList<>();

    /** Receives, acknowledges and releases a QoS 2 message: the broker sent PUBREL, we PUBCOMP. */
    private Publish deliverAndRelease(int id) {
        Publish p = inbound("in", 2, id);
        session.onPacket(p);
        session.acknowledge(out.onlyReceived().ack());
        session.onPacket(new Pubrel(id));
        assertEquals(List.of(new Pubrec(id), new Pubcomp(id)), out.packets());
        out.clear();
        return p;
    }

    private static Publish resent(Publish p) {
        return new Publish(p.topic(), p.payload().clone(), 2, p.retain(), true, p.packetId());
    }

    /** The broker resends {@code p} with DUP=1: the session must deliver it (a new message to it). */
    private void assertResendDelivered(Publish p, String why) {
        out.clear();
        Publish again = resent(p);
        session.onPacket(again);
        assertSame(again, out.onlyReceived().publish(), why);
    }

    /** The broker resends {@code p} with DUP=1: answered with PUBREC, not delivered. */
    private void assertResendDropped(Publish p) {
        out.clear();
        session.onPacket(resent(p));
        assertTrue(out.events.isEmpty(), () -> "delivered again: " + out.events);
        assertEquals(List.of(new Pubrec(p.packetId())), out.packets());
    }

    @Test
    @DisplayName("a message resent with DUP=1 after its PUBREL, whose PUBCOMP may be lost, is answered and not delivered again")
    void resendAfterPubrelIsNotDeliveredTwice() {
        connected();
        Publish p = deliverAndRelease(8);
        loseAndReconnect(true);   // the PUBCOMP was lost with the connection
        loseAndReconnect(true);   // and the next connection died before the broker resent PUBREL
        assertResendDropped(p);

        out.clear();
        session.onPacket(new Pubrel(8));
        assertEquals(List.of(new Pubcomp(8)), out.packets());
        assertTrue(out.events.isEmpty());
    }

    @Test
    @DisplayName("the PUBREC of a suppressed resend keeps its place behind earlier messages not yet acknowledged")
    void suppressedResendKeepsAckOrder() {
        connected();
        Publish p = deliverAndRelease(8);
        loseAndReconnect(true);
        out.clear();
        session.onPacket(inbound("in", 1, 20));        // the application has not taken this one yet
        InboundAck first = out.onlyReceived().ack();
        out.clear();
        session.onPacket(resent(p));
        assertTrue(out.packets().isEmpty(), "its PUBREC waits behind the PUBACK of 20");
        session.acknowledge(first);
        assertEquals(List.of(new Puback(20), new Pubrec(8)), out.packets());
    }

    @Test
    @DisplayName("a new message on a released id is delivered: DUP=0, or DUP=1 with other content")
    void newMessagesOnAReleasedIdAreDelivered() {
        connected();
        Publish p = deliverAndRelease(8);
        loseAndReconnect(true);
        out.clear();

        Publish fresh = new Publish(p.topic(), p.payload(), 2, false, false, 8);
        session.onPacket(fresh);
        assertSame(fresh, out.onlyReceived().publish(), "DUP=0 is a first transmission, so a new message");
        session.acknowledge(out.onlyReceived().ack());
        session.onPacket(new Pubrel(8));
        out.clear();

        Publish other = new Publish(p.topic(), bytes("something else"), 2, false, true, 8);
        session.onPacket(other);
        assertSame(other, out.onlyReceived().publish(), "different content on the same id is another message");
    }

    @Test
    @DisplayName("once the broker answers a packet sent after the PUBCOMP (PUBREL of a later PUBREC), a resend is delivered as the protocol says")
    void laterPubrelConfirmsThePubcomp() {
        connected();
        Publish p = deliverAndRelease(8);
        deliverAndRelease(9); // PUBREL 9 answers our PUBREC 9, sent after PUBCOMP 8
        loseAndReconnect(true);
        assertResendDelivered(p, "PUBREL 9 confirmed it");
    }

    @Test
    @DisplayName("an acknowledgement of the client's own later publish, or a keep-alive PINGRESP, confirms the PUBCOMP too")
    void ownPublishAckAndPingrespConfirm() {
        connected();
        Publish p = deliverAndRelease(8);
        int mine = session.publish("out", bytes("x"), 1, false, "mine");
        session.onPacket(new Puback(mine));
        loseAndReconnect(true);
        assertResendDelivered(p, "PUBACK confirmed it");

        session.acknowledge(out.onlyReceived().ack());
        session.onPacket(new Pubrel(8)); // released again: a new PUBCOMP to confirm
        session.connectionLost(abandoned::add);
        session.connect(connectPacket(false, 10), PING_TIMEOUT);
        session.onPacket(new Connack(true, 0));
        session.tick(20 * SECOND, 0, 0); // keep-alive PINGREQ, sent after that PUBCOMP
        session.onPacket(Pingresp.INSTANCE);
        assertResendDelivered(p, "PINGRESP confirmed it");
    }

    @Test
    @DisplayName("a PUBCOMP sent again for a resent PUBREL is watched again: an older confirmation does not clear it")
    void pubcompSentAgainIsWatchedAgain() {
        connected();
        Publish p = deliverAndRelease(8);
        session.connectionLost(abandoned::add);
        session.connect(connectPacket(false, 0), PING_TIMEOUT);
        session.onPacket(new Connack(true, 0));
        int mine = session.publish("out", bytes("x"), 1, false, "mine"); // sent before the PUBCOMP below
        session.onPacket(new Pubrel(8));                                 // the broker resends PUBREL
        session.onPacket(new Puback(mine));                              // confirms only up to our PUBLISH
        loseAndReconnect(true);
        assertResendDropped(p);
    }

    @Test
    @DisplayName("a broker without the session resends nothing: after CONNACK with session present 0, a DUP=1 message is delivered")
    void lostSessionForgetsReleasedIds() {
        connected();
        Publish p = deliverAndRelease(8);
        loseAndReconnect(false);
        assertResendDelivered(p, "no session, no resend: a new message");
    }

    @Test
    @DisplayName("the content hash tells topic and payload apart")
    void contentHashDiffers() {
        long a = Session.contentHash(new Publish("t/a", bytes("1"), 2, false, false, 1));
        assertEquals(a, Session.contentHash(new Publish("t/a", bytes("1"), 2, true, true, 9)), "flags and id do not count");
        assertTrue(a != Session.contentHash(new Publish("t/b", bytes("1"), 2, false, false, 1)));
        assertTrue(a != Session.contentHash(new Publish("t/a", bytes("2"), 2, false, false, 1)));
        assertTrue(a != Session.contentHash(new Publish("t/a", bytes("1 "), 2, false, false, 1)));
    }

    @Test
    @DisplayName("the ring of released ids confirms in send order, grows, and drops the oldest when full")
    void ringBehaviour() {
        ReleasedIds r = new ReleasedIds();
        for (int i = 1; i <= 40; i++) {
            r.add(i, i * 10L, i);
        }
        assertEquals(40, r.size());
        assertTrue(r.contains(1, 10L));
        assertTrue(!r.contains(1, 11L));
        r.confirmThrough(15);
        assertEquals(25, r.size());
        assertTrue(!r.contains(15, 150L));
        assertTrue(r.contains(16, 160L));
        r.addAgain(16, 100);
        r.confirmThrough(40);
        assertEquals(1, r.size());
        assertTrue(r.contains(16, 160L), "the entry sent again at 100 stays");
        r.clear();
        assertEquals(0, r.size());
        for (int i = 0; i < ReleasedIds.CAPACITY + 5; i++) {
            r.add(1 + i % 65_535, i, i + 1L);
        }
        assertEquals(ReleasedIds.CAPACITY, r.size());
        assertTrue(!r.contains(1, 0L), "the oldest went");
        assertTrue(r.contains(1 + (ReleasedIds.CAPACITY + 4) % 65_535, ReleasedIds.CAPACITY + 4L));
    }
}
