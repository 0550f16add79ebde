package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.FaultProxy;
import dev.mote.it.broker.FaultProxy.Direction;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.ClientClosedException;
import dev.mote.mqtt.ConnectionLostException;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import java.time.Duration;
import java.util.List;

/** Keep-alive: the client pings an idle connection in time, and notices a dead one. */
class KeepAliveTest {

    /**
     * Keep-alive 1 s: a broker drops a client that stays silent for 1.5 s ([MQTT-3.1.2-24]), so an
     * idle client survives 3 s only by sending PINGREQ ([MQTT-3.1.2-23]). This is the one scenario
     * that waits a fixed time on purpose: it observes the protocol's timer.
     */
    @BrokerTest
    void idleClientIsKeptAliveByPings(TestBed bed) {
        FaultProxy proxy = bed.proxy(); // only to count the bytes; it passes everything
        MqttClient client = bed.connect(bed.options(proxy.uri()).clientId(bed.clientId("idle"))
                .keepAlive(Duration.ofSeconds(1)).build());
        long up = proxy.relayed(Direction.UPSTREAM);
        long down = proxy.relayed(Direction.DOWNSTREAM);
        int sentBefore = proxy.arrivals(Direction.UPSTREAM).size();

        Await.holdsFor(Duration.ofSeconds(3), client::isConnected,
                () -> "the connection ended while idle with keep-alive 1 s: " + whyClosed(client));

        // [MQTT-3.1.2-23]: the interval between two packets the client sends must not exceed the
        // keep-alive. Brokers allow 1.5 times that, but HiveMQ CE 2025.5 computes 1.5 x 1 s as an
        // int, 1 s, so a client that pings only once the full interval has passed (plus a few
        // milliseconds of scheduling) gets disconnected now and then.
        List<Long> sent = proxy.arrivals(Direction.UPSTREAM);
        long worst = 0;
        for (int i = Math.max(1, sentBefore); i < sent.size(); i++) {
            worst = Math.max(worst, sent.get(i) - sent.get(i - 1));
        }
        assertTrue(worst <= Duration.ofSeconds(1).toNanos(), "longest silence of the client while idle: "
                + worst / 1_000_000.0 + " ms, over the keep-alive of 1000 ms; packets at " + relative(sent));

        // Each PINGREQ and PINGRESP is 2 bytes; in 3 s at least two rounds went by.
        assertTrue(proxy.relayed(Direction.UPSTREAM) - up >= 4, "PINGREQs sent: " + (proxy.relayed(Direction.UPSTREAM) - up) + " bytes");
        assertTrue(proxy.relayed(Direction.DOWNSTREAM) - down >= 4, "PINGRESPs received: " + (proxy.relayed(Direction.DOWNSTREAM) - down) + " bytes");
        client.ping();
        assertTrue(client.isConnected());
    }

    private static String relative(List<Long> times) {
        StringBuilder b = new StringBuilder();
        for (long t : times) {
            b.append(b.isEmpty() ? "" : ", ").append((t - times.get(0)) / 1_000_000).append(" ms");
        }
        return b.toString();
    }

    private static String whyClosed(MqttClient client) {
        try {
            client.ping();
            return "(ping works again?)";
        } catch (ClientClosedException e) {
            return e.getMessage() + (e.getCause() == null ? "" : " / cause: " + e.getCause());
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    /**
     * When nothing the client sends arrives any more (a black hole, not a closed socket), the
     * unanswered PINGREQ tells it the connection is dead: it closes, and later calls say why.
     */
    @BrokerTest
    void deadConnectionIsNoticedByKeepAlive(TestBed bed) {
        FaultProxy proxy = bed.proxy();
        MqttClient client = bed.connect(bed.options(proxy.uri()).clientId(bed.clientId("dead"))
                .keepAlive(Duration.ofSeconds(1)).build());
        client.ping();
        proxy.drop(Direction.UPSTREAM).drop(Direction.DOWNSTREAM);

        // Keep-alive 1 s plus the default ping timeout of half of it; generous for a busy machine.
        Await.until(Duration.ofSeconds(10), () -> !client.isConnected(), () -> "the client noticing the dead connection");
        ClientClosedException e = assertThrows(ClientClosedException.class,
                () -> client.publish(bed.topic("x"), "late", Qos.AT_LEAST_ONCE));
        ConnectionLostException cause = assertInstanceOf(ConnectionLostException.class, e.getCause(), "the cause of the close");
        assertTrue(cause.getMessage().contains("PINGRESP"), cause.getMessage());
    }
}
