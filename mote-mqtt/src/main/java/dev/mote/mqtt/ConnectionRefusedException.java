package dev.mote.mqtt;

/**
 * The broker answered CONNECT with a non-zero CONNACK return code (section 3.2.2.3).
 * Codes 1 to 5 have their own subclasses; a reserved code (6..255) is this class itself.
 */
public class ConnectionRefusedException extends MqttException {
    private final int returnCode;

    /** Creates the exception with its message; {@code returnCode} is the CONNACK code. */
    public ConnectionRefusedException(int returnCode, String message) {
        super(message);
        this.returnCode = returnCode;
    }

    /** The CONNACK return code. */
    public int returnCode() {
        return returnCode;
    }

    /** The exception for a CONNACK return code; {@code server} names the broker in the message. */
    public static ConnectionRefusedException forCode(int code, String server) {
        String prefix = "broker " + server + " refused the connection (CONNACK code " + code + "): ";
        return switch (code) {
            case 1 -> new UnacceptableProtocolVersionException(prefix
                    + "unacceptable protocol version, it does not speak MQTT 3.1.1");
            case 2 -> new IdentifierRejectedException(prefix
                    + "identifier rejected, the client id is not allowed");
            case 3 -> new ServerUnavailableException(prefix
                    + "server unavailable, the MQTT service is not available now");
            case 4 -> new BadUserNameOrPasswordException(prefix
                    + "bad user name or password");
            case 5 -> new NotAuthorizedException(prefix + "not authorized");
            default -> new ConnectionRefusedException(code, prefix
                    + "reserved return code, not defined by MQTT 3.1.1");
        };
    }
}
