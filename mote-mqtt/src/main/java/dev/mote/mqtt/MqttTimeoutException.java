package dev.mote.mqtt;

/**
 * A blocking call waited as long as it was allowed to. The operation itself is not cancelled:
 * a publish may still be acknowledged later, and its {@link Delivery} will say so.
 */
public final class MqttTimeoutException extends MqttException {
    /** Creates the exception with its message. */
    public MqttTimeoutException(String message) {
        super(message);
    }
}
