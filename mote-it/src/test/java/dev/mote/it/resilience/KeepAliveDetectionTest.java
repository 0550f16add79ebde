package dev.mote.it.resilience;

import dev.mote.it.Await;
import dev.mote.it.broker.MosquittoBroker;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.mqtt.Acknowledgement;
import dev.mote.mqtt.ConnectionEvent;
import dev.mote.mqtt.ConnectionLostException;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.TopicFilter;
import dev.mote.mqtt.Wait;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A link that swallows everything and says nothing (a black hole: no reset, no end of stream)
 * can only be found dead by keep-alive. With keep-alive K and the default ping timeout K/2, the
 * client must notice within 1.5 × K of the link going silent, and start reconnecting.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeepAliveDetectionTest {
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(2);
    /** Scheduling slack on a busy 2-core machine. */
    private static final long TOLERANCE_MS = 400;

    private static MosquittoBroker broker;

    @BeforeAll
    static void start() {
        assumeTrue(MosquittoBroker.isAvailable(), MosquittoBroker.MISSING);
        broker = MosquittoBroker.builder("keepalive").start();
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private record Timed(long at, ConnectionEvent event) {}

    private enum Load { IDLE, PUBLISHING, PAUSED_READER }

    @Test
    @DisplayName("an idle connection into a black hole is found dead within 1.5 x keep-alive, and the client reconnects")
    void idleBlackHole() throws Exception {
        detect(Load.IDLE);
    }

    @Test
    @DisplayName("a connection publishing into a black hole (writes keep succeeding) is found dead within 1.5 x keep-alive")
    void busyBlackHole() throws Exception {
        detect(Load.PUBLISHING);
    }

    @Test
    @DisplayName("a reader paused by back-pressure (a message waiting for ack()) still finds a black hole within 1.5 x keep-alive")
    void pausedReaderBlackHole() throws Exception {
        detect(Load.PAUSED_READER);
    }

    @Test
    @DisplayName("a reader paused by back-pressure on a live link is not taken for dead: the unread PINGRESP counts")
    void pausedReaderOnALiveLinkStays() throws Exception {
        LinkedBlockingQueue<Timed> events = new LinkedBlockingQueue<>();
        try (MqttClient client = MqttClient.connect(MqttOptions.builder("mqtt://" + broker.host() + ":" + broker.port())
                .clientId("keepalive-paused-live")
                .keepAlive(KEEP_ALIVE)
                .maxUnacknowledged(1)
                .connectionListener(e -> events.add(new Timed(System.nanoTime(), e)))
                .build())) {
            assertInstanceOf(ConnectionEvent.Connected.class, next(events).event());
            pauseReader(client, "keepalive/paused-live", "keepalive-feeder-live");
            // Two and a half keep-alive periods: pings go out and their answers wait unread.
            Await.holdsFor(KEEP_ALIVE.multipliedBy(5).dividedBy(2), () -> client.isConnected() && events.isEmpty(),
                    () -> "the paused client to stay connected; events: " + events);
        }
    }

    /** Two messages, the first never acknowledged: the reader holds the second and reads nothing more. */
    private static void pauseReader(MqttClient client, String topic, String feederId) throws Exception {
        Subscription sub = client.subscribe(List.of(TopicFilter.of(topic, Qos.AT_LEAST_ONCE)), null,
                Wait.ACK, Acknowledgement.MANUAL);
        try (MqttClient other = MqttClient.connect(MqttOptions.builder("mqtt://" + broker.host() + ":" + broker.port())
                .clientId(feederId).build())) {
            other.publish(topic, "one", Qos.AT_LEAST_ONCE);
            other.publish(topic, "two", Qos.AT_LEAST_ONCE);
        }
        assertNotNull(sub.receive(Duration.ofSeconds(10)), "the first message");
        Await.until(Duration.ofSeconds(10), () -> client.metrics().received().qos1() == 2, () -> "the second message read");
    }

    private void detect(Load load) throws Exception {
        boolean publishing = load == Load.PUBLISHING;
        LinkedBlockingQueue<Timed> events = new LinkedBlockingQueue<>();
        try (ChaosProxy proxy = new ChaosProxy(broker.host(), broker.port());
                MqttClient client = MqttClient.connect(MqttOptions.builder(proxy.uri())
                        .clientId("keepalive-" + load)
                        .keepAlive(KEEP_ALIVE)
                        .maxUnacknowledged(1)
                        .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(10), Duration.ofMillis(100)))
                        .closeTimeout(Duration.ofMillis(200))
                        .connectionListener(e -> events.add(new Timed(System.nanoTime(), e)))
                        .build())) {
            assertInstanceOf(ConnectionEvent.Connected.class, next(events).event());
            client.ping(); // the link works
            if (load == Load.PAUSED_READER) {
                pauseReader(client, "keepalive/paused", "keepalive-feeder");
            }
            Thread publisher = null;
            if (publishing) {
                publisher = Thread.ofVirtual().start(() -> {
                    for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
                        try {
                            client.publish("keepalive/busy", "m" + i, Qos.AT_MOST_ONCE, false, Wait.NONE);
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            return;
                        } catch (RuntimeException e) {
                            // a QoS 0 message lost with the connection: expected here
                        }
                    }
                });
            }
            if (publisher != null) {
                // Traffic under way before the link goes silent.
                Await.until(Duration.ofSeconds(10), () -> client.metrics().published().qos0() >= 5, () -> "a few publishes");
            }
            long silentFrom = System.nanoTime();
            proxy.blackHole(true);
            Timed lost = next(events);
            long detectedMs = (lost.at() - silentFrom) / 1_000_000;
            ConnectionEvent.Disconnected d = assertInstanceOf(ConnectionEvent.Disconnected.class, lost.event());
            proxy.blackHole(false);
            if (publisher != null) {
                publisher.interrupt();
                publisher.join();
            }
            long bound = KEEP_ALIVE.toMillis() * 3 / 2;
            System.out.printf("[resilience] keep-alive %d s, black hole (%s): dead link noticed after %d ms (bound 1.5 x keep-alive = %d ms"
                            + " + %d ms tolerance), %,d bytes swallowed; cause: %s%n",
                    KEEP_ALIVE.toSeconds(), switch (load) {
                        case IDLE -> "idle";
                        case PUBLISHING -> "publishing every 50 ms";
                        case PAUSED_READER -> "reader paused by back-pressure";
                    }, detectedMs, bound, TOLERANCE_MS,
                    proxy.bytesBlackHoled(), d.cause().getMessage());
            assertTrue(d.willReconnect());
            assertInstanceOf(ConnectionLostException.class, d.cause());
            assertTrue(d.cause().getMessage().contains("no PINGRESP"), d.cause().getMessage());
            assertTrue(detectedMs <= bound + TOLERANCE_MS, "noticed after " + detectedMs + " ms, bound " + bound + " ms");
            assertTrue(detectedMs >= KEEP_ALIVE.toMillis() / 2, "noticed after only " + detectedMs + " ms: not by keep-alive?");
            assertInstanceOf(ConnectionEvent.Reconnecting.class, next(events).event());
            Timed back;
            do {
                back = next(events);
            } while (!(back.event() instanceof ConnectionEvent.Connected));
            client.ping();
        }
    }

    private static Timed next(LinkedBlockingQueue<Timed> events) throws InterruptedException {
        Timed t = events.poll(10, TimeUnit.SECONDS);
        assertNotNull(t, "no connection event within 10 s");
        return t;
    }
}
