package dev.mote.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PublishThrottleTest {

    @Test
    void aBurstThenWaitsForTokensAtTheRate() throws InterruptedException {
        PublishThrottle t = PublishThrottle.of(100, 5, Duration.ofSeconds(60));
        for (int i = 0; i < 5; i++) {
            assertTrue(t.tryAcquire(), "the burst is there at once");
        }
        assertFalse(t.tryAcquire(), "then the bucket is empty");
        long start = System.nanoTime();
        for (int i = 0; i < 30; i++) {
            t.acquire();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        // 30 tokens at 100/s take 300 ms; generous bounds for a shared machine.
        assertTrue(ms >= 270, "30 tokens at 100/s took only " + ms + " ms");
        assertTrue(ms < 3000, "30 tokens at 100/s took " + ms + " ms");
    }

    @Test
    void tightenedThenRelaxesBackToTheNormalRate() {
        PublishThrottle t = PublishThrottle.of(1000, 10, Duration.ofMillis(300));
        assertEquals(1000, t.currentRate());
        t.tighten(10);
        double right = t.currentRate();
        assertTrue(right < 100, "tightened to " + right);
        t.tighten(500); // looser than now: ignored
        assertTrue(t.currentRate() < 200, "a looser tightening is ignored: " + t.currentRate());
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        double last = right;
        while (t.currentRate() < 1000 && System.nanoTime() < deadline) {
            double now = t.currentRate();
            assertTrue(now >= last, "the rate only climbs while relaxing: " + last + " then " + now);
            last = now;
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000); // polls a clock-driven value
        }
        assertEquals(1000, t.currentRate(), "back at the normal rate after the relax period");
    }

    @Test
    void aTightenedRateSlowsAcquire() throws InterruptedException {
        PublishThrottle t = PublishThrottle.of(100, 1, Duration.ofSeconds(60));
        t.tighten(10);
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            t.acquire();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        // One token in the bucket, then 4 at about 10/s (rising by 1.5/s each second): about 390 ms.
        assertTrue(ms >= 300, "5 tokens at about 10/s took only " + ms + " ms");
        t.relax();
        assertEquals(100, t.currentRate());
    }

    @Test
    void badParametersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PublishThrottle.perSecond(0));
        assertThrows(IllegalArgumentException.class, () -> PublishThrottle.of(10, 0, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> PublishThrottle.of(10, 1, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> PublishThrottle.perSecond(5).tighten(-1));
    }
}
