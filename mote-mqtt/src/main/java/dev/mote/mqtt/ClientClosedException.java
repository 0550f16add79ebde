package dev.mote.mqtt;

/** The client was closed, by {@link MqttClient#close()} or after a fatal error named in the cause. */
public final class ClientClosedException extends MqttException {
    /** Creates the exception with its message and cause. */
    public ClientClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
