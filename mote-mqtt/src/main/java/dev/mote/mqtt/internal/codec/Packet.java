package dev.mote.mqtt.internal.codec;

/**
 * One MQTT control packet, as the codec reads and writes it. Packets are plain values with no
 * behaviour; protocol rules about which packet may come when live in the session.
 *
 * <p>MQTT 5 will add properties and reason codes; they will be new components of these records
 * (or new records), so the set stays one sealed family.
 */
public sealed interface Packet
        permits Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe, Suback,
                Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect {

    int CONNECT = 1;
    int CONNACK = 2;
    int PUBLISH = 3;
    int PUBACK = 4;
    int PUBREC = 5;
    int PUBREL = 6;
    int PUBCOMP = 7;
    int SUBSCRIBE = 8;
    int SUBACK = 9;
    int UNSUBSCRIBE = 10;
    int UNSUBACK = 11;
    int PINGREQ = 12;
    int PINGRESP = 13;
    int DISCONNECT = 14;

    /** The packet type, 1..14, as in the high nibble of the fixed header. */
    int type();

    /** The packet type's name as the specification spells it, for error messages. */
    static String name(int type) {
        return switch (type) {
            case CONNECT -> "CONNECT";
            case CONNACK -> "CONNACK";
            case PUBLISH -> "PUBLISH";
            case PUBACK -> "PUBACK";
            case PUBREC -> "PUBREC";
            case PUBREL -> "PUBREL";
            case PUBCOMP -> "PUBCOMP";
            case SUBSCRIBE -> "SUBSCRIBE";
            case SUBACK -> "SUBACK";
            case UNSUBSCRIBE -> "UNSUBSCRIBE";
            case UNSUBACK -> "UNSUBACK";
            case PINGREQ -> "PINGREQ";
            case PINGRESP -> "PINGRESP";
            case DISCONNECT -> "DISCONNECT";
            default -> "type " + type;
        };
    }
}
