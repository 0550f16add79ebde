package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.it.broker.FaultProxy;
import dev.mote.it.broker.MosquittoBroker;
import dev.mote.mqtt.ClientMetrics;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.Wait;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Watching a running client: JFR events, the metrics snapshot and log lines, against Mosquitto. */
class ObservabilityTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final List<String> EVENTS = List.of("dev.mote.mqtt.ConnectAttempt", "dev.mote.mqtt.Disconnect",
            "dev.mote.mqtt.ReconnectBackoff", "dev.mote.mqtt.PublishEnqueued", "dev.mote.mqtt.PublishSent",
            "dev.mote.mqtt.PublishAcknowledged", "dev.mote.mqtt.MessageDelivered");

    private static MosquittoBroker broker;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private String prefix;

    @BeforeAll
    static void startBroker() {
        assumeTrue(MosquittoBroker.isAvailable(), MosquittoBroker.MISSING);
        broker = MosquittoBroker.builder("observe").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void names() {
        prefix = "obs/" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(resources);
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private MqttClient connect(MqttOptions.Builder b) {
        MqttClient c = MqttClient.connect(b.ackTimeout(WAIT).connectTimeout(WAIT).build());
        resources.add(c);
        return c;
    }

    private String id(String role) {
        return role + "-" + prefix.substring(4);
    }

    @Test
    void aRecordingShowsConnectionsPublishesDeliveriesAndAReconnect() throws Exception {
        Path file = Files.createTempFile("mote-jfr", ".jfr");
        try (Recording recording = new Recording()) {
            for (String e : EVENTS) {
                recording.enable(e);
            }
            recording.start();

            FaultProxy proxy = FaultProxy.to(broker);
            resources.add(proxy);
            CountDownLatch handled = new CountDownLatch(9);
            MqttClient sub = connect(MqttOptions.builder(proxy.uri()).clientId(id("jfr-sub"))
                    .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(30), Duration.ofMillis(100))));
            sub.subscribe(prefix + "/#", Qos.EXACTLY_ONCE, m -> handled.countDown());
            MqttClient pub = connect(MqttOptions.builder(broker.uri()).clientId(id("jfr-pub")));
            for (Qos q : Qos.values()) {
                for (int i = 0; i < 3; i++) {
                    pub.publish(prefix + "/q" + q.value(), ("payload-" + i).getBytes(StandardCharsets.UTF_8), q, false, Wait.ACK);
                }
            }
            assertTrue(handled.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "the handler got all nine");
            proxy.cut();
            Await.until(WAIT, () -> sub.metrics().reconnects() == 1, () -> "the subscriber reconnecting");
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> all = RecordingFile.readAllEvents(file);
        Files.delete(file);

        List<RecordedEvent> attempts = named(all, "dev.mote.mqtt.ConnectAttempt");
        assertTrue(attempts.size() >= 3, "connect, connect, reconnect: " + attempts);
        for (RecordedEvent e : attempts) {
            assertEquals("connected", e.getString("outcome"), e.toString());
            assertTrue(e.getString("server").startsWith("mqtt://127.0.0.1:"), e.toString());
            assertFalse(e.getDuration().isNegative());
        }
        assertEquals(1, attempts.stream().filter(e -> e.getBoolean("reconnect")).count(), "one reconnect");

        List<RecordedEvent> disconnects = named(all, "dev.mote.mqtt.Disconnect");
        assertEquals(1, disconnects.size(), disconnects.toString());
        assertEquals(id("jfr-sub"), disconnects.get(0).getString("clientId"));
        assertTrue(disconnects.get(0).getBoolean("willReconnect"));
        assertFalse(disconnects.get(0).getString("cause").isBlank());

        List<RecordedEvent> backoffs = named(all, "dev.mote.mqtt.ReconnectBackoff");
        assertFalse(backoffs.isEmpty());
        assertEquals(1, backoffs.get(0).getInt("attempt"));
        assertTrue(backoffs.get(0).getDuration("plannedDelay").toMillis() <= 100, backoffs.get(0).toString());

        List<RecordedEvent> enqueued = ours(named(all, "dev.mote.mqtt.PublishEnqueued"));
        assertEquals(9, enqueued.size());
        for (RecordedEvent e : enqueued) {
            assertEquals(9, e.getInt("payloadSize"));
            assertFalse(e.getBoolean("offline"));
        }
        List<RecordedEvent> sent = ours(named(all, "dev.mote.mqtt.PublishSent"));
        assertEquals(9, sent.size());
        for (RecordedEvent e : sent) {
            assertPlausible(e.getDuration("queuedTime"), e);
        }
        List<RecordedEvent> acked = ours(named(all, "dev.mote.mqtt.PublishAcknowledged"));
        assertEquals(6, acked.size(), "QoS 1 and 2 are acknowledged, QoS 0 is not");
        for (RecordedEvent e : acked) {
            assertTrue(e.getInt("qos") > 0);
            Duration handshake = e.getDuration("handshakeTime");
            assertTrue(handshake.toNanos() > 0, e.toString());
            assertPlausible(handshake, e);
        }
        List<RecordedEvent> delivered = ours(named(all, "dev.mote.mqtt.MessageDelivered"));
        assertEquals(9, delivered.size());
        for (RecordedEvent e : delivered) {
            assertEquals(9, e.getInt("payloadSize"));
            assertPlausible(e.getDuration("queueingTime"), e);
        }
    }

    @Test
    void metricsCountWhatWasSentAndReceived() throws Exception {
        CountDownLatch handled = new CountDownLatch(6);
        MqttClient sub = connect(MqttOptions.builder(broker.uri()).clientId(id("m-sub")));
        sub.subscribe(prefix + "/#", Qos.EXACTLY_ONCE, m -> handled.countDown());
        MqttClient pub = connect(MqttOptions.builder(broker.uri()).clientId(id("m-pub")));
        int[] perQos = {1, 2, 3};
        for (Qos q : Qos.values()) {
            for (int i = 0; i < perQos[q.value()]; i++) {
                pub.publish(prefix + "/t", new byte[10 * (q.value() + 1)], q, false, Wait.ACK);
            }
        }
        assertTrue(handled.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));

        ClientMetrics out = pub.metrics();
        assertEquals(new ClientMetrics.PerQos(1, 2, 3), out.published());
        assertEquals(new ClientMetrics.PerQos(10, 40, 90), out.publishedBytes());
        assertEquals(6, out.acknowledged());
        assertEquals(0, out.failed());
        assertEquals(0, out.inFlight());
        assertEquals(new ClientMetrics.PerQos(0, 0, 0), out.received());
        assertEquals(5, out.ackLatency().count(), "QoS 1 and 2 publishes are timed");
        assertTrue(out.ackLatency().p50().toNanos() > 0);
        assertTrue(out.ackLatency().p50().compareTo(out.ackLatency().p99()) <= 0);
        assertTrue(out.ackLatency().p99().compareTo(out.ackLatency().max()) <= 0);
        assertEquals(1, out.connectAttempts());
        assertEquals(0, out.reconnects());
        assertTrue(out.wireBytesOut() > 140, "at least the payloads: " + out.wireBytesOut());

        ClientMetrics in = sub.metrics();
        assertEquals(new ClientMetrics.PerQos(1, 2, 3), in.received());
        assertEquals(new ClientMetrics.PerQos(10, 40, 90), in.receivedBytes());
        assertEquals(0, in.inboundBuffered());
        assertEquals(0, in.unacknowledged());
        assertEquals(new ClientMetrics.PerQos(0, 0, 0), in.published());
        assertTrue(in.wireBytesIn() > 140);
    }

    @Test
    void theMicrometerBinderShowsARealClientsCounts() {
        MqttClient client = connect(MqttOptions.builder(broker.uri()).clientId(id("mm")));
        Subscription s = client.subscribe(prefix + "/#", Qos.AT_LEAST_ONCE);
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        new dev.mote.micrometer.MoteClientMetrics(client).bindTo(registry);
        for (int i = 0; i < 3; i++) {
            client.publish(prefix + "/t", "abcd", Qos.AT_LEAST_ONCE);
            assertNotNull(s.receive(WAIT));
        }
        // Nothing read the meters before: the first read takes a fresh snapshot, the rest reuse it.
        assertEquals(3, registry.get("mote.messages.published").tags("qos", "1", "client.id", id("mm")).functionCounter().count());
        assertEquals(12, registry.get("mote.bytes.published").tag("qos", "1").functionCounter().count());
        assertEquals(3, registry.get("mote.messages.received").tag("qos", "1").functionCounter().count());
        assertEquals(3, registry.get("mote.publishes.acknowledged").functionCounter().count());
        assertEquals(3, registry.get("mote.ack.latency.count").functionCounter().count());
        assertTrue(registry.get("mote.ack.latency").tag("quantile", "0.99").timeGauge().value(TimeUnit.NANOSECONDS) > 0);
        assertEquals(0, registry.get("mote.inflight").gauge().value());
        assertEquals(1, registry.get("mote.connect.attempts").functionCounter().count());
    }

    @Test
    void metricsShowBufferedMessagesWhileNobodyReceives() {
        MqttClient sub = connect(MqttOptions.builder(broker.uri()).clientId(id("b-sub")));
        Subscription s = sub.subscribe(prefix + "/#", Qos.AT_LEAST_ONCE);
        MqttClient pub = connect(MqttOptions.builder(broker.uri()).clientId(id("b-pub")));
        for (int i = 0; i < 4; i++) {
            pub.publish(prefix + "/t", "x", Qos.AT_LEAST_ONCE);
        }
        Await.until(WAIT, () -> sub.metrics().inboundBuffered() == 4, () -> "four buffered: " + sub.metrics());
        for (int i = 0; i < 4; i++) {
            assertNotNull(s.receive(WAIT));
        }
        assertEquals(0, sub.metrics().inboundBuffered());
    }

    @Test
    void logLinesCarryNeitherPasswordsNorPayloads() throws Exception {
        Logger jul = Logger.getLogger("dev.mote.mqtt");
        Level before = jul.getLevel();
        List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.setLevel(Level.ALL);
        jul.addHandler(capture);
        String password = "pw-" + UUID.randomUUID();
        String payload = "payload-" + UUID.randomUUID();
        try {
            FaultProxy proxy = FaultProxy.to(broker);
            resources.add(proxy);
            MqttClient client = connect(MqttOptions.builder(proxy.uri()).clientId(id("log"))
                    .credentials("user", password)
                    .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(30), Duration.ofMillis(100))));
            Subscription s = client.subscribe(prefix + "/#", Qos.AT_LEAST_ONCE);
            client.publish(prefix + "/t", payload, Qos.AT_LEAST_ONCE);
            Message m = s.receive(WAIT);
            assertEquals(payload, m.payloadAsString());
            proxy.cut();
            Await.until(WAIT, () -> client.metrics().reconnects() == 1, () -> "reconnected");
            client.publish(prefix + "/t", payload, Qos.AT_LEAST_ONCE);
            assertNotNull(s.receive(WAIT));
        } finally {
            jul.removeHandler(capture);
            jul.setLevel(before);
        }
        List<String> lines = new ArrayList<>();
        synchronized (records) {
            for (LogRecord r : records) {
                String line = new java.util.logging.SimpleFormatter().formatMessage(r)
                        + (r.getThrown() == null ? "" : " " + r.getThrown());
                lines.add(line);
            }
        }
        assertTrue(lines.stream().anyMatch(l -> l.contains("connected to mqtt://")), "connection lines logged: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.contains("lost")), "the lost connection logged: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.contains("reconnected")), "the reconnect logged: " + lines);
        for (String l : lines) {
            assertFalse(l.contains(password), "a password in a log line: " + l);
            assertFalse(l.contains(payload), "a payload in a log line: " + l);
        }
    }

    private List<RecordedEvent> ours(List<RecordedEvent> events) {
        return events.stream().filter(e -> e.getString("topic").startsWith(prefix)).toList();
    }

    private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }

    private static void assertPlausible(Duration d, RecordedEvent e) {
        assertTrue(!d.isNegative() && d.compareTo(WAIT) < 0, "implausible " + d + " in " + e);
    }
}
