package dev.mote.mqtt.internal.codec;

/** UNSUBACK (section 3.11): carries only a packet identifier. */
public record Unsuback(int packetId) implements Packet {
    @Override
    public int type() {
        return UNSUBACK;
    }
}
