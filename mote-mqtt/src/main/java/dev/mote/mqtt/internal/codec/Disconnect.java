package dev.mote.mqtt.internal.codec;

/** DISCONNECT (section 3.14): a fixed header with no body. Use {@link #INSTANCE}. */
public record Disconnect() implements Packet {
    public static final Disconnect INSTANCE = new Disconnect();

    @Override
    public int type() {
        return DISCONNECT;
    }
}
