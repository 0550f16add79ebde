package dev.mote.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.Qos;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigTest {

    @Test
    void defaultsAndOptions() {
        assertEquals(Config.DEFAULTS, Config.parse());
        assertEquals(new Config(9, Duration.ofMillis(2500), 0, 128, 100),
                Config.parse("--devices", "9", "--duration=2.5", "--payload", "128", "--rate", "100"));
        assertEquals(7, Config.parse("--count", "7").count());
        assertNull(Config.parse("--devices", "3", "--help"));
    }

    @Test
    void devicesStayAFewMessagesAheadOfTheConsumer() {
        assertEquals(50, Config.DEFAULTS.lead(Qos.AT_MOST_ONCE));
        assertEquals(2, Config.DEFAULTS.lead(Qos.EXACTLY_ONCE));
        Config big = Config.parse("--payload", "4096");     // 6 x 4 KiB: 2 each stays within 48 KiB
        assertEquals(2, big.lead(Qos.AT_MOST_ONCE));
        Config huge = Config.parse("--payload", "200000");  // never less than 1
        assertEquals(1, huge.lead(Qos.AT_MOST_ONCE));
        assertEquals(1, huge.lead(Qos.AT_LEAST_ONCE));
    }

    @Test
    void badArgumentsSayWhatIsWrong() {
        assertMessage("unknown option '--bogus'", "--bogus");
        assertMessage("--devices needs a value", "--devices");
        assertMessage("--devices needs a whole number, not 'x'", "--devices", "x");
        assertMessage("--devices must be from 1 to 1000", "--devices", "0");
        assertMessage("--duration must be more than 0", "--duration", "-1");
        assertMessage("--count must be at least 1", "--count", "0");
        assertMessage("--payload must be from 20", "--payload", "19");
        assertMessage("--rate must be from 0", "--rate", "-5");
    }

    @Test
    void latencyPercentilesStayWithinABucket() {
        LatencyHistogram h = new LatencyHistogram();
        for (long v = 1; v <= 100_000; v++) {
            h.record(v * 1000);
        }
        assertEquals(100_000, h.count());
        assertEquals(100_000_000, h.max());
        long p50 = h.percentile(0.5);
        assertTrue(p50 >= 50_000_000 && p50 <= 50_000_000 * 1.04, "p50 " + p50);
        assertEquals(h.max(), h.percentile(1.0));
        assertEquals(0, new LatencyHistogram().percentile(0.99));
    }

    private static void assertMessage(String expected, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Config.parse(args));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
