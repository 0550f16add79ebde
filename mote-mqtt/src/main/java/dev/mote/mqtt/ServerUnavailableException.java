package dev.mote.mqtt;

/** CONNACK return code 3: the network connection was made but the MQTT service is unavailable. */
public final class ServerUnavailableException extends ConnectionRefusedException {
    /** Creates the exception with its message. */
    public ServerUnavailableException(String message) {
        super(3, message);
    }
}
