package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code $share/{group}/{filter}}: a broker extension to 3.1.1 that both Mosquitto 2 and HiveMQ CE
 * offer to 3.1.1 clients. The broker delivers each message to one member of the group, under the
 * original topic; the client routes it to the shared Subscription by the filter inside.
 */
class SharedSubscriptionTest {
    /** Jobs are published in rounds until both members have some, but never more than this. */
    private static final int MAX_MESSAGES = 2_000;
    private static final int ROUND = 50;

    @BrokerTest
    void groupMembersSplitTheMessages(TestBed bed) {
        String shared = "$share/g1/" + bed.topic("jobs/#");
        MqttClient worker1 = bed.connect(o -> o.clientId(bed.clientId("w1")));
        MqttClient worker2 = bed.connect(o -> o.clientId(bed.clientId("w2")));
        Collector jobs1 = new Collector();
        Collector jobs2 = new Collector();
        worker1.subscribe(shared, Qos.AT_LEAST_ONCE, jobs1);
        worker2.subscribe(shared, Qos.AT_LEAST_ONCE, jobs2);
        // An ordinary subscription next to the shared one, on another topic, in the same client.
        Subscription other = worker1.subscribe(bed.topic("other/#"), Qos.AT_LEAST_ONCE);

        // One job at a time: Mosquitto hands them out in turn (100/100 for 200 jobs); HiveMQ CE
        // gives a job to a member with room for it, and a burst (Wait.NONE) all went to one
        // member, while one at a time splits them (100/100, 105/95, once 198/2). So publish
        // rounds until both members have work, at most MAX_MESSAGES jobs.
        MqttClient producer = bed.connect(o -> o.clientId(bed.clientId("prod")));
        int published = 0;
        while (published < MAX_MESSAGES && (jobs1.count() == 0 || jobs2.count() == 0)) {
            for (int i = 0; i < ROUND; i++, published++) {
                producer.publish(bed.topic("jobs/" + (published % 4)), ("job" + published).getBytes(), Qos.AT_LEAST_ONCE, false, Wait.ACK);
            }
        }
        producer.publish(bed.topic("other/x"), "not a job", Qos.AT_LEAST_ONCE);
        int total = published;

        Await.until(Duration.ofSeconds(15), () -> jobs1.count() + jobs2.count() >= total,
                () -> "all jobs: got " + jobs1.count() + " + " + jobs2.count() + " of " + total);
        List<Message> got1 = jobs1.awaitMoreThan(Integer.MAX_VALUE - 1, Duration.ofMillis(300));
        List<Message> got2 = jobs2.messages();
        assertEquals(total, got1.size() + got2.size(), "each job delivered to exactly one member");
        assertTrue(!got1.isEmpty() && !got2.isEmpty(),
                "both members got work: " + got1.size() + " and " + got2.size() + " of " + total + " on " + bed.broker().name());
        Set<String> payloads = new HashSet<>();
        List<Message> all = new ArrayList<>(got1);
        all.addAll(got2);
        for (Message m : all) {
            assertTrue(m.topic().startsWith(bed.topic("jobs/")), "original topic, not the $share filter: " + m.topic());
            assertTrue(payloads.add(m.payloadAsString()), "delivered twice: " + m.payloadAsString());
        }

        Message o = other.receive(Duration.ofSeconds(10));
        assertEquals("not a job", o == null ? null : o.payloadAsString(), "the ordinary subscription got its message");
        assertNull(other.receive(Duration.ofMillis(200)), "and no job");
    }
}
