package dev.mote.mqtt.internal.codec;

import static dev.mote.mqtt.internal.codec.Utf8Test.hex;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PacketEncoderTest {

    static Connect connect(String clientId, boolean clean, int keepAlive) {
        return new Connect(Connect.LEVEL_3_1_1, clientId, clean, keepAlive, null, null, 0, false, null, null);
    }

    private static void assertEncodes(String expectedHex, Packet p) {
        byte[] expected = hex(expectedHex);
        assertArrayEquals(expected, PacketEncoder.encode(p), p.toString());
        assertEquals(expected.length, PacketEncoder.encodedSize(p));
    }

    private static String rejected(Packet p) {
        ByteBuffer out = ByteBuffer.allocate(1024);
        var e = assertThrows(IllegalArgumentException.class, () -> PacketEncoder.encode(p, out));
        assertEquals(0, out.position(), "nothing written for a rejected packet");
        assertThrows(IllegalArgumentException.class, () -> PacketEncoder.encodedSize(p));
        return e.getMessage();
    }

    @Test
    void connectWithWillUserAndPassword() {
        Connect c = new Connect(4, "mote", true, 60, "w/t", "bye".getBytes(UTF_8), 1, true, "u",
                "pw".getBytes(UTF_8));
        // Flags: user 80 | password 40 | will retain 20 | will QoS 1 08 | will 04 | clean 02 = EE.
        assertEncodes("10 21"
                + " 00 04 4D 51 54 54 04 EE 00 3C"
                + " 00 04 6D 6F 74 65"
                + " 00 03 77 2F 74"
                + " 00 03 62 79 65"
                + " 00 01 75"
                + " 00 02 70 77", c);
    }

    @Test
    void minimalConnect() {
        assertEncodes("10 0C 00 04 4D 51 54 54 04 02 00 00 00 00", connect("", true, 0));
        assertEncodes("10 0D 00 04 4D 51 54 54 04 00 FF FF 00 01 78", connect("x", false, 65535));
        // User name alone, will QoS 2 without retain, and an empty will message.
        Connect c = new Connect(4, "c", false, 10, "t", new byte[0], 2, false, "me", null);
        assertEncodes("10 16 00 04 4D 51 54 54 04 94 00 0A 00 01 63 00 01 74 00 00 00 02 6D 65", c);
    }

    @Test
    void publishQos1() {
        assertEncodes("32 09 00 03 61 2F 62 00 0A 68 69",
                new Publish("a/b", "hi".getBytes(UTF_8), 1, false, false, 10));
    }

    @Test
    void publishFlags() {
        assertEncodes("30 04 00 01 74 7A", new Publish("t", "z".getBytes(UTF_8), 0, false, false, 0));
        assertEncodes("31 03 00 01 74", new Publish("t", new byte[0], 0, true, false, 0));
        assertEncodes("3D 05 00 01 74 FF FF", new Publish("t", new byte[0], 2, true, true, 65535));
        assertEncodes("3A 05 00 01 74 00 01", new Publish("t", new byte[0], 1, false, true, 1));
    }

    @Test
    void subscribeWithTwoFilters() {
        assertEncodes("82 0E 00 01 00 03 61 2F 62 01 00 03 63 2F 23 02",
                new Subscribe(1, List.of(new Subscribe.Filter("a/b", 1), new Subscribe.Filter("c/#", 2))));
    }

    @Test
    void otherPackets() {
        assertEncodes("E0 00", Disconnect.INSTANCE);
        assertEncodes("C0 00", Pingreq.INSTANCE);
        assertEncodes("D0 00", Pingresp.INSTANCE);
        assertEncodes("62 02 00 0A", new Pubrel(10));
        assertEncodes("40 02 01 02", new Puback(0x0102));
        assertEncodes("50 02 FF FF", new Pubrec(65535));
        assertEncodes("70 02 00 01", new Pubcomp(1));
        assertEncodes("B0 02 12 34", new Unsuback(0x1234));
        assertEncodes("20 02 01 00", new Connack(true, 0));
        assertEncodes("20 02 00 05", new Connack(false, 5));
        assertEncodes("90 06 00 07 00 01 02 80", new Suback(7, new int[] {0, 1, 2, 0x80}));
        assertEncodes("A2 0A 00 02 00 01 61 00 03 62 2F 2B", new Unsubscribe(2, List.of("a", "b/+")));
    }

    @ParameterizedTest
    @CsvSource({
        "0, 1, 00",
        "127, 1, 7F",
        "128, 2, 80 01",
        "16383, 2, FF 7F",
        "16384, 3, 80 80 01",
        "2097151, 3, FF FF 7F",
        "2097152, 4, 80 80 80 01",
        "268435455, 4, FF FF FF 7F",
    })
    void remainingLengthBoundaries(int value, int size, String bytes) {
        assertEquals(size, PacketEncoder.varintSize(value));
        ByteBuffer out = ByteBuffer.allocate(8);
        PacketEncoder.writeVarint(value, out);
        assertArrayEquals(hex(bytes), Arrays.copyOf(out.array(), out.position()));
    }

    @Test
    void remainingLengthOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> PacketEncoder.varintSize(268_435_456));
        assertThrows(IllegalArgumentException.class, () -> PacketEncoder.varintSize(-1));
        ByteBuffer out = ByteBuffer.allocate(8);
        assertThrows(IllegalArgumentException.class, () -> PacketEncoder.writeVarint(268_435_456, out));
        assertEquals(0, out.position());
    }

    @Test
    void headerSizeFollowsRemainingLength() {
        // 2 (topic length) + 1 (topic) + payload.
        assertEquals(2 + 127, PacketEncoder.encodedSize(new Publish("t", new byte[124], 0, false, false, 0)));
        assertEquals(3 + 128, PacketEncoder.encodedSize(new Publish("t", new byte[125], 0, false, false, 0)));
        assertEquals(3 + 16383, PacketEncoder.encodedSize(new Publish("t", new byte[16380], 0, false, false, 0)));
        assertEquals(4 + 16384, PacketEncoder.encodedSize(new Publish("t", new byte[16381], 0, false, false, 0)));
    }

    @Test
    void packetOverTheMqttLimitRejected() {
        // Same string object repeated: a quarter-gigabyte packet without a quarter-gigabyte of heap.
        String filter = "f".repeat(65535);
        List<Subscribe.Filter> justFits = Collections.nCopies(4095, new Subscribe.Filter(filter, 0));
        assertEquals(1 + 4 + 2 + 4095 * 65538, PacketEncoder.encodedSize(new Subscribe(1, justFits)));
        List<Subscribe.Filter> tooMany = Collections.nCopies(4096, new Subscribe.Filter(filter, 0));
        assertEquals("packet of 268443650 bytes exceeds the MQTT limit of 268435455",
                rejected(new Subscribe(1, tooMany)));
    }

    @Test
    void encodeIntoBufferAtItsPosition() {
        Publish p = new Publish("a/€", new byte[] {1, 2, 3}, 2, true, false, 300);
        byte[] alone = PacketEncoder.encode(p);
        ByteBuffer out = ByteBuffer.allocate(alone.length + 10).order(ByteOrder.LITTLE_ENDIAN);
        out.position(4);
        PacketEncoder.encode(p, out);
        assertEquals(4 + alone.length, out.position());
        assertArrayEquals(alone, Arrays.copyOfRange(out.array(), 4, 4 + alone.length));

        ByteBuffer direct = ByteBuffer.allocateDirect(alone.length);
        PacketEncoder.encode(p, direct);
        byte[] fromDirect = new byte[alone.length];
        direct.flip().get(fromDirect);
        assertArrayEquals(alone, fromDirect);
    }

    @Test
    void tooSmallBufferWritesNothing() {
        Publish p = new Publish("topic", new byte[10], 0, false, false, 0);
        ByteBuffer out = ByteBuffer.allocate(PacketEncoder.encodedSize(p) - 1);
        assertThrows(BufferOverflowException.class, () -> PacketEncoder.encode(p, out));
        assertEquals(0, out.position());
    }

    @Test
    void connectRejections() {
        assertEquals("CONNECT has a password without a user name [MQTT-3.1.2-22]",
                rejected(new Connect(4, "c", true, 0, null, null, 0, false, null, new byte[1])));
        assertEquals("CONNECT will QoS 3 is outside 0..2",
                rejected(new Connect(4, "c", true, 0, "w", new byte[0], 3, false, null, null)));
        assertEquals("CONNECT will QoS -1 is outside 0..2",
                rejected(new Connect(4, "c", true, 0, "w", new byte[0], -1, false, null, null)));
        assertEquals("will payload is 65536 bytes, the limit is 65535",
                rejected(new Connect(4, "c", true, 0, "w", new byte[65536], 0, false, null, null)));
        assertEquals("password is 65536 bytes, the limit is 65535",
                rejected(new Connect(4, "c", true, 0, null, null, 0, false, "u", new byte[65536])));
        assertEquals("CONNECT keep alive -1 is outside 0..65535 seconds", rejected(connect("c", true, -1)));
        assertEquals("CONNECT keep alive 65536 is outside 0..65535 seconds", rejected(connect("c", true, 65536)));
        assertEquals("an empty client id needs cleanSession=true [MQTT-3.1.3-7]", rejected(connect("", false, 0)));
        assertEquals("client id contains U+0000 at index 1", rejected(connect("a\0", true, 0)));
        assertEquals("CONNECT has will QoS, retain or payload but no will topic",
                rejected(new Connect(4, "c", true, 0, null, null, 1, false, null, null)));
        assertEquals("CONNECT has a will topic but no will payload",
                rejected(new Connect(4, "c", true, 0, "w", null, 0, false, null, null)));
        assertEquals("CONNECT protocol level 256 is not a byte",
                rejected(new Connect(256, "c", true, 0, null, null, 0, false, null, null)));
        assertEquals("will topic contains an unpaired surrogate U+D800 at index 0",
                rejected(new Connect(4, "c", true, 0, "\uD800", new byte[0], 0, false, null, null)));
        // The largest will message and password are fine.
        Connect big = new Connect(4, "c", true, 0, "w", new byte[65535], 0, false, "u", new byte[65535]);
        // Remaining length 131093 takes three bytes.
        assertEquals(1 + 3 + (10 + 3 + 3 + 65537 + 3 + 65537), PacketEncoder.encode(big).length);
    }

    @Test
    void publishRejections() {
        assertEquals("PUBLISH with QoS 0 cannot set DUP [MQTT-3.3.1-2]",
                rejected(new Publish("t", new byte[0], 0, false, true, 0)));
        assertEquals("PUBLISH with QoS 0 must have packet id 0, not 5",
                rejected(new Publish("t", new byte[0], 0, false, false, 5)));
        assertEquals("PUBLISH packet id 0 is outside 1..65535",
                rejected(new Publish("t", new byte[0], 1, false, false, 0)));
        assertEquals("PUBLISH packet id 65536 is outside 1..65535",
                rejected(new Publish("t", new byte[0], 2, false, false, 65536)));
        assertEquals("PUBLISH QoS 3 is outside 0..2", rejected(new Publish("t", new byte[0], 3, false, false, 1)));
        assertEquals("topic contains U+0000 at index 3", rejected(new Publish("a/b\0", new byte[0], 0, false, false, 0)));
    }

    @Test
    void subscribeAndOtherRejections() {
        assertEquals("SUBSCRIBE needs at least one topic filter [MQTT-3.8.3-3]", rejected(new Subscribe(1, List.of())));
        assertEquals("SUBSCRIBE packet id 0 is outside 1..65535",
                rejected(new Subscribe(0, List.of(new Subscribe.Filter("a", 0)))));
        assertEquals("SUBSCRIBE requested QoS 3 for a is outside 0..2",
                rejected(new Subscribe(1, List.of(new Subscribe.Filter("a", 3)))));
        assertEquals("UNSUBSCRIBE needs at least one topic filter [MQTT-3.10.3-2]",
                rejected(new Unsubscribe(1, List.of())));
        assertEquals("UNSUBSCRIBE packet id 70000 is outside 1..65535", rejected(new Unsubscribe(70000, List.of("a"))));
        assertEquals("topic filter contains U+0000 at index 0", rejected(new Unsubscribe(1, List.of("\0"))));
        assertEquals("PUBACK packet id 0 is outside 1..65535", rejected(new Puback(0)));
        assertEquals("PUBREL packet id -1 is outside 1..65535", rejected(new Pubrel(-1)));
        assertEquals("SUBACK return code 3 is not 0, 1, 2 or 0x80", rejected(new Suback(1, new int[] {0, 3})));
        assertEquals("SUBACK needs at least one return code", rejected(new Suback(1, new int[0])));
        assertEquals("CONNACK return code 256 is not a byte", rejected(new Connack(false, 256)));
    }
}
