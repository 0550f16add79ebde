package dev.mote.mqtt.internal.codec;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Writes MQTT 3.1.1 packets. Every check happens before the first byte is written, so a packet
 * that is rejected with {@link IllegalArgumentException} leaves the output buffer untouched.
 *
 * <p>Writes byte by byte rather than with {@code putShort}, so the buffer's byte order does not
 * matter.
 */
public final class PacketEncoder {

    /** The largest remaining length the four-byte variable length encoding can carry. */
    public static final int MAX_REMAINING_LENGTH = 268_435_455;

    private static final int CONNECT_VARIABLE_HEADER = 10;

    private PacketEncoder() {}

    /**
     * The total size of {@code p} on the wire: fixed header, remaining-length bytes and body.
     *
     * @throws IllegalArgumentException if {@code p} cannot be encoded
     */
    public static int encodedSize(Packet p) {
        int remaining = remainingLength(p);
        return 1 + varintSize(remaining) + remaining;
    }

    /** Encodes {@code p} into a new array of exactly its size. */
    public static byte[] encode(Packet p) {
        byte[] bytes = new byte[encodedSize(p)];
        encode(p, ByteBuffer.wrap(bytes));
        return bytes;
    }

    /**
     * Writes {@code p} at the buffer's position and advances past it.
     *
     * @throws IllegalArgumentException if {@code p} cannot be encoded (nothing is written)
     * @throws BufferOverflowException if {@code out} has fewer than {@link #encodedSize} bytes
     *     remaining (nothing is written)
     */
    public static void encode(Packet p, ByteBuffer out) {
        int remaining = remainingLength(p);
        if (out.remaining() < 1 + varintSize(remaining) + remaining) {
            throw new BufferOverflowException();
        }
        out.put((byte) fixedHeader(p));
        writeVarint(remaining, out);
        switch (p.type()) {
            case Packet.CONNECT -> writeConnect((Connect) p, out);
            case Packet.CONNACK -> {
                Connack c = (Connack) p;
                out.put((byte) (c.sessionPresent() ? 1 : 0));
                out.put((byte) c.returnCode());
            }
            case Packet.PUBLISH -> {
                Publish pub = (Publish) p;
                Utf8.writeValidated(pub.topic(), out);
                if (pub.qos() > 0) {
                    putU16(pub.packetId(), out);
                }
                out.put(pub.payload());
            }
            case Packet.PUBACK -> putU16(((Puback) p).packetId(), out);
            case Packet.PUBREC -> putU16(((Pubrec) p).packetId(), out);
            case Packet.PUBREL -> putU16(((Pubrel) p).packetId(), out);
            case Packet.PUBCOMP -> putU16(((Pubcomp) p).packetId(), out);
            case Packet.SUBSCRIBE -> {
                Subscribe s = (Subscribe) p;
                putU16(s.packetId(), out);
                List<Subscribe.Filter> filters = s.filters();
                for (int i = 0, n = filters.size(); i < n; i++) {
                    Subscribe.Filter f = filters.get(i);
                    Utf8.writeValidated(f.filter(), out);
                    out.put((byte) f.qos());
                }
            }
            case Packet.SUBACK -> {
                Suback s = (Suback) p;
                putU16(s.packetId(), out);
                for (int code : s.returnCodes()) {
                    out.put((byte) code);
                }
            }
            case Packet.UNSUBSCRIBE -> {
                Unsubscribe u = (Unsubscribe) p;
                putU16(u.packetId(), out);
                List<String> filters = u.filters();
                for (int i = 0, n = filters.size(); i < n; i++) {
                    Utf8.writeValidated(filters.get(i), out);
                }
            }
            case Packet.UNSUBACK -> putU16(((Unsuback) p).packetId(), out);
            default -> {
                // PINGREQ, PINGRESP, DISCONNECT: no body.
            }
        }
    }

    /** Table 2.2: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0010; PUBLISH its own flags. */
    private static int fixedHeader(Packet p) {
        int type = p.type();
        int flags = switch (type) {
            case Packet.PUBREL, Packet.SUBSCRIBE, Packet.UNSUBSCRIBE -> 0b0010;
            case Packet.PUBLISH -> {
                Publish pub = (Publish) p;
                yield (pub.dup() ? 0b1000 : 0) | pub.qos() << 1 | (pub.retain() ? 1 : 0);
            }
            default -> 0;
        };
        return type << 4 | flags;
    }

