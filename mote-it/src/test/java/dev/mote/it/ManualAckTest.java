package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.it.PacketRecordingProxy.Seen;
import dev.mote.it.broker.MosquittoBroker;
import dev.mote.mqtt.Acknowledgement;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.TopicFilter;
import dev.mote.mqtt.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Manual acknowledgement against a real Mosquitto, watched by a proxy that records the packets
 * in both directions: acknowledgements leave in arrival order whatever order the application
 * gives them in; unacknowledged messages come again after a reconnect; the bound on
 * unacknowledged messages stops delivery until acks come.
 */
class ManualAckTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int PUBLISH = 3;
    private static final int PUBACK = 4;
    private static final int PUBREC = 5;
    private static final int PUBCOMP = 7;

    private static MosquittoBroker broker;
    private PacketRecordingProxy proxy;
    private final List<MqttClient> clients = new ArrayList<>();
    private String prefix;

    @BeforeAll
    static void startBroker() {
        assumeTrue(MosquittoBroker.isAvailable(), MosquittoBroker.MISSING);
        broker = MosquittoBroker.builder("manual-acks").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void startProxy() throws Exception {
        proxy = new PacketRecordingProxy(broker);
        prefix = "acks/" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void closeAll() {
        for (MqttClient c : clients) {
            c.close();
        }
        proxy.close();
    }

    private MqttClient connect(MqttOptions.Builder b) {
        MqttClient c = MqttClient.connect(b.ackTimeout(WAIT).connectTimeout(WAIT).build());
        clients.add(c);
        return c;
    }

    private MqttClient publisher() {
        return connect(MqttOptions.builder(broker.uri()).clientId("pub-" + UUID.randomUUID().toString().substring(0, 8)));
    }

    private static List<Message> receive(Subscription sub, int n) {
        List<Message> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Message m = sub.receive(WAIT);
            assertNotNull(m, "message " + i + " of " + n);
            got.add(m);
        }
        return got;
    }

    /** The packet ids of the QoS 1 and 2 PUBLISHes the broker sent, in order, and the acks the client sent. */
    private List<Integer> ids(List<Seen> seen) {
        List<Integer> ids = new ArrayList<>();
        for (Seen s : seen) {
            ids.add(s.packetId());
        }
        return ids;
    }

    @Test
    void acksGivenOutOfOrderLeaveTheWireInArrivalOrder() {
        MqttClient client = connect(MqttOptions.builder(proxy.uri()).clientId("ooo-" + prefix.substring(5))
                .acknowledgement(Acknowledgement.MANUAL));
        Subscription sub = client.subscribe(prefix + "/#", Qos.EXACTLY_ONCE);
        MqttClient pub = publisher();
        for (int i = 0; i < 6; i++) {
            pub.publish(prefix + "/m" + i, "m" + i, i % 2 == 0 ? Qos.AT_LEAST_ONCE : Qos.EXACTLY_ONCE);
        }
        List<Message> got = receive(sub, 6);
        for (int i = 0; i < 6; i++) {
            assertEquals("m" + i, got.get(i).payloadAsString());
            assertTrue(got.get(i).needsAck());
        }

        for (int i : new int[] {5, 3, 4, 1, 2}) {
            got.get(i).ack();
        }
        client.ping(); // everything queued before the PINGREQ has passed the proxy once PINGRESP is back
        assertEquals(List.of(), PacketRecordingProxy.only(proxy.upstream, PUBACK, PUBREC),
                "the first message is unacknowledged, so no acknowledgement may leave");
        assertEquals(1, client.metrics().unacknowledged(), "only the first waits for the application; five wait for it");

        got.get(0).ack();
        client.ping();
        List<Seen> published = PacketRecordingProxy.only(proxy.downstream, PUBLISH);
        List<Seen> acks = PacketRecordingProxy.only(proxy.upstream, PUBACK, PUBREC);
        assertEquals(6, published.size(), "the broker sent six: " + published);
        assertEquals(ids(published), ids(acks), "acknowledgements in the order the messages arrived");
        for (int i = 0; i < 6; i++) {
            assertEquals(published.get(i).qos() == 1 ? PUBACK : PUBREC, acks.get(i).type(), "ack " + i + ": " + acks);
        }
        Await.until(WAIT, () -> PacketRecordingProxy.only(proxy.upstream, PUBCOMP).size() == 3,
                () -> "PUBCOMP for the three QoS 2 messages: " + proxy.upstream);
        assertEquals(0, client.metrics().unacknowledged());
    }

    @Test
    void unacknowledgedQos1AndQos2MessagesComeAgainAfterAReconnect() {
        String id = "redo-" + prefix.substring(5);
        MqttClient client = connect(MqttOptions.builder(proxy.uri()).clientId(id).cleanSession(false)
                .acknowledgement(Acknowledgement.MANUAL)
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(20), Duration.ofMillis(100))));
        try {
            Subscription sub = client.subscribe(prefix + "/#", Qos.EXACTLY_ONCE);
            MqttClient pub = publisher();
            pub.publish(prefix + "/one", "q1", Qos.AT_LEAST_ONCE);
            pub.publish(prefix + "/two", "q2", Qos.EXACTLY_ONCE);
            List<Message> first = receive(sub, 2);
            assertEquals(List.of("q1", "q2"), List.of(first.get(0).payloadAsString(), first.get(1).payloadAsString()));
            assertTrue(!first.get(0).duplicate() && !first.get(1).duplicate());

            proxy.cut(); // neither acknowledged: the broker keeps both in flight for the session
            List<Message> again = receive(sub, 2);
            assertEquals("q1", again.get(0).payloadAsString());
            assertEquals("q2", again.get(1).payloadAsString());
            assertTrue(again.get(0).duplicate() && again.get(1).duplicate(), "re-deliveries carry DUP=1");
            // Counted once the reconnect is done, which may be a moment after the resent messages came.
            Await.until(WAIT, () -> client.metrics().reconnects() == 1, () -> "reconnects: " + client.metrics().reconnects());

            first.get(0).ack(); // acks of the lost connection's copies mean nothing now
            first.get(1).ack();
            client.ping();
            List<Seen> redelivered = PacketRecordingProxy.only(proxy.downstream, PUBLISH).subList(2, 4);
            assertEquals(List.of(), PacketRecordingProxy.only(proxy.upstream, PUBACK, PUBREC),
                    "no acknowledgement for the first copies, on either connection");

            again.get(0).ack();
            again.get(1).ack();
            Await.until(WAIT, () -> PacketRecordingProxy.only(proxy.upstream, PUBCOMP).size() == 1,
                    () -> "the QoS 2 handshake finished: " + proxy.upstream);
            assertEquals(ids(redelivered), ids(PacketRecordingProxy.only(proxy.upstream, PUBACK, PUBREC)));
            assertNull(sub.receive(Duration.ofMillis(300)), "each message came again once");
        } finally {
            // Drop the persistent session at the broker.
            client.close();
            MqttClient.connect(MqttOptions.builder(broker.uri()).clientId(id).cleanSession(true).build()).close();
        }
    }

    @Test
    void theBoundOnUnacknowledgedMessagesPausesDeliveryUntilAcksCome() {
        MqttClient client = connect(MqttOptions.builder(proxy.uri()).clientId("bound-" + prefix.substring(5))
                .acknowledgement(Acknowledgement.MANUAL).maxUnacknowledged(3));
        Subscription sub = client.subscribe(List.of(TopicFilter.of(prefix + "/#", Qos.AT_LEAST_ONCE)), null, Wait.ACK);
        MqttClient pub = publisher();
        for (int i = 0; i < 10; i++) {
            pub.publish(prefix + "/b", "b" + i, Qos.AT_LEAST_ONCE);
        }
        List<Message> firstThree = receive(sub, 3);
        assertNull(sub.receive(Duration.ofMillis(300)), "the reader stops at three unacknowledged messages");
        assertEquals(3, client.metrics().unacknowledged());
        assertEquals(0, client.metrics().inboundBuffered());

        firstThree.get(0).ack();
        Message fourth = sub.receive(WAIT);
        assertEquals("b3", fourth.payloadAsString(), "one ack lets one more through");
        assertNull(sub.receive(Duration.ofMillis(300)), "and only one");

        List<Message> all = new ArrayList<>(firstThree);
        all.add(fourth);
        firstThree.get(1).ack();
        firstThree.get(2).ack();
        fourth.ack();
        while (all.size() < 10) {
            Message m = sub.receive(WAIT);
            assertNotNull(m, "message " + all.size());
            m.ack();
            all.add(m);
        }
        for (int i = 0; i < 10; i++) {
            assertEquals("b" + i, all.get(i).payloadAsString());
        }
        Await.until(WAIT, () -> PacketRecordingProxy.only(proxy.upstream, PUBACK).size() == 10,
                () -> "ten PUBACKs: " + proxy.upstream);
        assertEquals(ids(PacketRecordingProxy.only(proxy.downstream, PUBLISH)),
                ids(PacketRecordingProxy.only(proxy.upstream, PUBACK)));
    }
}
