package dev.mote.mqtt;

/** CONNACK return code 1: the broker does not accept MQTT 3.1.1 (protocol level 4). */
public final class UnacceptableProtocolVersionException extends ConnectionRefusedException {
    /** Creates the exception with its message. */
    public UnacceptableProtocolVersionException(String message) {
        super(1, message);
    }
}
