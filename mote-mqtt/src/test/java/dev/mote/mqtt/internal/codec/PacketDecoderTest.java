package dev.mote.mqtt.internal.codec;

import static dev.mote.mqtt.internal.codec.Utf8Test.hex;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PacketDecoderTest {

    private static final int MAX = 1 << 20;

    /** At least one of each of the 14 types, with varied sizes and flags. */
    static List<Packet> samples() {
        byte[] big = new byte[200_000];
        new Random(7).nextBytes(big);
        return List.of(
                new Connect(4, "mote-1", true, 60, "clients/mote-1/status", "offline".getBytes(UTF_8), 1, true,
                        "user", "secret".getBytes(UTF_8)),
                new Connect(4, "", true, 0, null, null, 0, false, null, null),
                new Connect(3, "old-level", false, 65535, "w", new byte[0], 2, false, "ü", null),
                new Connack(true, 0),
                new Connack(false, 5),
                new Publish("sensor/温度/🌡", "21.5".getBytes(UTF_8), 0, false, false, 0),
                new Publish("a/b", new byte[1024], 1, true, false, 1),
                new Publish("a/b", big, 2, false, true, 65535),
                new Publish("e", new byte[0], 0, true, false, 0),
                new Puback(1),
                new Pubrec(2),
                new Pubrel(65535),
                new Pubcomp(40000),
                new Subscribe(3, List.of(new Subscribe.Filter("a/+", 0), new Subscribe.Filter("#", 1),
                        new Subscribe.Filter("x/\uFEFFy", 2))),
                new Suback(3, new int[] {0, 1, 2, 0x80}),
                new Unsubscribe(4, List.of("a/+", "#")),
                new Unsuback(4),
                Pingreq.INSTANCE,
                Pingresp.INSTANCE,
                Disconnect.INSTANCE);
    }

    static byte[] stream(List<Packet> packets) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Packet p : packets) {
            out.writeBytes(PacketEncoder.encode(p));
        }
        return out.toByteArray();
    }

    static List<Packet> drain(PacketDecoder decoder, ByteBuffer in) throws MalformedPacketException {
        List<Packet> out = new ArrayList<>();
        for (Packet p; (p = decoder.decode(in)) != null; ) {
            out.add(p);
        }
        return out;
    }

    static List<Packet> decodeWhole(byte[] bytes) throws MalformedPacketException {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        List<Packet> out = drain(new PacketDecoder(MAX), in);
        assertFalse(in.hasRemaining());
        return out;
    }

    static List<Packet> decodeByteAtATime(byte[] bytes) throws MalformedPacketException {
        PacketDecoder decoder = new PacketDecoder(MAX);
        List<Packet> out = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            ByteBuffer in = ByteBuffer.wrap(bytes, i, 1);
            out.addAll(drain(decoder, in));
            assertFalse(in.hasRemaining());
        }
        assertFalse(decoder.hasPartialPacket());
        return out;
    }

    /** Feeds random-sized reads through one small reused buffer, as a socket loop would. */
    static List<Packet> decodeInChunks(byte[] bytes, long seed, boolean direct) throws MalformedPacketException {
        PacketDecoder decoder = new PacketDecoder(MAX);
        Random random = new Random(seed);
        ByteBuffer buf = direct ? ByteBuffer.allocateDirect(61) : ByteBuffer.allocate(61);
        List<Packet> out = new ArrayList<>();
        int i = 0;
        while (i < bytes.length) {
            int n = Math.min(Math.min(1 + random.nextInt(61), buf.remaining()), bytes.length - i);
            buf.put(bytes, i, n);
            i += n;
            buf.flip();
            out.addAll(drain(decoder, buf));
            assertFalse(buf.hasRemaining(), "a partial packet is consumed into the decoder");
            buf.clear();
        }
        assertFalse(decoder.hasPartialPacket());
        return out;
    }

    @Test
    void samplesCoverAllFourteenTypes() {
        Set<Integer> types = new TreeSet<>();
        for (Packet p : samples()) {
            types.add(p.type());
        }
        assertEquals(Set.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14), types);
    }

    @Test
    void everyTypeRoundTrips() throws Exception {
        for (Packet p : samples()) {
            byte[] bytes = PacketEncoder.encode(p);
            PacketDecoder decoder = new PacketDecoder(MAX);
            ByteBuffer in = ByteBuffer.wrap(bytes);
            Packet back = decoder.decode(in);
            assertEquals(p, back);
            assertEquals(p.type(), back.type());
            assertEquals(bytes.length, in.position());
            assertArrayEquals(bytes, PacketEncoder.encode(back), p.toString());
            assertEquals(0, decoder.bufferedCapacity(), "a whole packet is decoded in place");
            assertNull(decoder.decode(in));
        }
    }

    @Test
    void decodesSpecBytes() throws Exception {
        assertSame(Disconnect.INSTANCE, decodeWhole(hex("E0 00")).get(0));
        assertSame(Pingreq.INSTANCE, decodeWhole(hex("C0 00")).get(0));
        assertEquals(new Pubrel(10), decodeWhole(hex("62 02 00 0A")).get(0));
        Publish p = (Publish) decodeWhole(hex("32 09 00 03 61 2F 62 00 0A 68 69")).get(0);
        assertEquals("a/b", p.topic());
        assertEquals(1, p.qos());
        assertEquals(10, p.packetId());
        assertFalse(p.retain());
        assertFalse(p.dup());
        assertArrayEquals("hi".getBytes(UTF_8), p.payload());
        assertEquals(new Subscribe(1, List.of(new Subscribe.Filter("a/b", 1), new Subscribe.Filter("c/#", 2))),
                decodeWhole(hex("82 0E 00 01 00 03 61 2F 62 01 00 03 63 2F 23 02")).get(0));
        Connect c = (Connect) decodeWhole(hex("10 21 00 04 4D 51 54 54 04 EE 00 3C 00 04 6D 6F 74 65"
                + " 00 03 77 2F 74 00 03 62 79 65 00 01 75 00 02 70 77")).get(0);
        assertEquals(new Connect(4, "mote", true, 60, "w/t", "bye".getBytes(UTF_8), 1, true, "u",
                "pw".getBytes(UTF_8)), c);
        assertArrayEquals("pw".getBytes(UTF_8), c.password());
        assertEquals(new Connack(true, 0), decodeWhole(hex("20 02 01 00")).get(0));
    }

    @Test
    void manyPacketsInOneBuffer() throws Exception {
        List<Packet> packets = samples();
        assertEquals(packets, decodeWhole(stream(packets)));
    }

    @Test
    void byteAtATimeGivesTheSamePackets() throws Exception {
        List<Packet> packets = samples();
        assertEquals(packets, decodeByteAtATime(stream(packets)));
    }

    @Test
    void randomChunksGiveTheSamePackets() throws Exception {
        List<Packet> packets = samples();
        byte[] bytes = stream(packets);
        for (long seed = 0; seed < 5; seed++) {
            assertEquals(packets, decodeInChunks(bytes, seed, false));
            assertEquals(packets, decodeInChunks(bytes, seed, true));
        }
    }

    @Test
    void leavesTheNextPacketAndTheLimitAlone() throws Exception {
        byte[] first = PacketEncoder.encode(new Publish("t", new byte[] {1, 2}, 0, false, false, 0));
        ByteBuffer in = ByteBuffer.allocate(first.length + 3);
        in.put(first).put(hex("40 02 00")).flip();
        PacketDecoder decoder = new PacketDecoder(MAX);
        Publish p = (Publish) decoder.decode(in);
        assertArrayEquals(new byte[] {1, 2}, p.payload());
        assertEquals(first.length, in.position());
        assertEquals(first.length + 3, in.limit());
        assertNull(decoder.decode(in));
        assertTrue(decoder.hasPartialPacket());
        assertEquals(new Puback(7), decoder.decode(ByteBuffer.wrap(hex("07"))));
        assertFalse(decoder.hasPartialPacket());
    }

    @Test
    void hugeClaimCostsOnlyWhatArrives() throws Exception {
        PacketDecoder decoder = new PacketDecoder(Integer.MAX_VALUE);
        ByteBuffer header = ByteBuffer.allocate(5);
        header.put((byte) 0x30);
        PacketEncoder.writeVarint(200_000_000, header);
        header.flip();
        assertNull(decoder.decode(header));
        assertEquals(0, decoder.bufferedCapacity(), "no body byte yet, nothing allocated");
        assertNull(decoder.decode(ByteBuffer.wrap(new byte[10])));
        assertTrue(decoder.hasPartialPacket());
        assertTrue(decoder.bufferedCapacity() <= 256, "capacity " + decoder.bufferedCapacity());

        int received = 10;
        for (int i = 0; i < 100; i++) {
            assertNull(decoder.decode(ByteBuffer.wrap(new byte[1000])));
            received += 1000;
            assertTrue(decoder.bufferedCapacity() <= 2 * received,
                    "capacity " + decoder.bufferedCapacity() + " after " + received + " bytes");
        }
    }

    @Test
    void splitPacketIsReassembledAndLargeBufferReleased() throws Exception {
        byte[] payload = new byte[300_000];
        new Random(3).nextBytes(payload);
        Publish p = new Publish("big", payload, 1, false, false, 9);
        byte[] bytes = PacketEncoder.encode(p);
        PacketDecoder decoder = new PacketDecoder(MAX);
        Packet back = null;
        for (int i = 0; i < bytes.length; i += 4096) {
            assertNull(back, "decoded before the last chunk");
            back = decoder.decode(ByteBuffer.wrap(bytes, i, Math.min(4096, bytes.length - i)));
            assertTrue(decoder.bufferedCapacity() <= Math.max(256, 2 * (i + 4096)));
        }
        assertEquals(p, back);
        assertEquals(0, decoder.bufferedCapacity(), "a large accumulator is not kept");

        // A small split packet keeps its accumulator for next time.
        assertNull(decoder.decode(ByteBuffer.wrap(hex("40 02 00"))));
        assertEquals(new Puback(1), decoder.decode(ByteBuffer.wrap(hex("01"))));
        assertTrue(decoder.bufferedCapacity() > 0 && decoder.bufferedCapacity() <= 256);
    }

    /**
     * Found by the decoder fuzz target (mote-fuzz): a split packet made the accumulator at least
     * 256 bytes, even when the maximum packet size is smaller.
     */
    @ParameterizedTest
    @CsvSource({"5", "4", "130", "255"})
    void accumulatorNeverExceedsASmallMaximumPacketSize(int max) throws Exception {
        // CONNACK, 4 bytes, split after its first body byte.
        PacketDecoder decoder = new PacketDecoder(max);
        assertNull(decoder.decode(ByteBuffer.wrap(hex("20 02 00"))));
        assertTrue(decoder.bufferedCapacity() <= max, "capacity " + decoder.bufferedCapacity() + ", max " + max);
        assertEquals(new Connack(false, 0), decoder.decode(ByteBuffer.wrap(hex("00"))));
        assertTrue(decoder.bufferedCapacity() <= max, "capacity " + decoder.bufferedCapacity() + ", max " + max);
        if (max >= 130) {
            // A split PUBLISH as large as allowed (130 itself cannot be hit: 129, then 131 bytes).
            int payload = max - 8;
            while (PacketEncoder.encodedSize(new Publish("t", new byte[payload + 1], 0, false, false, 0)) <= max) {
                payload++;
            }
            byte[] bytes = PacketEncoder.encode(new Publish("t", new byte[payload], 0, false, false, 0));
            assertTrue(bytes.length >= max - 1 && bytes.length <= max, bytes.length + " bytes");
            assertNull(decoder.decode(ByteBuffer.wrap(bytes, 0, 10)));
            assertTrue(decoder.bufferedCapacity() <= max, "capacity " + decoder.bufferedCapacity() + ", max " + max);
            assertInstanceOf(Publish.class, decoder.decode(ByteBuffer.wrap(bytes, 10, bytes.length - 10)));
            assertTrue(decoder.bufferedCapacity() <= max, "capacity " + decoder.bufferedCapacity() + ", max " + max);
        }
    }

    @Test
    void maximumPacketSize() throws Exception {
        // 1 + 1 + (2 + 1 + 6) = 11 bytes.
        PacketDecoder decoder = new PacketDecoder(10);
        var e = assertThrows(MalformedPacketException.class, () -> decoder.decode(ByteBuffer.wrap(hex("30 09"))));
        assertEquals("packet of 11 bytes exceeds the maximum packet size of 10", e.getMessage());

        Publish atLimit = new Publish("t", new byte[5], 0, false, false, 0);
        assertEquals(10, PacketEncoder.encodedSize(atLimit));
        assertEquals(atLimit, new PacketDecoder(10).decode(ByteBuffer.wrap(PacketEncoder.encode(atLimit))));
        assertThrows(IllegalArgumentException.class, () -> new PacketDecoder(1));
    }

    @ParameterizedTest
    @CsvSource({"127", "128", "16383", "16384", "2097151", "2097152", "268435455"})
    void remainingLengthBoundariesDecode(int length) {
        // The size in the error message shows the decoded length, without sending the body.
        ByteBuffer in = ByteBuffer.allocate(5);
        in.put((byte) 0x30);
        PacketEncoder.writeVarint(length, in);
        in.flip();
        var e = assertThrows(MalformedPacketException.class, () -> new PacketDecoder(2).decode(in));
        long total = 1 + PacketEncoder.varintSize(length) + (long) length;
        assertEquals("packet of " + total + " bytes exceeds the maximum packet size of 2", e.getMessage());
    }

    /** Checks the message is the same whether the bytes come at once or one by one. */
    static String malformed(String bytesHex) {
        byte[] bytes = hex(bytesHex);
        var whole = assertThrows(MalformedPacketException.class, () -> decodeWhole(bytes));
        var split = assertThrows(MalformedPacketException.class, () -> decodeByteAtATime(bytes));
        assertEquals(whole.getMessage(), split.getMessage());
        return whole.getMessage();
    }

    @Test
    void fifthLengthByteRejected() {
        assertEquals("remaining length longer than 4 bytes", malformed("30 FF FF FF FF 7F"));
        assertEquals("remaining length longer than 4 bytes", malformed("E0 80 80 80 80 01"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "00 00 | reserved packet type 0",
        "F0 00 | reserved packet type 15",
        "60 02 00 01 | PUBREL with fixed-header flags 0000, expected 0010",
        "83 06 00 01 00 01 61 00 | SUBSCRIBE with fixed-header flags 0011, expected 0010",
        "80 06 00 01 00 01 61 00 | SUBSCRIBE with fixed-header flags 0000, expected 0010",
        "A0 05 00 01 00 01 61 | UNSUBSCRIBE with fixed-header flags 0000, expected 0010",
        "11 0C 00 04 4D 51 54 54 04 02 00 00 00 00 | CONNECT with fixed-header flags 0001, expected 0000",
        "28 02 00 00 | CONNACK with fixed-header flags 1000, expected 0000",
        "42 02 00 01 | PUBACK with fixed-header flags 0010, expected 0000",
        "52 02 00 01 | PUBREC with fixed-header flags 0010, expected 0000",
        "72 02 00 01 | PUBCOMP with fixed-header flags 0010, expected 0000",
        "92 03 00 01 00 | SUBACK with fixed-header flags 0010, expected 0000",
        "B2 02 00 01 | UNSUBACK with fixed-header flags 0010, expected 0000",
        "C8 00 | PINGREQ with fixed-header flags 1000, expected 0000",
        "D2 00 | PINGRESP with fixed-header flags 0010, expected 0000",
        "E1 00 | DISCONNECT with fixed-header flags 0001, expected 0000",
    })
    void reservedTypesAndWrongFlags(String bytes, String message) {
        assertEquals(message, malformed(bytes));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "36 05 00 01 74 00 01 | PUBLISH with QoS 3",
        "3F 05 00 01 74 00 01 | PUBLISH with QoS 3",
        "38 03 00 01 74 | PUBLISH with QoS 0 has DUP set [MQTT-3.3.1-2]",
        "32 05 00 01 74 00 00 | PUBLISH with packet identifier 0",
        "3C 05 00 01 74 00 00 | PUBLISH with packet identifier 0",
        "32 04 00 01 74 00 | PUBLISH ends before its packet identifier",
        "30 00 | PUBLISH topic is cut off inside its length prefix",
        "30 03 00 05 61 | PUBLISH topic claims 5 bytes but only 1 remain in the packet",
        "30 04 00 02 C0 AF | PUBLISH topic is not well-formed UTF-8 at byte 0 (overlong encoding)",
        "30 05 00 03 ED A0 80 | PUBLISH topic is not well-formed UTF-8 at byte 0 (encoded surrogate)",
        "30 05 00 03 61 00 62 | PUBLISH topic contains U+0000 at byte 1",
    })
    void malformedPublish(String bytes, String message) {
        assertEquals(message, malformed(bytes));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "40 02 00 00 | PUBACK with packet identifier 0",
        "50 02 00 00 | PUBREC with packet identifier 0",
        "62 02 00 00 | PUBREL with packet identifier 0",
        "70 02 00 00 | PUBCOMP with packet identifier 0",
        "B0 02 00 00 | UNSUBACK with packet identifier 0",
        "90 03 00 00 00 | SUBACK with packet identifier 0",
        "82 06 00 00 00 01 61 00 | SUBSCRIBE with packet identifier 0",
        "A2 05 00 00 00 01 61 | UNSUBSCRIBE with packet identifier 0",
        "40 03 00 01 00 | PUBACK with remaining length 3, expected 2",
        "40 01 01 | PUBACK with remaining length 1, expected 2",
        "50 00 | PUBREC with remaining length 0, expected 2",
        "62 03 00 01 00 | PUBREL with remaining length 3, expected 2",
        "70 01 00 | PUBCOMP with remaining length 1, expected 2",
        "B0 04 00 01 00 00 | UNSUBACK with remaining length 4, expected 2",
        "20 03 00 00 00 | CONNACK with remaining length 3, expected 2",
        "20 01 00 | CONNACK with remaining length 1, expected 2",
        "C0 01 00 | PINGREQ with remaining length 1, expected 0",
        "D0 01 00 | PINGRESP with remaining length 1, expected 0",
        "E0 01 00 | DISCONNECT with remaining length 1, expected 0",
        "20 02 02 00 | CONNACK acknowledge flags 0x2 set reserved bits 7..1 [MQTT-3.2.2-1]",
        "20 02 81 00 | CONNACK acknowledge flags 0x81 set reserved bits 7..1 [MQTT-3.2.2-1]",
        "90 02 00 01 | SUBACK with no return code",
        "90 04 00 01 00 03 | SUBACK return code 0x3 is not 0, 1, 2 or 0x80 [MQTT-3.9.3-2]",
        "90 03 00 01 81 | SUBACK return code 0x81 is not 0, 1, 2 or 0x80 [MQTT-3.9.3-2]",
        "90 01 00 | SUBACK ends before its packet identifier",
        "82 02 00 01 | SUBSCRIBE with no topic filter [MQTT-3.8.3-3]",
        "82 06 00 01 00 01 61 03 | SUBSCRIBE with requested QoS 3 [MQTT-3.8.3-4]",
        "82 06 00 01 00 01 61 04 | SUBSCRIBE requested QoS byte 0x4 sets reserved bits [MQTT-3.8.3-4]",
        "82 05 00 01 00 01 61 | SUBSCRIBE ends before its requested QoS",
        "82 01 00 | SUBSCRIBE ends before its packet identifier",
        "82 07 00 01 00 02 61 00 01 | SUBSCRIBE topic filter contains U+0000 at byte 1",
        "A2 02 00 01 | UNSUBSCRIBE with no topic filter [MQTT-3.10.3-2]",
        "A2 04 00 01 00 01 | UNSUBSCRIBE topic filter claims 1 bytes but only 0 remain in the packet",
    })
    void malformedAcksAndSubscriptions(String bytes, String message) {
        assertEquals(message, malformed(bytes));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "10 0C 00 04 4D 51 49 73 04 02 00 00 00 00 | CONNECT protocol name \"MQIs\", expected \"MQTT\"",
        "10 0C 00 04 4D 51 54 54 04 03 00 00 00 00 | CONNECT with reserved flag bit 0 set [MQTT-3.1.2-3]",
        "10 0C 00 04 4D 51 54 54 04 1E 00 00 00 00 | CONNECT with will QoS 3 [MQTT-3.1.2-14]",
        "10 0C 00 04 4D 51 54 54 04 0A 00 00 00 00 | CONNECT with will QoS or will retain but no will flag [MQTT-3.1.2-13, -15]",
        "10 0C 00 04 4D 51 54 54 04 22 00 00 00 00 | CONNECT with will QoS or will retain but no will flag [MQTT-3.1.2-13, -15]",
        "10 0C 00 04 4D 51 54 54 04 42 00 00 00 00 | CONNECT with password flag but no user name flag [MQTT-3.1.2-22]",
        "10 0D 00 04 4D 51 54 54 04 02 00 00 00 00 99 | CONNECT has 1 bytes left over after its last field",
        "10 0A 00 04 4D 51 54 54 04 02 00 00 | CONNECT client id is cut off inside its length prefix",
        "10 08 00 04 4D 51 54 54 04 02 | CONNECT ends before its keep alive",
        "10 06 00 04 4D 51 54 54 | CONNECT ends before its protocol level",
        "10 0C 00 04 4D 51 54 54 04 82 00 00 00 00 | CONNECT user name is cut off inside its length prefix",
        "10 12 00 04 4D 51 54 54 04 06 00 00 00 00 00 01 74 00 05 61 | CONNECT will message claims 5 bytes but only 1 remain",
        "10 0E 00 04 4D 51 54 54 04 02 00 00 00 02 61 00 | CONNECT client id contains U+0000 at byte 1",
    })
    void malformedConnect(String bytes, String message) {
        assertEquals(message, malformed(bytes));
    }

    @Test
    void lengthErrorsComeBeforeTheBody() {
        // Only the fixed header has arrived; the bad length is already known to be wrong.
        var e = assertThrows(MalformedPacketException.class,
                () -> new PacketDecoder(MAX).decode(ByteBuffer.wrap(hex("40 03"))));
        assertEquals("PUBACK with remaining length 3, expected 2", e.getMessage());
        var e2 = assertThrows(MalformedPacketException.class,
                () -> new PacketDecoder(MAX).decode(ByteBuffer.wrap(hex("60"))));
        assertEquals("PUBREL with fixed-header flags 0000, expected 0010", e2.getMessage());
    }

    @Test
    void publishPayloadIsACopy() throws Exception {
        byte[] bytes = PacketEncoder.encode(new Publish("t", new byte[] {5, 6, 7}, 0, false, false, 0));
        Publish p = (Publish) new PacketDecoder(MAX).decode(ByteBuffer.wrap(bytes));
        bytes[bytes.length - 1] = 0;
        assertArrayEquals(new byte[] {5, 6, 7}, p.payload());
    }

    @Test
    void emptyInputReturnsNull() throws Exception {
        PacketDecoder decoder = new PacketDecoder(MAX);
        assertNull(decoder.decode(ByteBuffer.allocate(0)));
        assertFalse(decoder.hasPartialPacket());
        assertInstanceOf(Pingresp.class, decoder.decode(ByteBuffer.wrap(hex("D0 00"))));
    }
}
