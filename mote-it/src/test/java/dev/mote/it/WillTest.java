package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.FaultProxy;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.Will;
import java.time.Duration;

/** The will: published when the connection dies, discarded after a clean close (DISCONNECT). */
class WillTest {
    private static final Duration RECEIVE = Duration.ofSeconds(10);

    @BrokerTest
    void willIsPublishedWhenTheConnectionDies(TestBed bed) {
        MqttClient watcher = bed.connect(o -> o.clientId(bed.clientId("watch")));
        Subscription wills = watcher.subscribe(bed.topic("will/#"), Qos.AT_LEAST_ONCE);
        FaultProxy proxy = bed.proxy();
        MqttClient dying = bed.connect(bed.options(proxy.uri())
                .clientId(bed.clientId("dying"))
                .will(Will.of(bed.topic("will/dying"), "gone", Qos.AT_LEAST_ONCE, false))
                .build());
        dying.ping(); // connected for sure, through the proxy

        proxy.cut(); // TCP reset on both sides: no DISCONNECT reaches the broker

        Message will = wills.receive(RECEIVE);
        assertNotNull(will, "will after the connection was cut");
        assertEquals(bed.topic("will/dying"), will.topic());
        assertEquals("gone", will.payloadAsString());
        assertEquals(Qos.AT_LEAST_ONCE, will.qos());
        Await.until(Duration.ofSeconds(10), () -> !dying.isConnected(), () -> "the client did not notice the reset");
    }

    @BrokerTest
    void willIsNotPublishedAfterClose(TestBed bed) {
        MqttClient watcher = bed.connect(o -> o.clientId(bed.clientId("watch")));
        Subscription wills = watcher.subscribe(bed.topic("will/#"), Qos.AT_LEAST_ONCE);
        MqttClient polite = bed.connect(o -> o.clientId(bed.clientId("polite"))
                .will(Will.of(bed.topic("will/polite"), "gone", Qos.AT_LEAST_ONCE, false)));
        polite.ping();
        polite.close(); // DISCONNECT: the broker must discard the will ([MQTT-3.14.4-3])

        // Anchor for the negative check: a second client's will, triggered after the close, does
        // come; the first one's, had it been published, would have come first or with it.
        FaultProxy proxy = bed.proxy();
        MqttClient anchor = bed.connect(bed.options(proxy.uri()).clientId(bed.clientId("anchor"))
                .will(Will.of(bed.topic("will/anchor"), "gone", Qos.AT_LEAST_ONCE, false)).build());
        anchor.ping();
        proxy.cut();
        Message first = wills.receive(RECEIVE);
        assertNotNull(first, "the anchor's will");
        assertEquals(bed.topic("will/anchor"), first.topic(), "only the anchor's will is published");
        assertNull(wills.receive(Duration.ofMillis(500)), "no will after a clean close");
    }
}
