package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.FaultProxy;
import dev.mote.it.broker.FaultProxy.Direction;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.Wait;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Publish and subscribe at each QoS through a real broker. */
class PublishSubscribeTest {
    private static final Duration RECEIVE = Duration.ofSeconds(10);

    @BrokerTest
    void roundTripAtQos0(TestBed bed) {
        roundTrip(bed, Qos.AT_MOST_ONCE);
    }

    @BrokerTest
    void roundTripAtQos1(TestBed bed) {
        roundTrip(bed, Qos.AT_LEAST_ONCE);
    }

    @BrokerTest
    void roundTripAtQos2(TestBed bed) {
        roundTrip(bed, Qos.EXACTLY_ONCE);
    }

    /** Separate publisher and subscriber clients; binary payload with every byte value. */
    private static void roundTrip(TestBed bed, Qos qos) {
        MqttClient subscriber = bed.connect(o -> o.clientId(bed.clientId("sub")));
        MqttClient publisher = bed.connect(o -> o.clientId(bed.clientId("pub")));
        String topic = bed.topic("qos" + qos.value());
        Subscription sub = subscriber.subscribe(topic, qos);
        assertEquals(qos, sub.grantedQosOfFirst(), "granted QoS");

        byte[] payload = new byte[512];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        Delivery d = publisher.publish(topic, payload, qos, false, Wait.ACK);
        assertEquals(Delivery.Status.ACKNOWLEDGED, d.status(), "status after Wait.ACK");
        assertEquals(topic, d.topic());
        assertEquals(qos, d.qos());
        assertFalse(d.failure().isPresent());

        Message m = sub.receive(RECEIVE);
        assertNotNull(m, "no message on " + topic + " within " + RECEIVE);
        assertEquals(topic, m.topic());
        assertArrayEquals(payload, m.payload(), "payload bytes");
        assertEquals(qos, m.qos(), "delivered QoS = min(published, granted)");
        assertFalse(m.retained(), "a live message is not marked retained");
        assertFalse(m.duplicate(), "first delivery is not a duplicate");
    }

    /**
     * What each {@link Wait} returns after, seen on {@link Delivery#status()}. The acknowledgements
     * are held back by a proxy so that "written but not acknowledged" is a state that lasts.
     */
    @BrokerTest
    void waitChoicesShowInDeliveryStatus(TestBed bed) {
        FaultProxy proxy = bed.proxy();
        MqttClient client = bed.connect(bed.options(proxy.uri()).clientId(bed.clientId("pub")).build());
        String topic = bed.topic("wait");

        Delivery q0 = client.publish(topic, "q0", Qos.AT_MOST_ONCE, false, Wait.ACK);
        assertEquals(Delivery.Status.ACKNOWLEDGED, q0.status(), "QoS 0 with Wait.ACK: written counts as acknowledged");
        Delivery q0sent = client.publish(topic, "q0", Qos.AT_MOST_ONCE, false, Wait.SENT);
        assertEquals(Delivery.Status.ACKNOWLEDGED, q0sent.status(), "QoS 0 with Wait.SENT: done once written");

        proxy.hold(Direction.DOWNSTREAM); // no PUBACK, PUBREC or PUBCOMP can reach the client now
        Delivery sent1 = client.publish(topic, "s1", Qos.AT_LEAST_ONCE, false, Wait.SENT);
        assertEquals(Delivery.Status.SENT, sent1.status(), "QoS 1 with Wait.SENT, PUBACK held back");
        Delivery sent2 = client.publish(topic, "s2", Qos.EXACTLY_ONCE, false, Wait.SENT);
        assertEquals(Delivery.Status.SENT, sent2.status(), "QoS 2 with Wait.SENT, PUBREC held back");
        Delivery none = client.publish(topic, "n1", Qos.AT_LEAST_ONCE, false, Wait.NONE);
        Delivery.Status early = none.status();
        assertTrue(early == Delivery.Status.QUEUED || early == Delivery.Status.SENT,
                "Wait.NONE returns before any acknowledgement can come, but status was " + early);
        assertEquals(Delivery.Status.SENT, none.awaitSent().status(), "after awaitSent, PUBACK held back");
        assertFalse(sent1.await(Duration.ofMillis(300)), "no PUBACK can arrive while the proxy holds it");
        assertFalse(sent1.isDone());

        proxy.pass(Direction.DOWNSTREAM);
        for (Delivery d : List.of(sent1, sent2, none)) {
            assertEquals(Delivery.Status.ACKNOWLEDGED, d.await().status(), "after the held acknowledgements flowed: " + d.topic());
        }
        Delivery acked = client.publish(topic, "a2", Qos.EXACTLY_ONCE, false, Wait.ACK);
        assertEquals(Delivery.Status.ACKNOWLEDGED, acked.status(), "QoS 2 with Wait.ACK: PUBCOMP received");
    }

    @BrokerTest
    void fiveThousandInFlightAtQos1ArriveOnceInOrder(TestBed bed) {
        manyInFlight(bed, Qos.AT_LEAST_ONCE, 5_000);
    }

    @BrokerTest
    void fiveThousandInFlightAtQos2ArriveOnceInOrder(TestBed bed) {
        manyInFlight(bed, Qos.EXACTLY_ONCE, 5_000);
    }

