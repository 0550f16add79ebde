package dev.mote.mqtt.internal.codec;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of {@link PacketDecoder} with Jazzer: arbitrary bytes, whole and split,
 * against several maximum packet sizes; see {@link DecoderHarness} for what is checked.
 *
 * <p>Without {@code JAZZER_FUZZ} this replays the seed corpus and every finding kept in
 * {@code src/test/resources/dev/mote/mqtt/internal/codec/PacketDecoderFuzzTestInputs/decode/}.
 * With it (the {@code fuzz-decoder} execution of this module's build), it fuzzes for
 * {@code -Dfuzz.seconds} (20 s by default); see docs/hardening.md.
 */
class PacketDecoderFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void decode(byte[] data) {
        DecoderHarness.check(data);
    }
}
