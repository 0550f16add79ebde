package dev.mote.mqtt.internal.session;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of {@link Session} with Jazzer: programs of client commands and broker
 * packets; see {@link SessionHarness} for the program format and what is checked.
 *
 * <p>Without {@code JAZZER_FUZZ} this replays the seed programs and every finding kept in
 * {@code src/test/resources/dev/mote/mqtt/internal/session/SessionFuzzTestInputs/run/}. With it
 * (the {@code fuzz-session} execution of this module's build), it fuzzes for
 * {@code -Dfuzz.seconds} (20 s by default); see docs/hardening.md.
 */
class SessionFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void run(byte[] program) {
        SessionHarness.run(program);
    }
}
