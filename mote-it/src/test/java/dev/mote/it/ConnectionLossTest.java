package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.it.broker.Broker;
import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.FaultProxy;
import dev.mote.it.broker.FaultProxy.Direction;
import dev.mote.it.broker.MosquittoBroker;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.ClientClosedException;
import dev.mote.mqtt.ConnectionLostException;
import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.Wait;
import java.time.Duration;
import java.util.List;

/** What the application sees when the connection breaks, and when the broker goes and comes back. */
class ConnectionLossTest {
    private static final Duration RECEIVE = Duration.ofSeconds(10);

    /**
     * Publishes waiting for their acknowledgement fail with ConnectionLostException when the
     * connection is reset; the client closes; later calls throw ClientClosedException with the
     * loss as the cause; subscriptions end.
     */
    @BrokerTest
    void pendingWorkFailsWithConnectionLost(TestBed bed) {
        FaultProxy proxy = bed.proxy();
        MqttClient client = bed.connect(bed.options(proxy.uri()).clientId(bed.clientId("lost")).build());
        Subscription sub = client.subscribe(bed.topic("s"), Qos.AT_LEAST_ONCE);
        proxy.hold(Direction.DOWNSTREAM);
        Delivery q1 = client.publish(bed.topic("a"), "a", Qos.AT_LEAST_ONCE, false, Wait.SENT);
        Delivery q2 = client.publish(bed.topic("b"), "b", Qos.EXACTLY_ONCE, false, Wait.SENT);

        proxy.cut();

        for (Delivery d : List.of(q1, q2)) {
            ConnectionLostException e = assertThrows(ConnectionLostException.class, d::await, "awaiting " + d.topic());
            assertTrue(e.getMessage().contains("127.0.0.1:" + proxy.port()), e.getMessage());
            assertEquals(Delivery.Status.FAILED, d.status());
            assertInstanceOf(ConnectionLostException.class, d.failure().orElseThrow());
        }
        Await.until(RECEIVE, () -> !client.isConnected(), () -> "the client closing");
        ClientClosedException closed = assertThrows(ClientClosedException.class,
                () -> client.publish(bed.topic("a"), "late", Qos.AT_MOST_ONCE));
        assertInstanceOf(ConnectionLostException.class, closed.getCause());
        assertFalse(sub.isActive());
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertNull(sub.receive()), "an ended stream returns null");
    }

    /**
     * The same when the broker closes the connection in order (FIN, no reset): pending
     * publishes fail with ConnectionLostException saying the broker closed the connection.
     */
    @BrokerTest
    void pendingWorkFailsWhenTheBrokerClosesTheConnection(TestBed bed) {
        FaultProxy proxy = bed.proxy();
        MqttClient client = bed.connect(bed.options(proxy.uri()).clientId(bed.clientId("fin")).build());
        proxy.hold(Direction.DOWNSTREAM);
        Delivery pending = client.publish(bed.topic("a"), "a", Qos.AT_LEAST_ONCE, false, Wait.SENT);

        proxy.end();

        ConnectionLostException e = assertThrows(ConnectionLostException.class, pending::await);
        assertEquals("broker mqtt://127.0.0.1:" + proxy.port() + " closed the connection", e.getMessage());
        assertInstanceOf(ConnectionLostException.class, pending.failure().orElseThrow());
        Await.until(RECEIVE, () -> !client.isConnected(), () -> "the client closing");
        ClientClosedException closed = assertThrows(ClientClosedException.class, client::ping);
        assertInstanceOf(ConnectionLostException.class, closed.getCause());
    }

    /** close() waits at most the close timeout for acknowledgements, then fails what is left. */
    @BrokerTest
    void closeFailsWhatIsStillPending(TestBed bed) {
        FaultProxy proxy = bed.proxy();
        MqttClient client = bed.connect(bed.options(proxy.uri()).clientId(bed.clientId("closing"))
                .closeTimeout(Duration.ofMillis(200)).build());
        proxy.hold(Direction.DOWNSTREAM);
        Delivery pending = client.publish(bed.topic("a"), "a", Qos.AT_LEAST_ONCE, false, Wait.SENT);

        assertTimeoutPreemptively(Duration.ofSeconds(5), client::close);

        ClientClosedException e = assertThrows(ClientClosedException.class, pending::await);
        assertEquals("the client was closed before this completed", e.getMessage());
        assertEquals(Delivery.Status.FAILED, pending.status());
        assertFalse(client.isConnected());
    }

    /**
     * A persistent session and its queued messages survive a broker restart when the broker
     * persists them; a client connected at the time sees the connection end.
     * Mosquitto only: the shared HiveMQ is one embedded instance per run (its in-memory
     * persistence would not survive a restart anyway), and restarting it would cost every
     * scenario after this one.
     */
    @BrokerTest
    void persistentSessionSurvivesABrokerRestart(TestBed bed) {
        assumeTrue(bed.broker().kind() == Broker.Kind.MOSQUITTO,
                "restarts a broker of its own: done with Mosquitto; the embedded HiveMQ is shared by the whole run");
        MosquittoBroker broker = bed.mosquitto(MosquittoBroker.builder("restart").persistence(true));
        String id = bed.clientId("keep");
        String topic = bed.topic("kept");
        MqttClient first = bed.connect(bed.options(broker.uri()).clientId(id).cleanSession(false).build());
        first.subscribe(topic, Qos.AT_LEAST_ONCE);
        first.close();
        MqttClient bystander = bed.connect(bed.options(broker.uri()).clientId(bed.clientId("by")).build());

        broker.stop(); // SIGTERM: Mosquitto writes its database
        Await.until(RECEIVE, () -> !bystander.isConnected(), () -> "the bystander noticing the broker is gone");
        broker.restart();

        MqttClient publisher = bed.connect(bed.options(broker.uri()).clientId(bed.clientId("pub")).build());
        for (int i = 0; i < 3; i++) {
            publisher.publish(topic, "m" + i, Qos.AT_LEAST_ONCE);
        }
        Collector defaults = new Collector();
        MqttClient back = bed.connect(bed.options(broker.uri()).clientId(id).cleanSession(false).defaultHandler(defaults).build());
        assertTrue(back.sessionPresent(), "the session came back from Mosquitto's database");
        assertEquals(List.of("m0", "m1", "m2"),
                defaults.await(3, RECEIVE).stream().map(Message::payloadAsString).toList());
    }
}
