package dev.mote.mqtt;

/** The client was closed, by {@link MqttClient#close()} or after a fatal error named in the cause. */
public final class ClientClosedException extends MqttException {
    public ClientClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
