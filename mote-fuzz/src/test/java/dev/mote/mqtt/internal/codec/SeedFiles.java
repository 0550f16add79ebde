package dev.mote.mqtt.internal.codec;

import java.util.Map;

/** Where the seed corpora live, and what is in them (the generators are package-private). */
public final class SeedFiles {
    public static final String DECODER_DIR = "dev/mote/mqtt/internal/codec/PacketDecoderFuzzTestInputs/decode";
    public static final String SESSION_DIR = "dev/mote/mqtt/internal/session/SessionFuzzTestInputs/run";

    private SeedFiles() {}

    public static Map<String, byte[]> decoder() {
        return DecoderSeeds.all();
    }

    public static Map<String, byte[]> session() {
        return dev.mote.mqtt.internal.session.SessionSeeds.all();
    }
}
