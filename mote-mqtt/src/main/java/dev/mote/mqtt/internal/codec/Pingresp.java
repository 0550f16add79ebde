package dev.mote.mqtt.internal.codec;

/** PINGRESP (section 3.13): a fixed header with no body. Use {@link #INSTANCE}. */
public record Pingresp() implements Packet {
    public static final Pingresp INSTANCE = new Pingresp();

    @Override
    public int type() {
        return PINGRESP;
    }
}
