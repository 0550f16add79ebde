package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Retained messages: kept by the broker, sent with RETAIN=1 on subscribe, cleared by an empty payload. */
class RetainedTest {
    private static final Duration RECEIVE = Duration.ofSeconds(10);

    @BrokerTest
    void retainedMessageIsKeptMarkedAndCleared(TestBed bed) {
        MqttClient publisher = bed.connect(o -> o.clientId(bed.clientId("pub")));
        String topic = bed.topic("state");
        publisher.publish(topic, "on", Qos.AT_LEAST_ONCE, true, Wait.ACK);

        // A subscriber that comes later gets it, marked retained ([MQTT-3.3.1-8]).
        MqttClient late = bed.connect(o -> o.clientId(bed.clientId("late")));
        Subscription sub = late.subscribe(topic, Qos.AT_LEAST_ONCE);
        Message kept = sub.receive(RECEIVE);
        assertNotNull(kept, "retained message on subscribe");
        assertEquals("on", kept.payloadAsString());
        assertTrue(kept.retained(), "sent because of the new subscription, so RETAIN=1");
        assertEquals(Qos.AT_LEAST_ONCE, kept.qos());

        // Live traffic to an established subscription is not marked retained ([MQTT-3.3.1-9]).
        publisher.publish(topic, "live", Qos.AT_LEAST_ONCE, false, Wait.ACK);
        Message live = sub.receive(RECEIVE);
        assertNotNull(live, "live message");
        assertEquals("live", live.payloadAsString());
        assertFalse(live.retained());

        // An empty retained payload clears it, and reaches current subscribers like any message.
        publisher.publish(topic, new byte[0], Qos.AT_LEAST_ONCE, true, Wait.ACK);
        Message clear = sub.receive(RECEIVE);
        assertNotNull(clear, "the clearing message reaches the established subscription");
        assertEquals(0, clear.payload().length);

        // A subscriber after that gets nothing for the topic. Bounded: an anchor retained on a
        // sibling topic is sent in the same burst of retained messages on subscribe; once it is
        // in, a retained "state" would be too (a short grace period covers any reordering).
        String anchor = bed.topic("anchor");
        publisher.publish(anchor, "anchor", Qos.AT_LEAST_ONCE, true, Wait.ACK);
        MqttClient later = bed.connect(o -> o.clientId(bed.clientId("later")));
        Subscription both = later.subscribe(bed.topic("+"), Qos.AT_LEAST_ONCE);
        List<Message> got = new ArrayList<>();
        Message m = both.receive(RECEIVE);
        assertNotNull(m, "the anchor retained message");
        got.add(m);
        while ((m = both.receive(Duration.ofMillis(500))) != null) {
            got.add(m);
        }
        assertEquals(List.of(anchor), got.stream().map(Message::topic).toList(),
                "after clearing, only the anchor is retained under " + bed.prefix());
        publisher.publish(anchor, new byte[0], Qos.AT_LEAST_ONCE, true, Wait.ACK);
    }
}
