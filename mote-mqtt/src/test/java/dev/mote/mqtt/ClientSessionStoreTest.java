package dev.mote.mqtt;

import static dev.mote.mqtt.ClientTestSupport.assertFails;
import static dev.mote.mqtt.ClientTestSupport.assertNoClientThreadsLeft;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Disconnect;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.testpeer.ScriptedPeer;
import dev.mote.mqtt.testpeer.ScriptedPeer.PeerConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file-backed session store seen from the API: a second client on the same directory finishes
 * what the first left, against a scripted peer that plays the broker.
 */
class ClientSessionStoreTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;
    private ScriptedPeer peer;
    private MqttClient client;

    @BeforeEach
    void startPeer() throws Exception {
        peer = ScriptedPeer.start();
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        peer.close();
        assertNoClientThreadsLeft(WAIT);
    }

    private MqttOptions.Builder options(boolean cleanSession) {
        return MqttOptions.builder(peer.uri())
                .clientId("stored")
                .cleanSession(cleanSession)
                .sessionStore(dir)
                .connectTimeout(WAIT)
                .closeTimeout(Duration.ofMillis(100))
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(1), Duration.ofMillis(5)));
    }

    private PeerConnection connect(MqttOptions options, boolean sessionPresent) {
        var connecting = ClientTestSupport.Async.start("connect", () -> MqttClient.connect(options));
        PeerConnection c = peer.awaitConnection(WAIT);
        c.expect(Connect.class, WAIT);
        c.send(new Connack(sessionPresent, 0));
        client = connecting.get(WAIT);
        return c;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("a new client on the store resends what the last one left unacknowledged, in order, and completes the recovered handles")
    void newClientFinishesTheSession() {
        PeerConnection first = connect(options(false).build(), false);
        Delivery d1 = client.publish("a/1", bytes("one"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
        Delivery d2 = client.publish("a/2", bytes("two"), Qos.EXACTLY_ONCE, true, Wait.NONE);
        Delivery d3 = client.publish("a/3", bytes("three"), Qos.EXACTLY_ONCE, false, Wait.NONE);
        Delivery d4 = client.publish("a/4", bytes("four"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
        Publish p1 = first.expect(Publish.class, WAIT);
        Publish p2 = first.expect(Publish.class, WAIT);
        Publish p3 = first.expect(Publish.class, WAIT);
        Publish p4 = first.expect(Publish.class, WAIT);
        first.send(new Pubrec(p2.packetId()));
        first.expect(Pubrel.class, WAIT);
        first.send(new Puback(p4.packetId()));
        d4.await(WAIT);
        client.close(); // close gives up after closeTimeout; the store keeps the rest
        MqttException closed = d1.failure().orElseThrow();
        assertTrue(closed.getMessage().contains("stays in the session store"), closed.getMessage());
        assertTrue(d2.failure().isPresent() && d3.failure().isPresent());

        PeerConnection second = connect(options(false).build(), true);
        List<Delivery> recovered = client.recoveredDeliveries();
        assertEquals(List.of("a/1", "a/2", "a/3"), recovered.stream().map(Delivery::topic).toList());
        assertEquals(List.of(Qos.AT_LEAST_ONCE, Qos.EXACTLY_ONCE, Qos.EXACTLY_ONCE), recovered.stream().map(Delivery::qos).toList());
        Publish r1 = second.expect(Publish.class, WAIT);
        assertEquals(p1.packetId(), r1.packetId());
        assertTrue(r1.dup(), "a message that may have been sent goes again with DUP=1");
        assertArrayEquals(bytes("one"), r1.payload());
        assertEquals(new Pubrel(p2.packetId()), second.expect(Pubrel.class, WAIT),
                "a message the broker PUBREC'd is never published again, only released [MQTT-4.3.3-1]");
        Publish r3 = second.expect(Publish.class, WAIT);
        assertEquals(p3.packetId(), r3.packetId());
        assertEquals(p3.topic(), r3.topic());
        assertArrayEquals(p3.payload(), r3.payload());
        second.send(new Puback(p1.packetId()));
        second.send(new Pubcomp(p2.packetId()));
        second.send(new Pubrec(p3.packetId()));
        second.expect(Pubrel.class, WAIT);
        second.send(new Pubcomp(p3.packetId()));
        for (Delivery d : recovered) {
            assertTrue(d.await(WAIT));
        }
        Delivery fresh = client.publish("a/5", bytes("five"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
        Publish p5 = second.expect(Publish.class, WAIT);
        assertFalse(List.of(p1.packetId(), p2.packetId(), p3.packetId()).contains(p5.packetId()) && !fresh.isDone());
        second.send(new Puback(p5.packetId()));
        fresh.await(WAIT);
        client.close();
        second.expect(Disconnect.class, WAIT);

        connect(options(false).build(), true);
        assertEquals(List.of(), client.recoveredDeliveries(), "everything acknowledged: nothing left in the store");
    }

    @Test
    @DisplayName("messages published while the broker is unreachable are in the store once publish returns, and go out from the next client")
    void offlinePublishesAreStored() throws Exception {
        connect(options(false).build(), false);
        peer.close(); // drops the connection and accepts no more: the client stays offline
        assertTrue(awaitEvent(ConnectionEvent.Disconnected.class));
        for (int i = 0; i < 5; i++) {
            client.publish("off/" + i, bytes("m" + i), Qos.AT_LEAST_ONCE, false, Wait.NONE);
        }
        client.close();

        peer = ScriptedPeer.start();
        PeerConnection second = connect(options(false).build(), true);
        List<Delivery> recovered = client.recoveredDeliveries();
        assertEquals(List.of("off/0", "off/1", "off/2", "off/3", "off/4"), recovered.stream().map(Delivery::topic).toList());
        for (int i = 0; i < 5; i++) {
            Publish p = second.expect(Publish.class, WAIT);
            assertEquals("off/" + i, p.topic());
            second.send(new Puback(p.packetId()));
        }
        for (Delivery d : recovered) {
            assertTrue(d.await(WAIT));
        }
    }

    private boolean awaitEvent(Class<? extends ConnectionEvent> type) {
        for (int i = 0; i < 10; i++) {
            ConnectionEvent e = client.nextConnectionEvent(WAIT);
            if (type.isInstance(e)) {
                return true;
            }
        }
        return false;
    }

    @Test
    @DisplayName("a QoS 2 message taken by an earlier client is not delivered again when the broker resends it")
    void inboundQos2IdsSurvive() {
        List<String> got = new CopyOnWriteArrayList<>();
        MqttOptions opts = options(false).defaultHandler(m -> got.add(m.payloadAsString())).build();
        PeerConnection first = connect(opts, false);
        first.send(new Publish("in/x", bytes("once"), 2, false, false, 77));
        first.expect(Pubrec.class, WAIT);
        client.close();
        assertEquals(List.of("once"), got);

        PeerConnection second = connect(opts, true);
        second.send(new Publish("in/x", bytes("once"), 2, false, true, 77));
        assertEquals(new Pubrec(77), second.expect(Pubrec.class, WAIT));
        second.send(new Pubrel(77));
        assertEquals(new Pubcomp(77), second.expect(Pubcomp.class, WAIT));
        second.send(new Publish("in/x", bytes("next"), 2, false, false, 77)); // the id is free again
        second.expect(Pubrec.class, WAIT);
        assertEquals(List.of("once", "next"), got, "the resend was answered, not delivered; the next message with the id was");
    }

    @Test
    @DisplayName("with a clean session the stored messages are discarded at connect, and their handles say so")
    void cleanSessionDiscards() {
        PeerConnection first = connect(options(false).build(), false);
        client.publish("gone/1", bytes("x"), Qos.AT_LEAST_ONCE, false, Wait.NONE);
        first.expect(Publish.class, WAIT);
        client.close();

        PeerConnection second = connect(options(true).build(), false);
        List<Delivery> recovered = client.recoveredDeliveries();
        assertEquals(1, recovered.size());
        assertEquals(Delivery.Status.FAILED, recovered.get(0).status());
        assertTrue(recovered.get(0).failure().orElseThrow().getMessage().contains("clean session"));
        second.expectNothing(Duration.ofMillis(200));
        client.close();

        connect(options(false).build(), false);
        assertEquals(List.of(), client.recoveredDeliveries(), "the clean session emptied the store");
    }

    @Test
    @DisplayName("a second client on the same store fails at connect, naming the directory; the first goes on")
    void storeIsLocked() throws Exception {
        connect(options(false).build(), false);
        MqttException e = assertFails(MqttException.class, () -> MqttClient.connect(options(false).clientId("other").build()),
                "session store", dir.toString(), "already open");
        assertTrue(client.isConnected(), e.getMessage());
    }

    @Test
    @DisplayName("a store that cannot be written closes the client (no reconnect) before another packet leaves, saying why")
    void failedStoreClosesTheClient() throws Exception {
        PeerConnection c = connect(options(false).build(), false);
        // Compaction (due after 8 MiB of log) will find its temporary file's name taken by a directory.
        Files.createDirectory(dir.resolve("session.log.tmp"));
        byte[] big = new byte[64 * 1024];
        MqttException failure = null;
        for (int i = 0; i < 400 && failure == null; i++) {
            try {
                client.publish("big", big, Qos.AT_LEAST_ONCE, false, Wait.NONE);
                Publish p = c.expect(Publish.class, WAIT);
                c.send(new Puback(p.packetId()));
            } catch (MqttException e) {
                failure = e;
            } catch (AssertionError e) {
                break; // the client stopped sending: it is closing
            }
        }
        ConnectionEvent last = null;
        for (ConnectionEvent e; (e = client.nextConnectionEvent(WAIT)) != null; ) {
            last = e;
        }
        ConnectionEvent.Closed closed = org.junit.jupiter.api.Assertions.assertInstanceOf(ConnectionEvent.Closed.class, last);
        assertTrue(closed.cause().getMessage().contains("the session store " + dir + " failed"), closed.cause().getMessage());
        assertTrue(closed.cause().getMessage().contains("compacting"), closed.cause().getMessage());
        assertFails(ClientClosedException.class, () -> client.publish("x", bytes("y"), Qos.AT_LEAST_ONCE, false, Wait.NONE),
                "session store");
    }

    @Test
    @DisplayName("sessionStore must name a directory")
    void storeMustBeADirectory() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertFails(IllegalArgumentException.class, () -> MqttOptions.builder("mqtt://localhost").sessionStore(file),
                "must be a directory", file.toString());
    }
}
