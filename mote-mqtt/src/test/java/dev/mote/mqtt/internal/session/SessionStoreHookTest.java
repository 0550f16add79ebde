package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.store.SessionStore;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The session's writes to its store, in one journal with the packets it sends: every state change
 * a restarted process needs is recorded before the packet that follows from it.
 */
class SessionStoreHookTest {
    private final List<String> journal = new ArrayList<>();
    private final List<InboundAck> acks = new ArrayList<>();
    private boolean failPublish;

    private final SessionStore store = new SessionStore() {
        @Override
        public void published(Publish p) {
            if (failPublish) {
                throw new UncheckedIOException(new java.io.IOException("disk full"));
            }
            journal.add("store published " + p.packetId());
        }

        @Override
        public void released(int id) {
            journal.add("store released " + id);
        }

        @Override
        public void completed(int id) {
            journal.add("store completed " + id);
        }

        @Override
        public void inboundHeld(int id) {
            journal.add("store inboundHeld " + id);
        }

        @Override
        public void inboundReleased(int id) {
            journal.add("store inboundReleased " + id);
        }

        @Override
        public void inboundCleared() {
            journal.add("store inboundCleared");
        }

        @Override
        public void sync() {}

        @Override
        public void close() {}
    };

    private final SessionListener listener = new SessionListener() {
        @Override
        public void send(Packet p, Object token) {
            journal.add("send " + describe(p));
        }

        @Override
        public void connected(boolean sessionPresent) {}

        @Override
        public void refused(int returnCode) {}

        @Override
        public void published(Object token) {
            journal.add("published " + token);
        }

        @Override
        public void received(Publish p, InboundAck ack) {
            journal.add("received " + p.packetId());
            if (ack != null) {
                acks.add(ack);
            }
        }

        @Override
        public void subscribed(Object token, int[] codes) {}

        @Override
        public void unsubscribed(Object token) {}

        @Override
        public void pong(Object token) {}

        @Override
        public void violation(String d) {
            journal.add("violation " + d);
        }

        @Override
        public void dead(String d) {}
    };

    private final Session session = new Session(listener, Connect.LEVEL_3_1_1, store);

    private static String describe(Packet p) {
        return switch (p) {
            case Publish x -> "PUBLISH " + x.packetId() + (x.dup() ? " dup" : "");
            case Pubrel x -> "PUBREL " + x.packetId();
            case Pubrec x -> "PUBREC " + x.packetId();
            case Pubcomp x -> "PUBCOMP " + x.packetId();
            case Puback x -> "PUBACK " + x.packetId();
            default -> Packet.name(p.type());
        };
    }