    /** Validates {@code p} and returns the length of everything after the fixed header. */
    private static int remainingLength(Packet p) {
        long length = switch (p.type()) {
            case Packet.CONNECT -> connectLength((Connect) p);
            case Packet.CONNACK -> {
                Connack c = (Connack) p;
                if (c.returnCode() < 0 || c.returnCode() > 255) {
                    throw new IllegalArgumentException(
                            "CONNACK return code " + c.returnCode() + " is not a byte");
                }
                yield 2;
            }
            case Packet.PUBLISH -> publishLength((Publish) p);
            case Packet.PUBACK -> idLength("PUBACK", ((Puback) p).packetId());
            case Packet.PUBREC -> idLength("PUBREC", ((Pubrec) p).packetId());
            case Packet.PUBREL -> idLength("PUBREL", ((Pubrel) p).packetId());
            case Packet.PUBCOMP -> idLength("PUBCOMP", ((Pubcomp) p).packetId());
            case Packet.SUBSCRIBE -> subscribeLength((Subscribe) p);
            case Packet.SUBACK -> subackLength((Suback) p);
            case Packet.UNSUBSCRIBE -> unsubscribeLength((Unsubscribe) p);
            case Packet.UNSUBACK -> idLength("UNSUBACK", ((Unsuback) p).packetId());
            case Packet.PINGREQ, Packet.PINGRESP, Packet.DISCONNECT -> 0;
            default -> throw new IllegalArgumentException("unknown packet type " + p.type());
        };
        if (length > MAX_REMAINING_LENGTH) {
            // The limit is on the remaining length, so that is the size reported.
            throw new IllegalArgumentException("packet of " + length
                    + " bytes exceeds the MQTT limit of " + MAX_REMAINING_LENGTH);
        }
        return (int) length;
    }

    private static long connectLength(Connect c) {
        if (c.protocolLevel() < 0 || c.protocolLevel() > 255) {
            throw new IllegalArgumentException(
                    "CONNECT protocol level " + c.protocolLevel() + " is not a byte");
        }
        if (c.keepAliveSeconds() < 0 || c.keepAliveSeconds() > 65535) {
            throw new IllegalArgumentException("CONNECT keep alive " + c.keepAliveSeconds()
                    + " is outside 0..65535 seconds");
        }
        int clientIdLength = Utf8.utf8Length(c.clientId(), "client id");
        if (clientIdLength == 0 && !c.cleanSession()) {
            throw new IllegalArgumentException(
                    "an empty client id needs cleanSession=true [MQTT-3.1.3-7]");
        }
        long length = CONNECT_VARIABLE_HEADER + 2 + clientIdLength;
        if (c.willTopic() != null) {
            if (c.willQos() < 0 || c.willQos() > 2) {
                throw new IllegalArgumentException(
                        "CONNECT will QoS " + c.willQos() + " is outside 0..2");
            }
            if (c.willPayload() == null) {
                throw new IllegalArgumentException("CONNECT has a will topic but no will payload");
            }
            length += 2 + Utf8.utf8Length(c.willTopic(), "will topic");
            length += 2 + binaryLength(c.willPayload(), "will payload");
        } else if (c.willQos() != 0 || c.willRetain() || c.willPayload() != null) {
            // [MQTT-3.1.2-13], [MQTT-3.1.2-15]: no will, so no will QoS or retain either.
            throw new IllegalArgumentException(
                    "CONNECT has will QoS, retain or payload but no will topic");
        }
        if (c.username() != null) {
            length += 2 + Utf8.utf8Length(c.username(), "user name");
        }
        if (c.password() != null) {
            if (c.username() == null) {
                throw new IllegalArgumentException(
                        "CONNECT has a password without a user name [MQTT-3.1.2-22]");
            }
            length += 2 + binaryLength(c.password(), "password");
        }
        return length;
    }

    private static int binaryLength(byte[] data, String what) {
        if (data.length > Utf8.MAX_BYTES) {
            throw new IllegalArgumentException(
                    what + " is " + data.length + " bytes, the limit is " + Utf8.MAX_BYTES);
        }
        return data.length;
    }

