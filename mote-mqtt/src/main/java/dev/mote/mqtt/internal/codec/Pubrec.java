package dev.mote.mqtt.internal.codec;

/** PUBREC (section 3.5): carries only a packet identifier. */
public record Pubrec(int packetId) implements Packet {
    @Override
    public int type() {
        return PUBREC;
    }
}
