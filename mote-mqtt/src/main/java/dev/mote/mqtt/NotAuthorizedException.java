package dev.mote.mqtt;

/** CONNACK return code 5: the client is not authorized to connect. */
public final class NotAuthorizedException extends ConnectionRefusedException {
    /** Creates the exception with its message. */
    public NotAuthorizedException(String message) {
        super(5, message);
    }
}
