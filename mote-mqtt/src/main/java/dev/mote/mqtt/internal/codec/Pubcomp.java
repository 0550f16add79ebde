package dev.mote.mqtt.internal.codec;

/** PUBCOMP (section 3.7): carries only a packet identifier. */
public record Pubcomp(int packetId) implements Packet {
    @Override
    public int type() {
        return PUBCOMP;
    }
}
