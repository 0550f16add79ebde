package dev.mote.mqtt.internal.codec;

/** PUBACK (section 3.4): carries only a packet identifier. */
public record Puback(int packetId) implements Packet {
    @Override
    public int type() {
        return PUBACK;
    }
}
