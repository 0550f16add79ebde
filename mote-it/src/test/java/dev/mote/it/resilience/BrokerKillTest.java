package dev.mote.it.resilience;

import dev.mote.it.broker.MosquittoBroker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.mqtt.Qos;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a SIGKILL of the broker costs, measured rather than asserted: Mosquitto writes its
 * persistence file every {@code autosave_interval} seconds and on a clean exit, so a killed broker
 * forgets what it acknowledged since the last save, including the sessions themselves if it never
 * saved. That is broker loss, not client loss; the client can only resend what the broker has not
 * acknowledged. The runs print their counts; the only assertion is that the clients got every
 * message acknowledged in the end (nothing hangs, nothing fails).
 *
 * <p>Two configurations: Mosquitto's defaults ({@code autosave_interval 1800}) and
 * {@code autosave_on_changes true} with {@code autosave_interval 1} (save after every change).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BrokerKillTest {
    static final int MESSAGES = 10_000;

    @BeforeAll
    static void needMosquitto() {
        assumeTrue(MosquittoBroker.isAvailable(), MosquittoBroker.MISSING);
    }

    @Test
    @DisplayName("SIGKILL restarts with Mosquitto's default autosave (measured: the broker loses what it had not saved)")
    void defaultAutosave() throws Exception {
        ChaosRun.Result r = ChaosRun.run(new ChaosRun.Config("kill-default-autosave", Qos.AT_LEAST_ONCE, MESSAGES,
                Integer.MAX_VALUE, 3, true, false, List.of()));
        assertEquals(MESSAGES, r.acknowledged(), r.toString());
    }

    @Test
    @DisplayName("SIGKILL restarts with autosave_on_changes true, autosave_interval 1, QoS 2 (measured)")
    void saveOnEveryChangeQos2() throws Exception {
        // Saving after every change makes Mosquitto slow (10,000 QoS 2 messages took 47 s here, about 6 ms a message), so fewer.
        ChaosRun.Result r = ChaosRun.run(new ChaosRun.Config("kill-autosave-on-changes", Qos.EXACTLY_ONCE, MESSAGES / 5,
                Integer.MAX_VALUE, 3, true, false, List.of("autosave_on_changes true", "autosave_interval 1")));
        assertEquals(MESSAGES / 5, r.acknowledged(), r.toString());
    }
}
