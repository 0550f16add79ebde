package dev.mote.mqtt.internal.codec;

/** CONNACK (section 3.2): session-present flag and return code (0 = accepted). */
public record Connack(boolean sessionPresent, int returnCode) implements Packet {
    @Override
    public int type() {
        return CONNACK;
    }
}
