package dev.mote.mqtt.internal.codec;

/** PUBREL (section 3.6): carries only a packet identifier. */
public record Pubrel(int packetId) implements Packet {
    @Override
    public int type() {
        return PUBREL;
    }
}
