package dev.mote.mqtt.internal.codec;

/**
 * The bytes read are not a valid MQTT 3.1.1 packet, or break a limit (maximum packet size).
 * The message says what was wrong, in terms a broker operator can act on.
 */
public final class MalformedPacketException extends Exception {
    public MalformedPacketException(String message) {
        super(message);
    }
}
