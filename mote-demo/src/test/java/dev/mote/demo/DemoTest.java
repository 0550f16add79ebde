package dev.mote.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.Qos;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Runs the demo's core against the embedded broker and checks that the summary adds up. */
class DemoTest {

    @Test
    void aShortTimedRunLosesNothingAtQos1And2() {
        Summary s = run(new Config(3, Duration.ofSeconds(2), 0, 64, 0));

        for (Qos qos : new Qos[] {Qos.AT_LEAST_ONCE, Qos.EXACTLY_ONCE}) {
            Summary.Row r = s.row(qos);
            assertTrue(r.sent() > 0, "QoS " + qos.value() + " sent nothing");
            assertEquals(r.sent(), r.acknowledged(), "QoS " + qos.value() + " acknowledged");
            assertEquals(r.sent(), r.received(), "QoS " + qos.value() + " received");
            assertEquals(0, r.lost(), "QoS " + qos.value() + " lost");
            assertEquals(0, r.duplicates(), "QoS " + qos.value() + " duplicates");
        }
        Summary.Row qos0 = s.row(Qos.AT_MOST_ONCE);
        assertEquals(qos0.sent(), qos0.received() - qos0.duplicates() + qos0.lost(), "QoS 0 sent = received + lost");
        assertAddsUp(s);
        assertTrue(s.errors().isEmpty(), s.errors().toString());
        assertTrue(s.ok());
    }

    @Test
    void aCountedRunSendsExactlyTheCount() {
        Summary s = run(new Config(3, Duration.ofSeconds(10), 500, 32, 2000));

        for (Qos qos : Qos.values()) {
            assertEquals(500, s.row(qos).sent(), "QoS " + qos.value() + " sent");
        }
        assertEquals(500, s.row(Qos.AT_LEAST_ONCE).received());
        assertEquals(500, s.row(Qos.EXACTLY_ONCE).received());
        assertAddsUp(s);
        assertTrue(s.ok(), s.errors().toString());
    }

    private static Summary run(Config config) {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        Summary s = Demo.run(config, new PrintStream(progress, true, StandardCharsets.UTF_8), false);
        ByteArrayOutputStream table = new ByteArrayOutputStream();
        s.print(new PrintStream(table, true, StandardCharsets.UTF_8));
        System.out.print(progress.toString(StandardCharsets.UTF_8) + table.toString(StandardCharsets.UTF_8));
        return s;
    }

    /** The total row is the sum of the QoS rows, and every arrival has a latency. */
    private static void assertAddsUp(Summary s) {
        long sent = 0, acknowledged = 0, received = 0, lost = 0;
        for (Qos qos : Qos.values()) {
            Summary.Row r = s.row(qos);
            sent += r.sent();
            acknowledged += r.acknowledged();
            received += r.received();
            lost += r.lost();
            assertEquals(r.received(), r.latency().count(), "QoS " + qos.value() + " latencies");
        }
        Summary.Row total = s.total();
        assertEquals(sent, total.sent());
        assertEquals(acknowledged, total.acknowledged());
        assertEquals(received, total.received());
        assertEquals(lost, total.lost());
    }
}
