package dev.mote.mqtt.internal.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Utf8Test {

    static byte[] hex(String s) {
        String[] parts = s.trim().split("\\s+");
        byte[] out = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return out;
    }

    /** The MQTT encoding of {@code s}: length prefix then the JDK's UTF-8. */
    static byte[] expected(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[utf8.length + 2];
        out[0] = (byte) (utf8.length >>> 8);
        out[1] = (byte) utf8.length;
        System.arraycopy(utf8, 0, out, 2, utf8.length);
        return out;
    }

    static byte[] write(String s) {
        byte[] out = new byte[Utf8.encodedLength(s)];
        ByteBuffer buf = ByteBuffer.wrap(out);
        Utf8.write(s, buf);
        assertEquals(out.length, buf.position());
        return out;
    }

    static String readRaw(byte[] utf8, String what) throws MalformedPacketException {
        ByteBuffer buf = ByteBuffer.allocate(utf8.length + 2);
        buf.put((byte) (utf8.length >>> 8)).put((byte) utf8.length).put(utf8).flip();
        String s = Utf8.read(buf, what);
        assertEquals(buf.limit(), buf.position());
        return s;
    }

    @Test
    void bmpAndNonBmpRoundTrip() throws Exception {
        String s = "sensor/温度/🌡";
        assertEquals(2 + 7 + 3 + 3 + 1 + 4, Utf8.encodedLength(s));
        byte[] bytes = write(s);
        assertArrayEquals(expected(s), bytes);
        // The thermometer U+1F321 is four bytes, not two three-byte surrogate encodings.
        assertArrayEquals(hex("F0 9F 8C A1"), Arrays.copyOfRange(bytes, bytes.length - 4, bytes.length));
        assertEquals(s, Utf8.read(ByteBuffer.wrap(bytes), "topic"));
    }

    @Test
    void readsFromDirectAndSlicedBuffers() throws Exception {
        String s = "a/é/🌡/z";
        byte[] bytes = write(s);
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 3);
        direct.put((byte) 9).put(bytes).put((byte) 1).put((byte) 2).flip().position(1);
        assertEquals(s, Utf8.read(direct, "topic"));
        assertEquals(1 + bytes.length, direct.position());

        byte[] padded = new byte[bytes.length + 5];
        System.arraycopy(bytes, 0, padded, 5, bytes.length);
        ByteBuffer slice = ByteBuffer.wrap(padded, 3, padded.length - 3).slice().position(2);
        assertEquals(s, Utf8.read(slice, "topic"));
        assertEquals("ascii/only", Utf8.read(ByteBuffer.wrap(write("ascii/only")).asReadOnlyBuffer(), "t"));
    }

    @Test
    void emptyString() throws Exception {
        assertEquals(2, Utf8.encodedLength(""));
        assertArrayEquals(hex("00 00"), write(""));
        assertEquals("", Utf8.read(ByteBuffer.wrap(hex("00 00")), "topic"));
    }

    @Test
    void byteOrderMarkIsKept() throws Exception {
        assertEquals("\uFEFFa", readRaw(hex("EF BB BF 61"), "topic"));
        assertEquals("\uFEFF", readRaw(hex("EF BB BF"), "topic"));
        assertArrayEquals(hex("00 04 EF BB BF 61"), write("\uFEFFa"));
    }

    @Test
    void nulRejectedOnEncode() {
        var e = assertThrows(IllegalArgumentException.class, () -> Utf8.validate("a/b\u0000", "topic"));
        assertEquals("topic contains U+0000 at index 3", e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> Utf8.write("é\u0000", ByteBuffer.allocate(10)));
        assertEquals("string contains U+0000 at index 1", e2.getMessage());
    }

    @Test
    void nulRejectedOnDecode() {
        var e = assertThrows(MalformedPacketException.class, () -> readRaw(hex("61 00 62"), "client id"));
        assertEquals("client id contains U+0000 at byte 1", e.getMessage());
        var e2 = assertThrows(MalformedPacketException.class, () -> readRaw(hex("C3 A9 00"), "topic"));
        assertEquals("topic contains U+0000 at byte 2", e2.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "'a\uD83C', D83C, 1",
        "'\uDF21b', DF21, 0",
        "'x\uDF21\uD83C', DF21, 1",
        "'\uD83C\uD83C\uDF21', D83C, 0",
    })
    void loneSurrogateRejectedOnEncode(String s, String hexChar, int index) {
        var e = assertThrows(IllegalArgumentException.class, () -> Utf8.encodedLength(s, "topic"));
        assertEquals("topic contains an unpaired surrogate U+" + hexChar + " at index " + index, e.getMessage());
    }

    @Test
    void nothingWrittenWhenInvalid() {
        ByteBuffer out = ByteBuffer.allocate(10);
        assertThrows(IllegalArgumentException.class, () -> Utf8.write("ab\uD800", out));
        assertEquals(0, out.position());
    }

    @ParameterizedTest
    @CsvSource({
        "ED A0 80, 0, encoded surrogate",
        "61 62 ED BF BF, 2, encoded surrogate",
        "C0 AF, 0, overlong encoding",
        "C1 BF, 0, overlong encoding",
        "E0 80 AF, 0, overlong encoding",
        "E0 9F BF, 0, overlong encoding",
        "F0 80 80 AF, 0, overlong encoding",
        "F0 8F BF BF, 0, overlong encoding",
        "F4 90 80 80, 0, code point above U+10FFFF",
        "F5 80 80 80, 0, code point above U+10FFFF",
        "F7 BF BF BF, 0, code point above U+10FFFF",
        "FF, 0, invalid byte 0xFF",
        "61 F8 88 80 80 80, 1, invalid byte 0xF8",
        "61 62 63 E2 82, 3, truncated sequence",
        "F0 9F 8C, 0, truncated sequence",
        "C3, 0, truncated sequence",
        "80, 0, unexpected continuation byte",
        "61 BF 62, 1, unexpected continuation byte",
        "C3 A9 A9, 2, unexpected continuation byte",
        "E2 41 42, 0, incomplete sequence",
        "E2 82 41, 0, incomplete sequence",
        "C3 C3 A9, 0, incomplete sequence",
        "E2 41, 0, incomplete sequence",
    })
    void illFormedRejectedOnDecode(String bytes, int at, String why) {
        var e = assertThrows(MalformedPacketException.class, () -> readRaw(hex(bytes), "topic"));
        assertEquals("topic is not well-formed UTF-8 at byte " + at + " (" + why + ")", e.getMessage());
    }

    @Test
    void boundaryCodePointsRoundTrip() throws Exception {
        int[] cps = {0x01, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFE, 0xFFFF,
            0x10000, 0x10FFFF};
        for (int cp : cps) {
            String s = new String(Character.toChars(cp));
            byte[] bytes = write(s);
            assertArrayEquals(expected(s), bytes, Integer.toHexString(cp));
            assertEquals(s, Utf8.read(ByteBuffer.wrap(bytes), "t"), Integer.toHexString(cp));
        }
    }

    @Test
    void everyScalarValueMatchesTheJdk() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int cp = 1; cp <= 0x10FFFF; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                continue;
            }
            sb.appendCodePoint(cp);
            if (sb.length() >= 8000 || cp == 0x10FFFF) {
                String s = sb.toString();
                byte[] bytes = write(s);
                assertArrayEquals(expected(s), bytes);
                assertEquals(s, Utf8.read(ByteBuffer.wrap(bytes), "t"));
                sb.setLength(0);
            }
        }
    }

    /** Whatever a strict JDK decoder accepts (minus U+0000) we accept, and nothing else. */
    @Test
    void randomBytesAgreeWithStrictJdkDecoder() {
        var strict = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        int[] interesting = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
            0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
        Random random = new Random(42);
        int accepted = 0;
        for (int n = 0; n < 200_000; n++) {
            byte[] bytes = new byte[1 + random.nextInt(5)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (random.nextInt(4) == 0 ? random.nextInt(256)
                        : interesting[random.nextInt(interesting.length)]);
            }
            String jdk;
            try {
                CharBuffer chars = strict.decode(ByteBuffer.wrap(bytes));
                jdk = chars.toString().indexOf('\0') >= 0 ? null : chars.toString();
            } catch (CharacterCodingException e) {
                jdk = null;
            }
            String ours;
            try {
                ours = readRaw(bytes, "t");
            } catch (MalformedPacketException e) {
                ours = null;
            }
            assertEquals(jdk, ours, () -> Arrays.toString(bytes));
            if (ours != null) {
                accepted++;
            }
        }
        assertTrue(accepted > 1000, "the sample should include plenty of valid strings: " + accepted);
    }

    @Test
    void longestStringAccepted() throws Exception {
        String ascii = "a".repeat(65535);
        assertEquals(65537, Utf8.encodedLength(ascii));
        byte[] bytes = write(ascii);
        assertEquals((byte) 0xFF, bytes[0]);
        assertEquals((byte) 0xFF, bytes[1]);
        assertEquals(ascii, Utf8.read(ByteBuffer.wrap(bytes), "topic"));

        String wide = "€".repeat(21845); // 3 bytes each: 65535
        assertEquals(wide, Utf8.read(ByteBuffer.wrap(write(wide)), "topic"));
    }

    @Test
    void tooLongRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> Utf8.encodedLength("a".repeat(65536)));
        assertEquals("string is 65536 bytes in UTF-8, the limit is 65535", e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> Utf8.validate("é".repeat(35000), "topic"));
        assertEquals("topic is 70000 bytes in UTF-8, the limit is 65535", e2.getMessage());
        // 32768 chars but 65536 bytes: the char count alone would pass.
        assertThrows(IllegalArgumentException.class, () -> Utf8.validate("é".repeat(32768), "topic"));
    }

    @Test
    void truncatedInputRejected() {
        var e = assertThrows(MalformedPacketException.class, () -> Utf8.read(ByteBuffer.wrap(hex("00")), "topic"));
        assertEquals("topic is cut off inside its length prefix", e.getMessage());
        var e2 = assertThrows(MalformedPacketException.class,
                () -> Utf8.read(ByteBuffer.wrap(hex("00 05 61 62")), "topic"));
        assertEquals("topic claims 5 bytes but only 2 remain in the packet", e2.getMessage());
    }

    @Test
    void readStopsAtTheStringsEnd() throws Exception {
        ByteBuffer buf = ByteBuffer.wrap(hex("00 02 61 62 00 01 63"));
        assertEquals("ab", Utf8.read(buf, "t"));
        assertEquals(4, buf.position());
        assertEquals("c", Utf8.read(buf, "t"));
        assertEquals(7, buf.position());
    }

    @Test
    void writeIgnoresByteOrderAndPosition() {
        ByteBuffer buf = ByteBuffer.allocate(20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buf.position(3);
        Utf8.write("é€", "topic", buf);
        assertEquals(3 + 2 + 5, buf.position());
        assertArrayEquals(hex("00 05 C3 A9 E2 82 AC"), Arrays.copyOfRange(buf.array(), 3, 10));
    }

    @Test
    void writeWithoutRoomThrowsAndWritesNothing() {
        ByteBuffer buf = ByteBuffer.allocate(3);
        assertThrows(java.nio.BufferOverflowException.class, () -> Utf8.write("abc", buf));
        assertEquals(0, buf.position());
    }
}