    /**
     * One publisher fires {@code n} messages with Wait.NONE (only the in-flight window slows it),
     * then awaits the last and every one; the subscriber gets each exactly once, in order.
     */
    private static void manyInFlight(TestBed bed, Qos qos, int n) {
        MqttClient subscriber = bed.connect(o -> o.clientId(bed.clientId("sub")));
        MqttClient publisher = bed.connect(o -> o.clientId(bed.clientId("pub")));
        String topic = bed.topic("load");
        Subscription sub = subscriber.subscribe(topic, qos);

        List<Delivery> deliveries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            deliveries.add(publisher.publish(topic, Integer.toString(i).getBytes(StandardCharsets.US_ASCII), qos, false, Wait.NONE));
        }
        deliveries.get(n - 1).await();
        for (Delivery d : deliveries) {
            assertEquals(Delivery.Status.ACKNOWLEDGED, d.await().status());
        }

        List<Message> got = Await.receive(sub, n, RECEIVE);
        for (int i = 0; i < n; i++) {
            Message m = got.get(i);
            assertEquals(Integer.toString(i), m.payloadAsString(), "message " + i + " out of order or duplicated");
            assertEquals(qos, m.qos());
        }
        assertNull(sub.receive(Duration.ofMillis(300)), "a message arrived more than once");
    }

    /** Topic names are UTF-8: characters outside the BMP (surrogate pairs in Java) survive the trip. */
    @BrokerTest
    void utf8TopicsRoundTrip(TestBed bed) {
        MqttClient client = bed.connect(o -> o.clientId(bed.clientId("utf8")));
        String topic = bed.topic("mote/温度/🌡");
        Subscription exact = client.subscribe(topic, Qos.AT_LEAST_ONCE);
        Subscription wildcard = client.subscribe(bed.topic("mote/+/🌡"), Qos.AT_LEAST_ONCE);
        client.publish(topic, "21,5 °C", Qos.AT_LEAST_ONCE);

        for (Subscription s : List.of(exact, wildcard)) {
            Message m = s.receive(RECEIVE);
            assertNotNull(m, "nothing on " + s);
            assertEquals(topic, m.topic(), "topic name as published");
            assertEquals("21,5 °C", m.payloadAsString());
        }
    }

    /**
     * Two overlapping subscriptions of one client, as two Subscription objects: each gets the
     * message. MQTT 3.1.1 lets the broker send one copy per matching subscription or a single
     * copy (section 3.3.5); the client routes every copy it gets to every matching subscription.
     * Observed (and asserted, so a change shows): Mosquitto 2.0.11 and HiveMQ CE 2025.5 both send
     * a single copy to a 3.1.1 client (Mosquitto's debug log shows one PUBLISH), which the client
     * hands to both subscriptions.
     */
    @BrokerTest
    void overlappingSubscriptionsEachGetTheMessage(TestBed bed) {
        MqttClient client = bed.connect(o -> o.clientId(bed.clientId("overlap")));
        Subscription all = client.subscribe(bed.topic("a/#"), Qos.AT_LEAST_ONCE);
        Subscription one = client.subscribe(bed.topic("a/+"), Qos.AT_LEAST_ONCE);
        client.publish(bed.topic("a/x"), "hello", Qos.AT_LEAST_ONCE);

        List<Message> toAll = Await.receive(all, 1, RECEIVE);
        List<Message> toOne = Await.receive(one, 1, RECEIVE);
        // Copies still on their way arrive together with the first one; collect them for a moment.
        drain(all, toAll);
        drain(one, toOne);
        for (Message m : concat(toAll, toOne)) {
            assertEquals(bed.topic("a/x"), m.topic());
            assertEquals("hello", m.payloadAsString());
        }
        assertEquals(toAll.size(), toOne.size(), "both subscriptions see every copy the broker sends");
        assertEquals(1, toAll.size(), "copies sent by " + bed.broker().name() + " for two overlapping subscriptions");
    }

    private static void drain(Subscription s, List<Message> into) {
        Message m;
        while ((m = s.receive(Duration.ofMillis(300))) != null) {
            into.add(m);
        }
    }

    private static List<Message> concat(List<Message> a, List<Message> b) {
        List<Message> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** After unsubscribe nothing more arrives, and a closed subscription's receive returns null. */
    @BrokerTest
    void unsubscribeStopsDelivery(TestBed bed) {
        MqttClient client = bed.connect(o -> o.clientId(bed.clientId("unsub")));
        MqttClient publisher = bed.connect(o -> o.clientId(bed.clientId("pub")));
        String topic = bed.topic("u");
        Subscription sub = client.subscribe(topic, Qos.AT_LEAST_ONCE);
        Subscription marker = client.subscribe(bed.topic("marker"), Qos.AT_LEAST_ONCE);
        publisher.publish(topic, "before", Qos.AT_LEAST_ONCE);
        assertEquals("before", Await.receive(sub, 1, RECEIVE).get(0).payloadAsString());

        client.unsubscribe(topic);
        assertFalse(sub.isActive(), "a subscription left without filters ends");
        publisher.publish(topic, "after", Qos.AT_LEAST_ONCE);
        // The marker goes out after "after" from the same publisher; once it is in, "after"
        // would have been too, had the broker still routed the topic here.
        publisher.publish(bed.topic("marker"), "m", Qos.AT_LEAST_ONCE);
        assertNotNull(marker.receive(RECEIVE), "marker");
        assertNull(sub.receive(Duration.ofMillis(300)), "message after unsubscribe");
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertNull(sub.receive()),
                "receive() on an ended subscription returns null at once");

        marker.close();
        assertFalse(marker.isActive());
        publisher.publish(bed.topic("marker"), "m2", Qos.AT_LEAST_ONCE);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertNull(marker.receive()),
                "receive() after close returns null");
        assertNull(marker.poll());
        assertTrue(client.isConnected());
    }
}
