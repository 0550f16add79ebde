package dev.mote.mqtt;

import static dev.mote.mqtt.ClientTestSupport.assertNoClientThreadsLeft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.ClientTestSupport.Async;
import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.codec.Suback;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.testpeer.ScriptedPeer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Manual acknowledgement against a scripted peer, which sees every packet the client sends:
 * what leaves when, whatever order the application acknowledges in.
 */
class ManualAcknowledgementTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration QUIET = Duration.ofMillis(300);

    private ScriptedPeer peer;
    private final List<MqttClient> clients = new ArrayList<>();

    @BeforeEach
    void startPeer() throws IOException {
        peer = ScriptedPeer.start();
    }

    @AfterEach
    void closeEverything() {
        try {
            for (MqttClient c : clients) {
                c.close();
            }
        } finally {
            peer.close();
        }
        assertNoClientThreadsLeft(WAIT);
    }

    private MqttOptions.Builder options() {
        return MqttOptions.builder(peer.uri()).reconnect(ReconnectPolicy.disabled()).clientId("manual-acks")
                .connectTimeout(WAIT).closeTimeout(Duration.ofMillis(200));
    }

    private MqttClient connect(MqttOptions.Builder options) {
        Async<MqttClient> f = Async.start("connect", () -> MqttClient.connect(options.build()));
        peer.expect(Connect.class);
        peer.send(new Connack(false, 0));
        MqttClient c = f.get(WAIT);
        clients.add(c);
        return c;
    }

    private Subscription subscribe(MqttClient client, String filter, Qos qos, Acknowledgement mode) {
        Async<Subscription> f = Async.start("subscribe",
                () -> client.subscribe(List.of(TopicFilter.of(filter, qos)), null, Wait.ACK, mode));
        Subscribe s = peer.expect(Subscribe.class);
        peer.send(new Suback(s.packetId(), new int[] {qos.value()}));
        return f.get(WAIT);
    }

    private static Publish publish(String topic, String payload, int qos, int id) {
        return new Publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, false, false, id);
    }

    private static List<Message> receive(Subscription sub, int n) {
        List<Message> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Message m = sub.receive(WAIT);
            assertNotNull(m, "message " + i);
            got.add(m);
        }
        return got;
    }

    @Test
    void qos1AcksLeaveInArrivalOrderWhateverOrderTheApplicationAcksIn() {
        MqttClient client = connect(options().acknowledgement(Acknowledgement.MANUAL));
        Subscription sub = subscribe(client, "m/#", Qos.AT_LEAST_ONCE, Acknowledgement.MANUAL);
        peer.sendTogether(publish("m/a", "1", 1, 11), publish("m/b", "2", 1, 12), publish("m/c", "3", 1, 13));
        List<Message> got = receive(sub, 3);
        assertTrue(got.get(0).needsAck());
        peer.expectNothing(QUIET); // handed over, but not acknowledged by the application

        got.get(2).ack();
        got.get(1).ack();
        got.get(1).ack(); // twice counts once
        peer.expectNothing(QUIET); // the first message holds the later acknowledgements back

        got.get(0).ack();
        assertEquals(11, peer.expect(Puback.class).packetId());
        assertEquals(12, peer.expect(Puback.class).packetId());
        assertEquals(13, peer.expect(Puback.class).packetId());
        assertEquals(0, client.metrics().unacknowledged());
    }

    /**
     * A handler that throws has not acknowledged its message; left so, it would hold back every
     * later acknowledgement. The client acknowledges it (and logs a warning), so the next
     * message's acknowledgement, given by the handler, leaves too.
     */
    @Test
    void aThrowingHandlerDoesNotHoldBackLaterAcknowledgements() {
        MqttClient client = connect(options());
        java.util.concurrent.CountDownLatch second = new java.util.concurrent.CountDownLatch(1);
        Async<Subscription> f = Async.start("subscribe", () -> client.subscribe(List.of(TopicFilter.of("t/#", Qos.AT_LEAST_ONCE)),
                m -> {
                    if (m.payloadAsString().equals("boom")) {
                        throw new IllegalStateException("handler failure for the test");
                    }
                    m.ack();
                    second.countDown();
                }, Wait.ACK, Acknowledgement.MANUAL));
        Subscribe s = peer.expect(Subscribe.class);
        peer.send(new Suback(s.packetId(), new int[] {1}));
        f.get(WAIT);
        peer.sendTogether(publish("t/a", "boom", 1, 31), publish("t/b", "fine", 1, 32));
        assertEquals(31, peer.expect(Puback.class).packetId());
        assertEquals(32, peer.expect(Puback.class).packetId());
        assertEquals(0, client.metrics().unacknowledged());
    }

    @Test
    void qos2PubrecWaitsForTheAckAndADuplicateMeanwhileIsNotDeliveredAgain() {
        MqttClient client = connect(options());
        Subscription sub = subscribe(client, "q/#", Qos.EXACTLY_ONCE, Acknowledgement.MANUAL);
        peer.send(publish("q/x", "once", 2, 7));
        Message m = sub.receive(WAIT);
        assertEquals("once", m.payloadAsString());
        peer.expectNothing(QUIET);

        peer.send(new Publish("q/x", "once".getBytes(StandardCharsets.UTF_8), 2, false, true, 7));
        assertNull(sub.receive(QUIET), "the duplicate is not delivered again");
        peer.expectNothing(Duration.ZERO); // and not answered: its PUBREC waits for the ack

        m.ack();
        assertEquals(7, peer.expect(Pubrec.class).packetId());
        peer.send(new Pubrel(7));
        assertEquals(7, peer.expect(Pubcomp.class).packetId());
    }

    @Test
    void theBoundOnUnacknowledgedMessagesStopsHandingOverUntilAnAckComes() {
        MqttClient client = connect(options().acknowledgement(Acknowledgement.MANUAL).maxUnacknowledged(2));
        Subscription sub = subscribe(client, "b/#", Qos.AT_LEAST_ONCE, Acknowledgement.MANUAL);
        for (int id = 1; id <= 4; id++) {
            peer.send(publish("b/t", "m" + id, 1, id));
        }
        List<Message> first = receive(sub, 2);
        assertNull(sub.receive(QUIET), "a third message waits while two are unacknowledged");
        assertEquals(2, client.metrics().unacknowledged());

        first.get(1).ack(); // out of order: the count goes down, the PUBACK waits for m1
        assertEquals("m3", sub.receive(WAIT).payloadAsString());
        peer.expectNothing(QUIET);
        assertNull(sub.receive(QUIET), "two unacknowledged again (m1, m3)");

        first.get(0).ack();
        assertEquals(1, peer.expect(Puback.class).packetId());
        assertEquals(2, peer.expect(Puback.class).packetId());
        Message m4 = sub.receive(WAIT);
        assertEquals("m4", m4.payloadAsString());
    }

    /**
     * Messages left in a closed manual subscription's buffer would hold back every later
     * acknowledgement of the connection; closing acknowledges them, in arrival order with the rest.
     */
    @Test
    void closingAManualSubscriptionReleasesWhatItStillBuffers() {
        MqttClient client = connect(options());
        Subscription manual = subscribe(client, "m/#", Qos.AT_LEAST_ONCE, Acknowledgement.MANUAL);
        Subscription auto = subscribe(client, "a/#", Qos.AT_LEAST_ONCE, Acknowledgement.AUTOMATIC);
        peer.sendTogether(publish("m/1", "left", 1, 21), publish("a/1", "auto", 1, 22));
        assertEquals("auto", auto.receive(WAIT).payloadAsString());
        peer.expectNothing(QUIET); // PUBACK 22 waits behind the unacknowledged 21

        Async<Void> closing = Async.start("close", () -> {
            manual.close();
            return null;
        });
        var unsubscribe = peer.expect(dev.mote.mqtt.internal.codec.Unsubscribe.class);
        // The acknowledgements leave as the subscription closes, before its UNSUBACK.
        assertEquals(21, peer.expect(Puback.class).packetId());
        assertEquals(22, peer.expect(Puback.class).packetId());
        peer.send(new dev.mote.mqtt.internal.codec.Unsuback(unsubscribe.packetId()));
        closing.get(WAIT);
        assertEquals("left", manual.receive(WAIT).payloadAsString(), "still readable after close");
        assertNull(manual.receive(WAIT), "then the stream ends");
        assertEquals(0, client.metrics().unacknowledged());
    }

    @Test
    void automaticSubscriptionBesideAManualOneDoesNotReleaseTheAck() {
        MqttClient client = connect(options());
        Subscription auto = subscribe(client, "x/#", Qos.AT_LEAST_ONCE, Acknowledgement.AUTOMATIC);
        Subscription manual = subscribe(client, "x/+", Qos.AT_LEAST_ONCE, Acknowledgement.MANUAL);
        peer.send(publish("x/y", "both", 1, 5));
        Message a = auto.receive(WAIT);
        Message m = manual.receive(WAIT);
        assertFalse(a.needsAck(), "the automatic subscription's copy has nothing to acknowledge");
        a.ack(); // does nothing
        peer.expectNothing(QUIET);
        m.ack();
        assertEquals(5, peer.expect(Puback.class).packetId());
    }

    @Test
    void automaticModeStaysTheDefault() {
        MqttClient client = connect(options());
        Subscription sub = subscribe(client, "d/#", Qos.AT_LEAST_ONCE, client.options().acknowledgement());
        assertEquals(Acknowledgement.AUTOMATIC, client.options().acknowledgement());
        peer.send(publish("d/1", "x", 1, 3));
        assertEquals(3, peer.expect(Puback.class).packetId());
        assertFalse(sub.receive(WAIT).needsAck());
    }
}
