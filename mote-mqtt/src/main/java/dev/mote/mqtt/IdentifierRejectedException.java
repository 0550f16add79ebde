package dev.mote.mqtt;

/** CONNACK return code 2: the broker does not allow the client id. */
public final class IdentifierRejectedException extends ConnectionRefusedException {
    /** Creates the exception with its message. */
    public IdentifierRejectedException(String message) {
        super(2, message);
    }
}
