package dev.mote.mqtt.internal.codec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads MQTT 3.1.1 packets from a byte stream, one connection per instance. Not thread-safe.
 *
 * <p>{@link #decode} takes whatever bytes have arrived. A packet that is wholly in the caller's
 * buffer is decoded straight from it; a packet split across reads is gathered in an internal
 * array that grows only as bytes arrive, so a peer that announces a huge packet and sends little
 * costs little.
 *
 * <p>After a {@link MalformedPacketException} the stream is out of step and the connection must
 * be closed; the decoder must not be used again.
 */
public final class PacketDecoder {

    /** First size of the accumulator; most split packets are small. */
    private static final int INITIAL_CAPACITY = 256;
    /** Accumulators up to this size are kept for the next split packet; larger ones are dropped. */
    private static final int RETAINED_CAPACITY = 16 * 1024;

    private final int maxPacketSize;

    /** The fixed header's first byte, or -1 before it has been read. */
    private int header = -1;
    /** Remaining length gathered so far. */
    private int remainingLength;
    /** Remaining-length bytes read so far; 0 before the first. */
    private int lengthBytes;
    /** Whether the fixed header is complete. */
    private boolean headerDone;

    /** Body bytes of a split packet, gathered across calls. */
    private byte[] body;
    private int bodyLength;
    /** A view of {@link #body} to decode from, kept while the array is. */
    private ByteBuffer bodyView;

    /**
     * @param maxPacketSize the largest packet, fixed header included, that {@link #decode}
     *     accepts; at least 2
     */
    public PacketDecoder(int maxPacketSize) {
        if (maxPacketSize < 2) {
            throw new IllegalArgumentException(
                    "maximum packet size " + maxPacketSize + " is below the 2-byte minimum");
        }
        this.maxPacketSize = maxPacketSize;
    }

    /**
     * Decodes the next packet from {@code in} (in read mode) and advances past it.
     *
     * <p>Returns {@code null} if {@code in} ends before the packet does; the bytes read are then
     * kept here, so the caller may reuse its buffer and call again when more arrive. When
     * {@code in} holds several packets, call until {@code null} is returned.
     *
     * @throws MalformedPacketException if the bytes break MQTT 3.1.1 or the packet is larger
     *     than the maximum packet size (detected as soon as its length is known)
     */
    public Packet decode(ByteBuffer in) throws MalformedPacketException {
        if (!headerDone && !readFixedHeader(in)) {
            return null;
        }
        int length = remainingLength;
        if (bodyLength == 0 && in.remaining() >= length) {
            int first = header;
            resetHeader();
            return decodeInPlace(first, length, in);
        }
        return accumulate(in, length);
    }

    /** Whether some bytes of a packet have been read but not the whole packet. */
    public boolean hasPartialPacket() {
        return header >= 0;
    }

    /** Capacity of the accumulator for split packets, for tests of memory use. */
    int bufferedCapacity() {
        return body == null ? 0 : body.length;
    }

    /** Reads the fixed header as far as {@code in} goes; true once it is complete. */
    private boolean readFixedHeader(ByteBuffer in) throws MalformedPacketException {
        if (header < 0) {
            if (!in.hasRemaining()) {
                return false;
            }
            int first = in.get() & 0xFF;
            checkTypeAndFlags(first);
            header = first;
        }
        while (in.hasRemaining()) {
            int b = in.get();
            remainingLength |= (b & 0x7F) << 7 * lengthBytes;
            lengthBytes++;
            if ((b & 0x80) == 0) {
                headerDone = true;
                checkLength(header >>> 4, remainingLength, lengthBytes);
                return true;
            }
            if (lengthBytes == 4) {
                throw new MalformedPacketException("remaining length longer than 4 bytes");
            }
        }
        return false;
    }

    /** Table 2.2 and the PUBLISH flag rules of section 3.3.1. */
    private static void checkTypeAndFlags(int first) throws MalformedPacketException {
        int type = first >>> 4;
        int flags = first & 0x0F;
        if (type == 0 || type == 15) {
            throw new MalformedPacketException("reserved packet type " + type);
        }
        if (type == Packet.PUBLISH) {
            int qos = flags >>> 1 & 3;
            if (qos == 3) {
                throw new MalformedPacketException("PUBLISH with QoS 3");
            }
            if (qos == 0 && (flags & 0b1000) != 0) {
                throw new MalformedPacketException("PUBLISH with QoS 0 has DUP set [MQTT-3.3.1-2]");
            }
            return;
        }
        int expected = type == Packet.PUBREL || type == Packet.SUBSCRIBE || type == Packet.UNSUBSCRIBE
                ? 0b0010 : 0;
        if (flags != expected) {
            throw new MalformedPacketException(Packet.name(type) + " with fixed-header flags "
                    + bits(flags) + ", expected " + bits(expected));
        }
    }

    private static String bits(int nibble) {
        return new String(new char[] {
                (char) ('0' + (nibble >>> 3 & 1)), (char) ('0' + (nibble >>> 2 & 1)),
                (char) ('0' + (nibble >>> 1 & 1)), (char) ('0' + (nibble & 1))});
    }

    /** Size limit and the fixed body sizes, checked before any of the body is read. */
    private void checkLength(int type, int length, int lengthBytesUsed)
            throws MalformedPacketException {
        long total = 1L + lengthBytesUsed + length;
        if (total > maxPacketSize) {
            throw new MalformedPacketException("packet of " + total
                    + " bytes exceeds the maximum packet size of " + maxPacketSize);
        }
        int expected = switch (type) {
            case Packet.CONNACK, Packet.PUBACK, Packet.PUBREC, Packet.PUBREL, Packet.PUBCOMP,
                    Packet.UNSUBACK -> 2;
            case Packet.PINGREQ, Packet.PINGRESP, Packet.DISCONNECT -> 0;
            default -> -1;
        };
        if (expected >= 0 && length != expected) {
            throw new MalformedPacketException(Packet.name(type) + " with remaining length "
                    + length + ", expected " + expected);
        }
    }

    private void resetHeader() {
        header = -1;
        remainingLength = 0;
        lengthBytes = 0;
        headerDone = false;
    }

    /** Decodes a body that is wholly in {@code in}, bounding reads to it with the limit. */
    private static Packet decodeInPlace(int first, int length, ByteBuffer in)
            throws MalformedPacketException {
        int end = in.position() + length;
        int limit = in.limit();
        in.limit(end);
        try {
            return decodeBody(first, in);
        } finally {
            in.limit(limit);
        }
    }

    /** Gathers body bytes of a packet that did not arrive in one piece. */
    private Packet accumulate(ByteBuffer in, int length) throws MalformedPacketException {
        int take = Math.min(in.remaining(), length - bodyLength);
        if (take == 0) {
            return null;
        }
        int needed = bodyLength + take;
        if (body == null || body.length < needed) {
            grow(needed, length);
        }
        in.get(body, bodyLength, take);
        bodyLength = needed;
        if (bodyLength < length) {
            return null;
        }
        int first = header;
        resetHeader();
        ByteBuffer view = bodyView;
        view.limit(length).position(0);
        bodyLength = 0;
        Packet p = decodeBody(first, view);
        if (body.length > RETAINED_CAPACITY) {
            body = null;
            bodyView = null;
        }
        return p;
    }

    /** Doubles from a small size, never beyond the declared length or what has arrived. */
    private void grow(int needed, int length) {
        int capacity = body == null ? INITIAL_CAPACITY : body.length;
        while (capacity < needed) {
            capacity = capacity > Integer.MAX_VALUE / 2 ? Integer.MAX_VALUE : capacity * 2;
        }
        // Not below the initial size even for tiny packets, so a kept array stays useful; but
        // never above the maximum packet size, which may be smaller than that.
        int floor = Math.min(INITIAL_CAPACITY, maxPacketSize);
        capacity = Math.max(needed, Math.min(capacity, Math.max(length, floor)));
        byte[] bigger = new byte[capacity];
        if (bodyLength > 0) {
            System.arraycopy(body, 0, bigger, 0, bodyLength);
        }
        body = bigger;
        bodyView = ByteBuffer.wrap(bigger);
    }

    /** Decodes the body between {@code b}'s position and limit, which is exactly one body. */
    private static Packet decodeBody(int first, ByteBuffer b) throws MalformedPacketException {
        int type = first >>> 4;
        Packet p = switch (type) {
            case Packet.PUBLISH -> decodePublish(first, b);
            case Packet.PUBACK -> new Puback(readId(b, "PUBACK"));
            case Packet.PUBREC -> new Pubrec(readId(b, "PUBREC"));
            case Packet.PUBREL -> new Pubrel(readId(b, "PUBREL"));
            case Packet.PUBCOMP -> new Pubcomp(readId(b, "PUBCOMP"));
            case Packet.CONNECT -> decodeConnect(b);
            case Packet.CONNACK -> decodeConnack(b);
            case Packet.SUBSCRIBE -> decodeSubscribe(b);
            case Packet.SUBACK -> decodeSuback(b);
            case Packet.UNSUBSCRIBE -> decodeUnsubscribe(b);
            case Packet.UNSUBACK -> new Unsuback(readId(b, "UNSUBACK"));
            case Packet.PINGREQ -> Pingreq.INSTANCE;
            case Packet.PINGRESP -> Pingresp.INSTANCE;
            case Packet.DISCONNECT -> Disconnect.INSTANCE;
            default -> throw new MalformedPacketException("reserved packet type " + type);
        };
        if (b.hasRemaining()) {
            throw new MalformedPacketException(Packet.name(type) + " has " + b.remaining()
                    + " bytes left over after its last field");
        }
        return p;
    }

    private static Publish decodePublish(int first, ByteBuffer b) throws MalformedPacketException {
        int qos = first >>> 1 & 3;
        String topic = Utf8.read(b, "PUBLISH topic");
        int id = 0;
        if (qos > 0) {
            id = readId(b, "PUBLISH");
        }
        byte[] payload = new byte[b.remaining()];
        b.get(payload);
        return new Publish(topic, payload, qos, (first & 1) != 0, (first & 0b1000) != 0, id);
    }

    private static Connect decodeConnect(ByteBuffer b) throws MalformedPacketException {
        String protocol = Utf8.read(b, "CONNECT protocol name");
        if (!protocol.equals("MQTT")) {
            throw new MalformedPacketException(
                    "CONNECT protocol name \"" + protocol + "\", expected \"MQTT\"");
        }
        int level = readByte(b, "CONNECT", "protocol level");
        int flags = readByte(b, "CONNECT", "connect flags");
        if ((flags & 1) != 0) {
            throw new MalformedPacketException("CONNECT with reserved flag bit 0 set [MQTT-3.1.2-3]");
        }
        boolean will = (flags & 0x04) != 0;
        int willQos = flags >>> 3 & 3;
        boolean willRetain = (flags & 0x20) != 0;
        if (willQos == 3) {
            throw new MalformedPacketException("CONNECT with will QoS 3 [MQTT-3.1.2-14]");
        }
        if (!will && (willQos != 0 || willRetain)) {
            throw new MalformedPacketException(
                    "CONNECT with will QoS or will retain but no will flag [MQTT-3.1.2-13, -15]");
        }
        boolean hasUser = (flags & 0x80) != 0;
        boolean hasPassword = (flags & 0x40) != 0;
        if (hasPassword && !hasUser) {
            throw new MalformedPacketException(
                    "CONNECT with password flag but no user name flag [MQTT-3.1.2-22]");
        }
        int keepAlive = readU16(b, "CONNECT", "keep alive");
        String clientId = Utf8.read(b, "CONNECT client id");
        String willTopic = null;
        byte[] willPayload = null;
        if (will) {
            willTopic = Utf8.read(b, "CONNECT will topic");
            willPayload = readBinary(b, "CONNECT", "will message");
        }
        String username = hasUser ? Utf8.read(b, "CONNECT user name") : null;
        byte[] password = hasPassword ? readBinary(b, "CONNECT", "password") : null;
        return new Connect(level, clientId, (flags & 0x02) != 0, keepAlive, willTopic, willPayload,
                willQos, willRetain, username, password);
    }

    private static Connack decodeConnack(ByteBuffer b) throws MalformedPacketException {
        int ackFlags = readByte(b, "CONNACK", "acknowledge flags");
        if ((ackFlags & 0xFE) != 0) {
            throw new MalformedPacketException("CONNACK acknowledge flags 0x"
                    + Integer.toHexString(ackFlags) + " set reserved bits 7..1 [MQTT-3.2.2-1]");
        }
        int returnCode = readByte(b, "CONNACK", "return code");
        return new Connack(ackFlags == 1, returnCode);
    }

    private static Subscribe decodeSubscribe(ByteBuffer b) throws MalformedPacketException {
        int id = readId(b, "SUBSCRIBE");
        if (!b.hasRemaining()) {
            throw new MalformedPacketException("SUBSCRIBE with no topic filter [MQTT-3.8.3-3]");
        }
        List<Subscribe.Filter> filters = new ArrayList<>();
        while (b.hasRemaining()) {
            String filter = Utf8.read(b, "SUBSCRIBE topic filter");
            int options = readByte(b, "SUBSCRIBE", "requested QoS");
            if ((options & 0xFC) != 0) {
                throw new MalformedPacketException("SUBSCRIBE requested QoS byte 0x"
                        + Integer.toHexString(options) + " sets reserved bits [MQTT-3.8.3-4]");
            }
            if (options == 3) {
                throw new MalformedPacketException("SUBSCRIBE with requested QoS 3 [MQTT-3.8.3-4]");
            }
            filters.add(new Subscribe.Filter(filter, options));
        }
        return new Subscribe(id, filters);
    }

    private static Suback decodeSuback(ByteBuffer b) throws MalformedPacketException {
        int id = readId(b, "SUBACK");
        int n = b.remaining();
        if (n == 0) {
            throw new MalformedPacketException("SUBACK with no return code");
        }
        int[] codes = new int[n];
        for (int i = 0; i < n; i++) {
            int code = b.get() & 0xFF;
            if (code > 2 && code != Suback.FAILURE) {
                throw new MalformedPacketException("SUBACK return code 0x"
                        + Integer.toHexString(code) + " is not 0, 1, 2 or 0x80 [MQTT-3.9.3-2]");
            }
            codes[i] = code;
        }
        return new Suback(id, codes);
    }

    private static Unsubscribe decodeUnsubscribe(ByteBuffer b) throws MalformedPacketException {
        int id = readId(b, "UNSUBSCRIBE");
        if (!b.hasRemaining()) {
            throw new MalformedPacketException("UNSUBSCRIBE with no topic filter [MQTT-3.10.3-2]");
        }
        List<String> filters = new ArrayList<>();
        while (b.hasRemaining()) {
            filters.add(Utf8.read(b, "UNSUBSCRIBE topic filter"));
        }
        return new Unsubscribe(id, filters);
    }

    /** A packet identifier, which section 2.3.1 requires to be non-zero. */
    private static int readId(ByteBuffer b, String packet) throws MalformedPacketException {
        int id = readU16(b, packet, "packet identifier");
        if (id == 0) {
            throw new MalformedPacketException(packet + " with packet identifier 0");
        }
        return id;
    }

    private static int readByte(ByteBuffer b, String packet, String field)
            throws MalformedPacketException {
        if (!b.hasRemaining()) {
            throw truncated(packet, field);
        }
        return b.get() & 0xFF;
    }

    private static int readU16(ByteBuffer b, String packet, String field)
            throws MalformedPacketException {
        if (b.remaining() < 2) {
            throw truncated(packet, field);
        }
        return (b.get() & 0xFF) << 8 | (b.get() & 0xFF);
    }

    private static byte[] readBinary(ByteBuffer b, String packet, String field)
            throws MalformedPacketException {
        int length = readU16(b, packet, field + " length");
        if (b.remaining() < length) {
            throw new MalformedPacketException(packet + " " + field + " claims " + length
                    + " bytes but only " + b.remaining() + " remain");
        }
        byte[] data = new byte[length];
        b.get(data);
        return data;
    }

    private static MalformedPacketException truncated(String packet, String field) {
        return new MalformedPacketException(packet + " ends before its " + field);
    }
}
