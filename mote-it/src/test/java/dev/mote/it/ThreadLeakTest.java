package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.FaultProxy;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import java.time.Duration;
import java.util.List;

/** A client leaves no thread behind ("mote-..." virtual threads), closed or broken. */
class ThreadLeakTest {
    private static final Duration GONE = Duration.ofSeconds(5);

    @BrokerTest
    void closeLeavesNoThreads(TestBed bed) {
        String id = bed.clientId("leak");
        MqttClient client = MqttClient.connect(bed.options().clientId(id).defaultHandler(new Collector()).build());
        Collector handled = new Collector();
        client.subscribe(bed.topic("h"), Qos.AT_LEAST_ONCE, handled);
        Subscription received = client.subscribe(bed.topic("r"), Qos.EXACTLY_ONCE);
        client.publish(bed.topic("h"), "x", Qos.AT_LEAST_ONCE);
        client.publish(bed.topic("r"), "y", Qos.EXACTLY_ONCE);
        handled.await(1, Duration.ofSeconds(10));
        assertNotNull(received.receive(Duration.ofSeconds(10)));
        List<String> running = Threads.named(id);
        assertFalse(running.isEmpty(), "the client's threads carry its id in their names (the check below relies on it)");
        assertTrue(running.stream().allMatch(n -> n.startsWith("mote-")), running.toString());

        client.close();

        Await.until(GONE, () -> Threads.named(id).isEmpty(), () -> "still alive after close: " + Threads.named(id));
        // Every scenario before this one closed its clients: no Mote thread may be left at all.
        Await.until(GONE, () -> moteThreads().isEmpty(), () -> "Mote threads alive: " + moteThreads());
    }

    /** A connection that breaks closes the client; its threads end without close() being called. */
    @BrokerTest
    void brokenConnectionLeavesNoThreads(TestBed bed) {
        String id = bed.clientId("broken");
        FaultProxy proxy = bed.proxy();
        MqttClient client = MqttClient.connect(bed.options(proxy.uri()).clientId(id).build());
        client.subscribe(bed.topic("h"), Qos.AT_LEAST_ONCE, new Collector());
        client.ping();
        proxy.cut();
        Await.until(GONE, () -> !client.isConnected(), () -> "the client noticing the cut");
        Await.until(GONE, () -> Threads.named(id).isEmpty(), () -> "still alive after the connection broke: " + Threads.named(id));
        client.close(); // still fine to call
    }

    private static List<String> moteThreads() {
        return Threads.liveNames().stream().filter(n -> n.startsWith("mote-")).toList();
    }
}
