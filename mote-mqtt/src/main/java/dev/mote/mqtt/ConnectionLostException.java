package dev.mote.mqtt;

/**
 * The connection ended while the operation was pending: an I/O error, the broker closing it, or
 * no PINGRESP within the keep-alive deadline. The cause, when there is one, tells which.
 */
public final class ConnectionLostException extends MqttException {
    /** Creates the exception with its message and cause. */
    public ConnectionLostException(String message, Throwable cause) {
        super(message, cause);
    }
}
