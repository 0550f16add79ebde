package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.FaultProxy;
import dev.mote.it.broker.FaultProxy.Direction;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Client ids, persistent sessions, offline queueing and redelivery. */
class SessionTest {
    private static final Duration RECEIVE = Duration.ofSeconds(10);

    /** An empty client id with a clean session asks the broker to assign one ([MQTT-3.1.3-6]). */
    @BrokerTest
    void emptyClientIdWithCleanSessionConnects(TestBed bed) {
        MqttClient client = bed.connect(o -> o.clientId("").cleanSession(true));
        assertTrue(client.isConnected());
        assertFalse(client.sessionPresent());
        assertEquals("", client.clientId());
        Subscription sub = client.subscribe(bed.topic("anon"), Qos.AT_LEAST_ONCE);
        client.publish(bed.topic("anon"), "hi", Qos.AT_LEAST_ONCE);
        assertNotNull(sub.receive(RECEIVE), "round trip with a broker-assigned id");
    }

    /** An empty client id with a persistent session is refused before any connection ([MQTT-3.1.3-7]). */
    @BrokerTest
    void emptyClientIdWithPersistentSessionIsRejectedByOptions(TestBed bed) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bed.options().clientId("").cleanSession(false).build());
        assertTrue(e.getMessage().contains("MQTT-3.1.3-7"), e.getMessage());
    }

    /**
     * A persistent session keeps the subscription and queues QoS 1 messages while the client is
     * away; on return they come right after CONNACK, before the client subscribes again, so they
     * go to the default handler.
     */
    @BrokerTest
    void offlineMessagesAreQueuedForAPersistentSession(TestBed bed) {
        String id = bed.clientId("away");
        bed.discardSessionAtEnd(id);
        String topic = bed.topic("queued");
        MqttClient first = bed.connect(o -> o.clientId(id).cleanSession(false));
        assertFalse(first.sessionPresent(), "a fresh client id has no session");
        first.subscribe(topic, Qos.AT_LEAST_ONCE);
        first.close();

        MqttClient publisher = bed.connect(o -> o.clientId(bed.clientId("pub")));
        for (int i = 0; i < 10; i++) {
            publisher.publish(topic, "m" + i, Qos.AT_LEAST_ONCE);
        }

        Collector defaults = new Collector();
        MqttClient back = bed.connect(o -> o.clientId(id).cleanSession(false).defaultHandler(defaults));
        assertTrue(back.sessionPresent(), "the broker kept the session");
        List<Message> got = defaults.await(10, RECEIVE);
        assertEquals(10, defaults.awaitMoreThan(10, Duration.ofMillis(300)).size(), "each queued message once");
        for (int i = 0; i < 10; i++) {
            assertEquals("m" + i, got.get(i).payloadAsString(), "queued messages in order");
            assertEquals(topic, got.get(i).topic());
            assertEquals(Qos.AT_LEAST_ONCE, got.get(i).qos());
        }
    }

    /**
     * A QoS 1 message whose PUBACK never reaches the broker is sent again when the session
     * resumes ([MQTT-4.4.0-1]). The proxy black-holes everything the client sends once it is
     * subscribed, so its PUBACK is lost; then the connection is cut and a new client resumes the
     * session.
     */
    @BrokerTest
    void unacknowledgedMessageIsRedeliveredOnReconnect(TestBed bed) {
        String id = bed.clientId("redo");
        bed.discardSessionAtEnd(id);
        String topic = bed.topic("redo");
        FaultProxy proxy = bed.proxy();
        Collector firstLife = new Collector();
        MqttClient first = bed.connect(bed.options(proxy.uri()).clientId(id).cleanSession(false).build());
        first.subscribe(topic, Qos.AT_LEAST_ONCE, firstLife);

        proxy.drop(Direction.UPSTREAM);
        MqttClient publisher = bed.connect(o -> o.clientId(bed.clientId("pub")));
        publisher.publish(topic, "once", Qos.AT_LEAST_ONCE);
        assertEquals("once", firstLife.await(1, RECEIVE).get(0).payloadAsString());
        // The client acknowledges right after handing the message over: 4 bytes of PUBACK.
        Await.until(RECEIVE, () -> proxy.dropped(Direction.UPSTREAM) >= 4, () -> "the client's PUBACK");
        proxy.cut();
        Await.until(RECEIVE, () -> !first.isConnected(), () -> "the first client noticing the cut");

        Collector secondLife = new Collector();
        MqttClient second = bed.connect(o -> o.clientId(id).cleanSession(false).defaultHandler(secondLife));
        assertTrue(second.sessionPresent());
        List<Message> again = secondLife.await(1, RECEIVE);
        Message m = again.get(0);
        assertEquals(topic, m.topic());
        assertEquals("once", m.payloadAsString());
        assertEquals(Qos.AT_LEAST_ONCE, m.qos());
        assertTrue(m.duplicate(), "a re-delivery carries DUP=1 ([MQTT-3.3.1-1])");
        assertEquals(1, secondLife.awaitMoreThan(1, Duration.ofMillis(300)).size(), "sent again once");
    }

    /**
     * The client acknowledges a message only once it is handed to a subscription. With a buffer
     * of one message and a handler that blocks, the third message cannot be handed over, so it
     * stays unacknowledged and the broker sends it again on the next connection, and only it.
     */
    @BrokerTest
    void messageNotHandedOverIsNotAcknowledged(TestBed bed) throws InterruptedException {
        String id = bed.clientId("slow");
        bed.discardSessionAtEnd(id);
        String topic = bed.topic("slow");
        FaultProxy proxy = bed.proxy();
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        MqttClient slow = bed.connect(bed.options(proxy.uri()).clientId(id).cleanSession(false).subscriptionBuffer(1).build());
        try {
            slow.subscribe(topic, Qos.AT_LEAST_ONCE, m -> {
                holding.countDown();
                release.await(); // blocks on the first message until the end of the scenario
            });
            MqttClient publisher = bed.connect(o -> o.clientId(bed.clientId("pub")));
            long acks = proxy.relayed(Direction.UPSTREAM);

            publisher.publish(topic, "m0", Qos.AT_LEAST_ONCE);
            assertTrue(holding.await(RECEIVE.toMillis(), TimeUnit.MILLISECONDS), "the handler got m0");
            Await.until(RECEIVE, () -> proxy.relayed(Direction.UPSTREAM) >= acks + 4, () -> "PUBACK for m0 (in the handler)");
            publisher.publish(topic, "m1", Qos.AT_LEAST_ONCE);
            Await.until(RECEIVE, () -> proxy.relayed(Direction.UPSTREAM) >= acks + 8, () -> "PUBACK for m1 (in the buffer)");
            publisher.publish(topic, "m2", Qos.AT_LEAST_ONCE);
            Await.holdsFor(Duration.ofMillis(500), () -> proxy.relayed(Direction.UPSTREAM) == acks + 8,
                    () -> "a PUBACK went out for m2, which the full buffer cannot have taken");

            proxy.cut();
        } finally {
            release.countDown();
        }
        // Only now can the reader, blocked handing m2 over, go on and find the connection reset:
        // while the reader waits for room in a full buffer it reads nothing, and keep-alive does
        // not count the missing PINGRESP against it, so a client whose consumer stalls for good
        // does not notice a dead connection (isConnected() stays true) until the consumer moves.
        Await.until(RECEIVE, () -> !slow.isConnected(), () -> "the client noticing the cut");

        Collector resumed = new Collector();
        MqttClient again = bed.connect(o -> o.clientId(id).cleanSession(false).defaultHandler(resumed));
        assertTrue(again.sessionPresent());
        resumed.await(1, RECEIVE);
        List<Message> redelivered = resumed.awaitMoreThan(1, Duration.ofMillis(500));
        assertEquals(List.of("m2"), redelivered.stream().map(Message::payloadAsString).toList(),
                "only the message that was never handed over is sent again");
    }
}
