package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.it.broker.FaultProxy;
import dev.mote.it.broker.MosquittoBroker;
import dev.mote.mqtt.FanOutSubscription;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.MqttTimeoutException;
import dev.mote.mqtt.OnDemandClient;
import dev.mote.mqtt.PublishThrottle;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Requester;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.Wait;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** On-demand connections, request/response, local fan-out and the publish throttle, on a real Mosquitto. */
class DeviceConveniencesTest {
    private static final Duration RECEIVE = Duration.ofSeconds(10);
    static MosquittoBroker broker;

    @BeforeAll
    static void start() {
        assumeTrue(MosquittoBroker.isAvailable(), MosquittoBroker.MISSING);
        broker = MosquittoBroker.builder("device-conveniences").start();
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static MqttOptions.Builder options(String uri, String clientId) {
        return MqttOptions.builder(uri).clientId(clientId).reconnect(ReconnectPolicy.disabled());
    }

    private static MqttClient connect(String clientId) {
        return MqttClient.connect(options(broker.uri(), clientId).build());
    }

    @Test
    void onDemandConnectsAtTheFirstCallDisconnectsWhenIdleAndReconnects() {
        try (FaultProxy proxy = FaultProxy.to(broker);
             MqttClient watcher = connect("od-watch");
             Subscription s = watcher.subscribe("od/t", Qos.AT_LEAST_ONCE);
             OnDemandClient link = OnDemandClient.of(options(proxy.uri(), "od-link").build(), Duration.ofMillis(500))) {
            assertEquals(0, proxy.connectionsAccepted(), "no connection before a call needs one");
            assertFalse(link.isConnected());

            link.publish("od/t", "one", Qos.AT_LEAST_ONCE);
            assertEquals(1, proxy.connectionsAccepted());
            assertEquals("one", s.receive(RECEIVE).payloadAsString());

            Await.until(RECEIVE, () -> !link.isConnected(), () -> "the idle link disconnecting");
            assertEquals(1, link.connections());

            link.publish("od/t", "two", Qos.AT_LEAST_ONCE);
            assertEquals(2, proxy.connectionsAccepted(), "the next call connected again");
            assertEquals(2, link.connections());
            assertEquals("two", s.receive(RECEIVE).payloadAsString());
            assertTrue(broker.log().contains("od-link"), "Mosquitto saw the on-demand client");
        }
    }

    @Test
    void aRequestGetsItsReplyAndASilentServiceTimesOut() {
        try (MqttClient server = connect("rr-server");
             Subscription serving = Requester.serve(server, "svc/echo", Qos.AT_LEAST_ONCE,
                     r -> ("echo:" + new String(r.body(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
             MqttClient client = connect("rr-client");
             Requester requester = Requester.open(client, "replies/rr-client")) {
            assertTrue(serving.isActive());
            assertEquals("echo:ping", requester.request("svc/echo", "ping", RECEIVE));
            byte[] binary = {0, '\n', '\n', (byte) 0xfe};
            byte[] echoed = requester.request("svc/echo", binary, RECEIVE);
            assertArrayEquals(new byte[] {'e', 'c', 'h', 'o', ':', 0, '\n', '\n', (byte) 0xef, (byte) 0xbf, (byte) 0xbd}, echoed,
                    "the body went through unchanged (the echo service decodes it as UTF-8, hence U+FFFD)");
            long start = System.nanoTime();
            MqttTimeoutException e = assertThrows(MqttTimeoutException.class,
                    () -> requester.request("svc/nobody", "hello?", Duration.ofMillis(300)));
            assertTrue(e.getMessage().contains("no reply to request") && e.getMessage().contains("svc/nobody"), e.getMessage());
            assertTrue((System.nanoTime() - start) / 1_000_000 < 5_000, "the timeout ended the wait");
            assertEquals(0, requester.pendingRequests());
        }
    }

    @Test
    void manyHandlersShareOneBrokerSubscription() {
        Map<String, List<String>> got = new ConcurrentHashMap<>();
        AtomicInteger unmatched = new AtomicInteger();
        try (MqttClient device = connect("fan-device");
             FanOutSubscription fan = FanOutSubscription.open(device, "device/123/#", Qos.AT_LEAST_ONCE, m -> unmatched.incrementAndGet());
             MqttClient cloud = connect("fan-cloud")) {
            for (String f : List.of("device/123/config", "device/123/cmd/+", "device/123/cmd/reboot", "device/123/#")) {
                got.put(f, new CopyOnWriteArrayList<>());
                fan.on(f, m -> got.get(f).add(m.topic()));
            }
            AutoCloseable removed = fan.on("device/123/ota", m -> got.computeIfAbsent("ota", k -> new CopyOnWriteArrayList<>()).add(m.topic()));
            assertThrows(IllegalArgumentException.class, () -> fan.on("device/999/#", m -> { }), "cannot match the broker filter");
            try {
                removed.close();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            for (String t : List.of("device/123/config", "device/123/cmd/reboot", "device/123/cmd/led", "device/123/ota", "device/123/x/y")) {
                cloud.publish(t, "x", Qos.AT_LEAST_ONCE);
            }
            Await.until(RECEIVE, () -> got.get("device/123/#").size() == 5, () -> "the catch-all handler getting all 5: " + got);
            assertEquals(List.of("device/123/config"), got.get("device/123/config"));
            assertEquals(List.of("device/123/cmd/reboot", "device/123/cmd/led"), got.get("device/123/cmd/+"));
            assertEquals(List.of("device/123/cmd/reboot"), got.get("device/123/cmd/reboot"));
            assertFalse(got.containsKey("ota"), "a removed handler gets nothing");
            assertEquals(0, unmatched.get(), "the catch-all matched everything");
            long subscribes = broker.log().lines().filter(l -> l.contains(" fan-device 1 device/123/")).count();
            assertEquals(1, subscribes, "one SUBSCRIBE on the wire for 4 handlers:\n" + broker.log());
        }
    }

    @Test
    void aTightenedThrottleSlowsPublishesThenRelaxes() {
        PublishThrottle throttle = PublishThrottle.of(200, 20, Duration.ofSeconds(3));
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        try (MqttClient watcher = connect("thr-watch");
             Subscription s = watcher.subscribe("thr/t", Qos.AT_LEAST_ONCE, m -> arrivals.add(System.nanoTime()));
             MqttClient device = MqttClient.connect(options(broker.uri(), "thr-device").publishThrottle(throttle).build())) {
            assertTrue(s.isActive());
            assertEquals(throttle, device.publishThrottle().orElseThrow());
            // The server (here the test) says "slow down": 5 publishes per second.
            throttle.tighten(5);
            long start = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                device.publish("thr/t", "tight".getBytes(StandardCharsets.US_ASCII), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            }
            Await.until(RECEIVE, () -> arrivals.size() == 5, () -> "5 tightened publishes arriving, got " + arrivals.size());
            long tightMs = (arrivals.get(4) - start) / 1_000_000;
            // Unthrottled, 5 publishes fit in the burst of 20 and arrive at once; tightened, the
            // four after the first take about 0.28 s (the rate climbing from 5/s meanwhile).
            assertTrue(tightMs >= 150, "5 publishes after tightening to 5/s arrived within " + tightMs + " ms");

            Await.until(RECEIVE, () -> throttle.currentRate() == 200, () -> "the throttle relaxing, now " + throttle.currentRate());
            long relaxedStart = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                device.publish("thr/t", "relaxed".getBytes(StandardCharsets.US_ASCII), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            }
            Await.until(RECEIVE, () -> arrivals.size() == 105, () -> "100 relaxed publishes arriving, got " + arrivals.size());
            long relaxedMs = (arrivals.get(104) - relaxedStart) / 1_000_000;
            // 100 at 200/s with a burst of 20: about 0.4 s; at the tightened 5/s they would take 20 s.
            System.out.printf("throttle: 5 publishes tightened in %d ms, 100 relaxed in %d ms%n", tightMs, relaxedMs);
            assertTrue(relaxedMs < 5_000, "100 publishes after relaxing took " + relaxedMs + " ms");
            assertTrue(relaxedMs >= 300, "and they were still paced at 200/s: " + relaxedMs + " ms");
        }
    }

    @Test
    void theThrottlePacesTheOfflineBufferWhenItIsFlushedAfterAReconnect() {
        int n = 220;
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        try (FaultProxy proxy = FaultProxy.to(broker);
             MqttClient watcher = connect("burst-watch");
             Subscription s = watcher.subscribe("burst/t", Qos.AT_LEAST_ONCE, m -> arrivals.add(System.nanoTime()));
             MqttClient device = MqttClient.connect(MqttOptions.builder(proxy.uri()).clientId("burst-device")
                     .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(20), Duration.ofMillis(50)))
                     .publishThrottle(PublishThrottle.perSecond(100)).build())) {
            assertTrue(s.isActive());
            // Keep the next CONNACK back, so the publishes below pile up in the offline buffer.
            proxy.hold(FaultProxy.Direction.DOWNSTREAM);
            proxy.cut();
            Await.until(RECEIVE, () -> !device.isConnected(), () -> "the device noticing the cut");
            for (int i = 0; i < n; i++) {
                device.publish("burst/t", Integer.toString(i).getBytes(StandardCharsets.US_ASCII), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            }
            proxy.pass(FaultProxy.Direction.DOWNSTREAM);
            Await.until(Duration.ofSeconds(20), () -> arrivals.size() >= n, () -> "all " + n + " buffered publishes arriving, got " + arrivals.size());
            double rate = (n - 1 - 10) / ((arrivals.get(n - 1) - arrivals.get(10)) / 1e9);
            System.out.printf("throttle: %d publishes from the offline buffer flushed at %.1f/s%n", n, rate);
            assertTrue(rate >= 85 && rate <= 115, "the offline buffer was flushed at " + rate + "/s, not 100/s +- 15 %");
            assertEquals(n, arrivals.size(), "none lost, none twice");
        }
    }
}
