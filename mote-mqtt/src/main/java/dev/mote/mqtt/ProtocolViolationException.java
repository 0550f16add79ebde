package dev.mote.mqtt;

/**
 * The broker broke the MQTT protocol (a malformed packet, a packet it may not send, an
 * acknowledgement for an id this client never used...). The connection was closed; the message
 * says what the broker did.
 */
public final class ProtocolViolationException extends MqttException {
    /** Creates the exception with its message. */
    public ProtocolViolationException(String message) {
        super(message);
    }
}