    private void connect(boolean clean, boolean present) {
        session.connect(new Connect(Connect.LEVEL_3_1_1, "c", clean, 0, null, null, 0, false, null, null), 1_000_000_000L);
        session.onPacket(new Connack(present, 0));
        journal.clear();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("QoS 1: the message is recorded before its PUBLISH is sent, and removed on PUBACK")
    void qos1RecordedBeforeSend() {
        connect(false, false);
        int id = session.publish("t", bytes("a"), 1, false, "d1");
        session.onPacket(new Puback(id));
        assertEquals(List.of("store published 1", "send PUBLISH 1", "store completed 1", "published d1"), journal);
    }

    @Test
    @DisplayName("QoS 2: PUBREC is recorded before the PUBREL goes, PUBCOMP removes the message")
    void qos2ReleaseRecordedBeforePubrel() {
        connect(false, false);
        int id = session.publish("t", bytes("a"), 2, false, "d2");
        session.onPacket(new Pubrec(id));
        session.onPacket(new Pubcomp(id));
        assertEquals(List.of("store published 1", "send PUBLISH 1", "store released 1", "send PUBREL 1",
                "store completed 1", "published d2"), journal);
    }

    @Test
    @DisplayName("a publish accepted while disconnected is recorded at once, and sent after CONNACK")
    void offlinePublishRecordedAtOnce() {
        int id = session.publish("t", bytes("a"), 1, false, "d");
        assertEquals(List.of("store published " + id), journal);
        journal.clear();
        session.connect(new Connect(Connect.LEVEL_3_1_1, "c", false, 0, null, null, 0, false, null, null), 1_000_000_000L);
        session.onPacket(new Connack(true, 0));
        assertEquals(List.of("send CONNECT", "send PUBLISH 1"), journal);
    }

    @Test
    @DisplayName("inbound QoS 2: the id is recorded when the application takes the message, before PUBREC; released before PUBCOMP")
    void inboundIdsRecordedBeforeTheirAcks() {
        connect(false, true);
        session.onPacket(new Publish("t", bytes("x"), 2, false, false, 5));
        assertEquals(List.of("received 5"), journal, "nothing is recorded before the application has the message");
        session.acknowledge(acks.get(0));
        session.onPacket(new Pubrel(5));
        session.onPacket(new Pubrel(6)); // unknown: answered, nothing to record
        assertEquals(List.of("received 5", "store inboundHeld 5", "send PUBREC 5", "store inboundReleased 5",
                "send PUBCOMP 5", "send PUBCOMP 6"), journal);
    }

    @Test
    @DisplayName("[MQTT-4.3.3-2] a QoS 2 message handed to the application while its connection was being lost is not delivered again when the broker resends it")
    void handOverRacingConnectionLoss() {
        connect(false, true);
        session.onPacket(new Publish("t", bytes("x"), 2, false, false, 5));
        session.connectionLost(t -> { });
        session.acknowledge(acks.get(0)); // the reader finished handing it over after the loss
        assertEquals(List.of("received 5", "store inboundHeld 5"), journal, "the id is kept again, and recorded; no PUBREC on a dead link");
        journal.clear();
        session.connect(new Connect(Connect.LEVEL_3_1_1, "c", false, 0, null, null, 0, false, null, null), 1_000_000_000L);
        session.onPacket(new Connack(true, 0));
        session.onPacket(new Publish("t", bytes("x"), 2, false, true, 5));
        assertEquals(List.of("send CONNECT", "send PUBREC 5"), journal);
    }

    @Test
    @DisplayName("...but not when the broker's session is gone by then: the id is free for a new message")
    void handOverAfterTheBrokerLostTheSession() {
        connect(false, true);
        session.onPacket(new Publish("t", bytes("x"), 2, false, false, 5));
        session.connectionLost(t -> { });
        session.connect(new Connect(Connect.LEVEL_3_1_1, "c", false, 0, null, null, 0, false, null, null), 1_000_000_000L);
        session.onPacket(new Connack(false, 0));
        journal.clear();
        session.acknowledge(acks.get(0));
        assertEquals(List.of(), journal);
        session.onPacket(new Publish("t", bytes("new"), 2, false, false, 5));
        assertEquals(List.of("received 5"), journal);
    }

    @Test
    @DisplayName("a broker without our session, or a clean session, clears the recorded inbound ids")
    void sessionLossClearsInboundIds() {
        session.connect(new Connect(Connect.LEVEL_3_1_1, "c", true, 0, null, null, 0, false, null, null), 1_000_000_000L);
        assertEquals("store inboundCleared", journal.get(0));
        session.onPacket(new Connack(false, 0));
        assertEquals(List.of("store inboundCleared", "send CONNECT", "store inboundCleared"), journal);
    }

    @Test
    @DisplayName("a publish the store cannot record fails and leaves the session as it was")
    void storeFailureFailsThePublish() {
        connect(false, false);
        failPublish = true;
        assertThrows(UncheckedIOException.class, () -> session.publish("t", bytes("a"), 1, false, "d"));
        assertEquals(0, session.idsInUse());
        assertEquals(0, session.publishesInFlight());
        assertEquals(List.of(), journal, "nothing may be sent for a message that was not recorded");
        failPublish = false;
        assertEquals(2, session.publish("t", bytes("b"), 1, false, "d"));
    }

    @Test
    @DisplayName("restored messages go again after CONNACK in their order (DUP=1, PUBREL for released ones); restored inbound ids suppress redelivery")
    void restoredStateIsResumed() {
        session.restore(new Publish("t", bytes("a"), 1, false, false, 7), false, "r7");
        session.restore(new Publish("t", new byte[0], 2, false, false, 3), true, "r3");
        session.restore(new Publish("t", bytes("c"), 2, false, false, 9), false, "r9");
        session.restoreInbound(40);
        assertEquals(3, session.publishesInFlight());
        assertEquals(List.of(), journal, "restoring writes nothing to the store");
        session.connect(new Connect(Connect.LEVEL_3_1_1, "c", false, 0, null, null, 0, false, null, null), 1_000_000_000L);
        session.onPacket(new Connack(true, 0));
        assertEquals(List.of("send CONNECT", "send PUBLISH 7 dup", "send PUBREL 3", "send PUBLISH 9 dup"), journal);
        journal.clear();
        session.onPacket(new Publish("t", bytes("x"), 2, false, true, 40));
        assertEquals(List.of("send PUBREC 40"), journal, "a QoS 2 message the earlier process took is not delivered again");
        journal.clear();
        session.onPacket(new Pubcomp(3));
        assertEquals(List.of("store completed 3", "published r3"), journal);
        assertEquals(10, session.publish("t", bytes("n"), 1, false, "n"), "new ids continue after the restored ones");
    }
}
