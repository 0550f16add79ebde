package dev.mote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** mote bench against Mosquitto: the counts of the JSON report add up. */
class BenchTest {
    private static Mosquitto broker;

    @BeforeAll
    static void startBroker() {
        assumeTrue(Mosquitto.available(), "mosquitto is not installed");
        broker = Mosquitto.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(-?[0-9.]+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void qos1WithTwoPublishersAndOneSubscriberLosesNothing() {
        Cli.Result r = Cli.run(Cli.args("bench", broker, "-q", "1", "-P", "2", "-S", "1", "--duration", "2", "--json"));
        assertEquals(0, r.code(), r.toString());
        String json = r.outText().strip();
        assertTrue(json.startsWith("{") && json.endsWith("}") && !json.contains("\n"), json);
        long sent = (long) number(json, "sent");
        assertTrue(sent > 100, json);
        assertEquals(sent, (long) number(json, "acknowledged"), json);
        assertEquals(sent, (long) number(json, "received"), json);
        assertEquals(sent, (long) number(json, "expected"), json);
        assertEquals(0, number(json, "lost"), json);
        assertEquals(0, number(json, "duplicates"), json);
        assertEquals(0, number(json, "unexpected"), json);
        assertEquals(2, number(json, "publishers"));
        assertEquals(1, number(json, "subscribers"));
        assertTrue(number(json, "receivedPerSecond") > 0, json);
        double p50 = number(json, "p50");
        double p99 = number(json, "p99");
        double max = number(json, "max");
        assertTrue(p50 > 0 && p50 <= p99 && p99 <= max, json);
        assertTrue(json.contains("\"errors\":[]") && json.endsWith("\"ok\":true}"), json);
        assertEquals("", r.err());
    }

    @Test
    void qos2ToTwoSubscribersReceivesEveryMessageTwiceOverExactlyOnceEach() {
        Cli.Result r = Cli.run(Cli.args("bench", broker, "-q", "2", "-P", "2", "-S", "2", "--count", "300", "--payload", "100", "--json"));
        assertEquals(0, r.code(), r.toString());
        String json = r.outText();
        assertEquals(600, number(json, "sent"), json);
        assertEquals(600, number(json, "acknowledged"), json);
        assertEquals(1200, number(json, "received"), json);
        assertEquals(0, number(json, "lost"), json);
        assertEquals(0, number(json, "duplicates"), json);
    }

    @Test
    void theTextReportShowsTheCountsAndAVerdict() {
        Cli.Result r = Cli.run(Cli.args("bench", broker, "-q", "0", "--count", "200", "--rate", "2000"));
        assertEquals(0, r.code(), r.toString());
        String text = r.outText();
        assertTrue(text.startsWith("mote bench: 1 publisher -> mqtt://127.0.0.1:" + broker.port()
                + " -> 1 subscriber, QoS 0, 64-byte payloads, 200 messages each, at 2,000 msg/s each"), text);
        assertTrue(text.contains("sent   acknowledged       received       expected       lost duplicates"), text);
        assertTrue(text.contains("latency     p50 "), text);
        assertTrue(text.contains("\nOK"), text);
    }
}
