package dev.mote.mqtt;

/**
 * Base of every failure Mote reports. Unchecked, so blocking code on virtual threads stays plain;
 * the subclass and the message say what happened. Invalid arguments are reported separately as
 * {@link IllegalArgumentException}, at the call that passed them.
 */
public class MqttException extends RuntimeException {
    /** Creates the exception with its message. */
    public MqttException(String message) {
        super(message);
    }

    /** Creates the exception with its message and cause. */
    public MqttException(String message, Throwable cause) {
        super(message, cause);
    }
}
