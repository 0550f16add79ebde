package dev.mote.mqtt;

/** CONNACK return code 4: the user name or password is malformed or wrong. */
public final class BadUserNameOrPasswordException extends ConnectionRefusedException {
    /** Creates the exception with its message. */
    public BadUserNameOrPasswordException(String message) {
        super(4, message);
    }
}
