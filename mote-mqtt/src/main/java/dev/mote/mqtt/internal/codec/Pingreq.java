package dev.mote.mqtt.internal.codec;

/** PINGREQ (section 3.12): a fixed header with no body. Use {@link #INSTANCE}. */
public record Pingreq() implements Packet {
    public static final Pingreq INSTANCE = new Pingreq();

    @Override
    public int type() {
        return PINGREQ;
    }
}
