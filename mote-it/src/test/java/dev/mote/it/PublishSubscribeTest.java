package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.Wait;
import java.time.Duration;

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
}
