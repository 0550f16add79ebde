package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.it.broker.Broker;
import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.MosquittoBroker;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.ConnectionEvent;
import dev.mote.mqtt.ConnectionLostException;
import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What real brokers do that a client must live with, each tied to a statement of MQTT 3.1.1:
 * a second connection with the same client id, a publish the broker is not allowed to take, a
 * subscription made twice, and ordering with an in-flight window of one.
 */
class ServerBehaviourTest {
    private static final Duration RECEIVE = Duration.ofSeconds(10);

    /**
     * [MQTT-3.1.4-2]: a new connection with the same client id makes the broker close the old
     * one. The old client learns it as a lost connection, the new one works.
     */
    @BrokerTest
    void aSecondConnectionWithTheSameIdTakesOver(TestBed bed) {
        String id = bed.clientId("twin");
        MqttClient first = bed.connect(o -> o.clientId(id));
        assertInstanceOf(ConnectionEvent.Connected.class, first.nextConnectionEvent(RECEIVE));
        MqttClient second = bed.connect(o -> o.clientId(id));
        ConnectionEvent e = first.nextConnectionEvent(RECEIVE);
        ConnectionEvent.Disconnected d = assertInstanceOf(ConnectionEvent.Disconnected.class, e,
                "the first client is told its connection went: " + e);
        assertInstanceOf(ConnectionLostException.class, d.cause());
        assertTrue(!first.isConnected() && second.isConnected());
        var sub = second.subscribe(bed.topic("twin"), Qos.AT_LEAST_ONCE);
        second.publish(bed.topic("twin"), "still here", Qos.AT_LEAST_ONCE);
        assertEquals("still here", sub.receive(RECEIVE).payloadAsString());
    }

    /**
     * [MQTT-3.8.4-3]: subscribing again to a filter already subscribed replaces the subscription
     * and makes the broker send the retained message again.
     */
    @BrokerTest
    void subscribingAgainResendsTheRetainedMessage(TestBed bed) {
        String topic = bed.topic("again");
        MqttClient publisher = bed.connect();
        publisher.publish(topic, "kept".getBytes(), Qos.AT_LEAST_ONCE, true, Wait.ACK);
        try {
            MqttClient client = bed.connect();
            Collector first = new Collector();
            client.subscribe(topic, Qos.AT_LEAST_ONCE, first);
            Message m = first.await(1, RECEIVE).get(0);
            assertTrue(m.retained());
            Collector second = new Collector();
            client.subscribe(topic, Qos.AT_LEAST_ONCE, second);
            Message again = second.await(1, RECEIVE).get(0);
            assertEquals("kept", again.payloadAsString());
            assertTrue(again.retained(), "the second SUBSCRIBE brought the retained message again");
        } finally {
            publisher.publish(topic, new byte[0], Qos.AT_LEAST_ONCE, true, Wait.ACK);
        }
    }

    /**
     * Section 4.6's note: an in-flight window of one keeps the order of messages across QoS
     * levels. Publishes of QoS 0, 1 and 2 mixed, with Wait.NONE, reach the broker in the order
     * made. The subscriber takes them at QoS 0: brokers pass QoS 0 on at once but hold QoS 1/2
     * behind their own window to the subscriber, so a QoS 1/2 subscription would show the
     * broker's reordering, not the publisher's.
     */
    @BrokerTest
    void windowOfOneKeepsOrderAcrossQosLevels(TestBed bed) {
        String topic = bed.topic("order");
        MqttClient subscriber = bed.connect();
        Collector got = new Collector();
        subscriber.subscribe(topic, Qos.AT_MOST_ONCE, got);
        MqttClient publisher = bed.connect(o -> o.inFlightWindow(1));
        int n = 300;
        List<Delivery> deliveries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Qos qos = Qos.values()[i % 3];
            deliveries.add(publisher.publish(topic, Integer.toString(i).getBytes(), qos, false, Wait.NONE));
        }
        for (Delivery d : deliveries) {
            assertTrue(d.await(RECEIVE));
        }
        List<Message> ms = got.await(n, RECEIVE);
        List<Integer> order = ms.stream().map(m -> Integer.parseInt(m.payloadAsString())).toList();
        List<Integer> expected = java.util.stream.IntStream.range(0, n).boxed().toList();
        assertEquals(expected, order, "every message once, in the order published");
    }

    /**
     * [MQTT-3.3.5-2]: a broker may acknowledge a PUBLISH the client may not make and drop it.
     * Mosquitto does so for 3.1.1 clients: the delivery reads ACKNOWLEDGED, and a subscriber that
     * may read the topic gets nothing (an allowed message sent right after arrives alone).
     */
    @BrokerTest
    void anUnauthorisedPublishIsAcknowledgedAndDropped(TestBed bed) {
        assumeTrue(bed.broker().kind() == Broker.Kind.MOSQUITTO, "needs a per-topic ACL, set up here for Mosquitto");
        MosquittoBroker acl = bed.mosquitto(MosquittoBroker.builder("acl")
                .file("acl", """
                        topic readwrite allowed/#
                        topic read forbidden/#
                        """)
                .config("acl_file ${dir}/acl"));
        MqttClient subscriber = bed.connect(bed.options(acl.uri()).build());
        Collector got = new Collector();
        subscriber.subscribe(List.of(new dev.mote.mqtt.TopicFilter("forbidden/#", Qos.AT_LEAST_ONCE),
                new dev.mote.mqtt.TopicFilter("allowed/#", Qos.AT_LEAST_ONCE)), got, Wait.ACK);
        MqttClient publisher = bed.connect(bed.options(acl.uri()).build());
        Delivery refused = publisher.publish("forbidden/x", "no".getBytes(), Qos.AT_LEAST_ONCE, false, Wait.ACK);
        assertEquals(Delivery.Status.ACKNOWLEDGED, refused.status());
        publisher.publish("allowed/x", "yes".getBytes(), Qos.AT_LEAST_ONCE, false, Wait.ACK);
        List<Message> ms = got.await(1, RECEIVE);
        assertEquals("yes", ms.get(0).payloadAsString(), "the forbidden message, sent first, never came");
        assertEquals(1, got.awaitMoreThan(1, Duration.ofMillis(300)).size());
        assertTrue(publisher.isConnected(), "the broker kept the connection");
    }
}
