package dev.mote.it.unix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.it.broker.MosquittoBroker;
import dev.mote.mqtt.ConnectionEvent;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Subscription;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mote over {@code unix://} to Mosquitto listening on a Unix domain socket: publish and subscribe
 * at every QoS, with a client on TCP at the other end, a missing socket in words, and a reconnect
 * to the same socket path after the broker restarts, with the persistent session resumed.
 */
class UnixSocketTest {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    static Path dir;
    static MosquittoBroker broker;
    static Path socket;
    static String url;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(MosquittoBroker.isAvailable(), MosquittoBroker.MISSING);
        socket = dir.resolve("mosq.sock");
        // Persistent, so the restart scenario finds its session; a TCP listener beside the socket.
        broker = MosquittoBroker.builder("unix").persistence(true).config("listener 0 " + socket).start();
        url = "unix://" + socket;
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static MqttOptions.Builder options(String url, String clientId) {
        return MqttOptions.builder(url).clientId(clientId).connectTimeout(CONNECT_TIMEOUT);
    }

    @Test
    void publishesAndReceivesAtEveryQosOverAUnixSocket() {
        try (MqttClient sub = MqttClient.connect(options(url, "unix-sub").build());
             MqttClient pub = MqttClient.connect(options(url, "unix-pub").build());
             MqttClient tcp = MqttClient.connect(options("mqtt://127.0.0.1:" + broker.port(), "unix-tcp").build());
             Subscription s = sub.subscribe("unix/qos/#", Qos.EXACTLY_ONCE);
             Subscription overTcp = tcp.subscribe("unix/qos/#", Qos.EXACTLY_ONCE)) {
            assertTrue(sub.toString().contains(url), sub.toString());
            Set<String> expected = new HashSet<>();
            for (Qos qos : Qos.values()) {
                String payload = "over a Unix socket at " + qos;
                pub.publish("unix/qos/" + qos.value(), payload, qos);
                expected.add(payload);
            }
            for (Subscription each : new Subscription[] {s, overTcp}) {
                Set<String> got = new HashSet<>();
                for (int i = 0; i < 3; i++) {
                    Message m = each.receive(Duration.ofSeconds(5));
                    assertNotNull(m, "message " + i + " did not arrive");
                    assertEquals("unix/qos/" + m.qos().value(), m.topic());
                    got.add(m.payloadAsString());
                }
                assertEquals(expected, got);
            }
        }
    }

    @Test
    void aMissingSocketIsSaidPlainly() {
        String missing = dir.resolve("nobody-here.sock").toString();
        long start = System.nanoTime();
        MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(options("unix://" + missing, "unix-none").build()));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < CONNECT_TIMEOUT.toMillis());
        assertEquals("cannot connect to unix://" + missing + ": no Unix socket at " + missing, e.getMessage());
    }

    @Test
    void theClientReconnectsToTheSameSocketAfterTheBrokerRestarts() throws Exception {
        MqttOptions o = options(url, "unix-restart")
                .cleanSession(false)
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(300)))
                .build();
        try (MqttClient c = MqttClient.connect(o);
             Subscription s = c.subscribe("unix/restart", Qos.AT_LEAST_ONCE)) {
            c.publish("unix/restart", "before", Qos.AT_LEAST_ONCE);
            assertEquals("before", s.receive(Duration.ofSeconds(5)).payloadAsString());
            while (c.nextConnectionEvent(Duration.ZERO) != null) {
                // skip the first Connected
            }
            broker.stop();
            assertFalse(Files.exists(socket), "Mosquitto removed its socket file on the way out");
            ConnectionEvent lost = c.nextConnectionEvent(Duration.ofSeconds(5));
            assertTrue(lost instanceof ConnectionEvent.Disconnected d && d.willReconnect(), String.valueOf(lost));
            broker.restart();
            ConnectionEvent.Connected again = awaitConnected(c);
            assertEquals(url, again.server());
            assertTrue(again.reconnect());
            assertTrue(again.sessionPresent(), "Mosquitto saved the session across the restart");
            c.publish("unix/restart", "after", Qos.AT_LEAST_ONCE);
            // QoS 1 is at least once: if the broker stopped before it read our PUBACK, it sends "before" again.
            Message m;
            do {
                m = s.receive(Duration.ofSeconds(5));
                assertNotNull(m, "no message after the reconnect");
            } while (m.payloadAsString().equals("before"));
            assertEquals("after", m.payloadAsString());
        }
    }

    private static ConnectionEvent.Connected awaitConnected(MqttClient c) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            ConnectionEvent e = c.nextConnectionEvent(Duration.ofSeconds(1));
            if (e instanceof ConnectionEvent.Connected connected) {
                return connected;
            }
        }
        throw new AssertionError("no reconnect within 15 s");
    }
}
