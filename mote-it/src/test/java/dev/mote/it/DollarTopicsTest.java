package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.it.broker.Broker;
import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import java.time.Duration;

/** Topics starting with {@code $} are not matched by filters starting with a wildcard ([MQTT-4.7.2-1]). */
class DollarTopicsTest {

    @BrokerTest
    void hashDoesNotMatchSysTopicsButSysHashDoes(TestBed bed) {
        // HiveMQ CE publishes no $SYS topics, and it closes the connection of a client that
        // publishes to a $ topic (seen while building this suite), so no $ message can reach a
        // subscriber there. The shared Mosquitto publishes $SYS every second (sys_interval 1).
        assumeTrue(bed.broker().kind() == Broker.Kind.MOSQUITTO,
                "needs $SYS messages: HiveMQ CE publishes none and lets no client publish to a $ topic");
        MqttClient client = bed.connect(o -> o.clientId(bed.clientId("dollar")));
        Subscription all = client.subscribe("#", Qos.AT_MOST_ONCE);
        Subscription sys = client.subscribe("$SYS/#", Qos.AT_MOST_ONCE);

        // Mosquitto sends the current $SYS values on subscribe (retained) and then every second;
        // wait for one uptime update that comes after both subscriptions existed.
        Message first = nextUptime(sys);
        assertNotNull(first, "no $SYS/broker/uptime within 5 s");
        Message update = nextNonRetainedUptime(sys);
        assertNotNull(update, "no periodic $SYS/broker/uptime update within 5 s");

        client.publish(bed.topic("plain"), "marker", Qos.AT_MOST_ONCE);
        boolean sawMarker = false;
        Message m;
        while ((m = all.receive(Duration.ofSeconds(sawMarker ? 0 : 5))) != null) {
            assertFalse(m.topic().startsWith("$"), "'#' matched " + m.topic());
            sawMarker |= m.topic().equals(bed.topic("plain"));
        }
        assertTrue(sawMarker, "the '#' subscription works for ordinary topics");
    }

    private static Message nextUptime(Subscription sys) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        Message m;
        while ((m = sys.receive(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) != null) {
            assertTrue(m.topic().startsWith("$SYS/"), "'$SYS/#' got " + m.topic());
            if (m.topic().equals("$SYS/broker/uptime")) {
                return m;
            }
        }
        return null;
    }

    private static Message nextNonRetainedUptime(Subscription sys) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() - deadline < 0) {
            Message m = nextUptime(sys);
            if (m != null && !m.retained()) {
                return m;
            }
        }
        return null;
    }
}