    private static void writeConnect(Connect c, ByteBuffer out) {
        out.put((byte) 0).put((byte) 4).put((byte) 'M').put((byte) 'Q').put((byte) 'T').put((byte) 'T');
        out.put((byte) c.protocolLevel());
        int flags = c.cleanSession() ? 0x02 : 0;
        if (c.willTopic() != null) {
            flags |= 0x04 | c.willQos() << 3 | (c.willRetain() ? 0x20 : 0);
        }
        if (c.password() != null) {
            flags |= 0x40;
        }
        if (c.username() != null) {
            flags |= 0x80;
        }
        out.put((byte) flags);
        putU16(c.keepAliveSeconds(), out);
        Utf8.writeValidated(c.clientId(), out);
        if (c.willTopic() != null) {
            Utf8.writeValidated(c.willTopic(), out);
            putU16(c.willPayload().length, out);
            out.put(c.willPayload());
        }
        if (c.username() != null) {
            Utf8.writeValidated(c.username(), out);
        }
        if (c.password() != null) {
            putU16(c.password().length, out);
            out.put(c.password());
        }
    }

    private static long publishLength(Publish p) {
        int qos = p.qos();
        if (qos == 0) {
            if (p.packetId() != 0) {
                throw new IllegalArgumentException(
                        "PUBLISH with QoS 0 must have packet id 0, not " + p.packetId());
            }
            if (p.dup()) {
                throw new IllegalArgumentException("PUBLISH with QoS 0 cannot set DUP [MQTT-3.3.1-2]");
            }
        } else if (qos == 1 || qos == 2) {
            checkId("PUBLISH", p.packetId());
        } else {
            throw new IllegalArgumentException("PUBLISH QoS " + qos + " is outside 0..2");
        }
        return 2L + Utf8.utf8Length(p.topic(), "topic") + (qos > 0 ? 2 : 0) + p.payload().length;
    }

    private static long subscribeLength(Subscribe s) {
        checkId("SUBSCRIBE", s.packetId());
        List<Subscribe.Filter> filters = s.filters();
        int n = filters.size();
        if (n == 0) {
            throw new IllegalArgumentException("SUBSCRIBE needs at least one topic filter [MQTT-3.8.3-3]");
        }
        long length = 2;
        for (int i = 0; i < n; i++) {
            Subscribe.Filter f = filters.get(i);
            if (f.qos() < 0 || f.qos() > 2) {
                throw new IllegalArgumentException("SUBSCRIBE requested QoS " + f.qos()
                        + " for " + f.filter() + " is outside 0..2");
            }
            length += 3 + Utf8.utf8Length(f.filter(), "topic filter");
        }
        return length;
    }

    private static long subackLength(Suback s) {
        checkId("SUBACK", s.packetId());
        int[] codes = s.returnCodes();
        if (codes.length == 0) {
            throw new IllegalArgumentException("SUBACK needs at least one return code");
        }
        for (int code : codes) {
            if (code != 0 && code != 1 && code != 2 && code != Suback.FAILURE) {
                throw new IllegalArgumentException(
                        "SUBACK return code " + code + " is not 0, 1, 2 or 0x80");
            }
        }
        return 2L + codes.length;
    }

    private static long unsubscribeLength(Unsubscribe u) {
        checkId("UNSUBSCRIBE", u.packetId());
        List<String> filters = u.filters();
        int n = filters.size();
        if (n == 0) {
            throw new IllegalArgumentException(
                    "UNSUBSCRIBE needs at least one topic filter [MQTT-3.10.3-2]");
        }
        long length = 2;
        for (int i = 0; i < n; i++) {
            length += 2 + Utf8.utf8Length(filters.get(i), "topic filter");
        }
        return length;
    }

    private static int idLength(String packet, int packetId) {
        checkId(packet, packetId);
        return 2;
    }

    private static void checkId(String packet, int packetId) {
        if (packetId < 1 || packetId > 65535) {
            throw new IllegalArgumentException(
                    packet + " packet id " + packetId + " is outside 1..65535");
        }
    }

    private static void putU16(int value, ByteBuffer out) {
        out.put((byte) (value >>> 8));
        out.put((byte) value);
    }

    /** Bytes the variable length encoding (section 2.2.3) needs for {@code value}. */
    static int varintSize(int value) {
        if (value < 0 || value > MAX_REMAINING_LENGTH) {
            throw new IllegalArgumentException(
                    "remaining length " + value + " is outside 0.." + MAX_REMAINING_LENGTH);
        }
        return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
    }

    /** Writes {@code value} in the variable length encoding of section 2.2.3. */
    static void writeVarint(int value, ByteBuffer out) {
        varintSize(value);
        do {
            int digit = value & 0x7F;
            value >>>= 7;
            out.put((byte) (value > 0 ? digit | 0x80 : digit));
        } while (value > 0);
    }
}
