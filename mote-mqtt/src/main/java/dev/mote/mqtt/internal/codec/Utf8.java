package dev.mote.mqtt.internal.codec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * MQTT UTF-8 encoded strings (section 1.5.3): a two-byte big-endian length, then that many bytes
 * of well-formed UTF-8 containing no U+0000, at most 65,535 bytes.
 *
 * <p>Encoding checks the Java string (which may hold unpaired surrogates) and throws
 * {@link IllegalArgumentException}; decoding checks the bytes and throws
 * {@link MalformedPacketException}. A byte order mark (U+FEFF) is an ordinary character here and
 * is never stripped ([MQTT-1.5.3-3]).
 */
public final class Utf8 {

    /** The most UTF-8 bytes an MQTT string can hold, as its length prefix is 16 bits. */
    public static final int MAX_BYTES = 65535;

    private Utf8() {}

    /**
     * The number of bytes {@link #write} produces for {@code s}: the 2-byte length prefix plus
     * the UTF-8 bytes.
     *
     * @throws IllegalArgumentException if {@code s} is not a valid MQTT string
     */
    public static int encodedLength(String s) {
        return 2 + utf8Length(s, "string");
    }

    /**
     * As {@link #encodedLength(String)}, with {@code what} (a noun such as "topic") naming the
     * string in error messages.
     */
    public static int encodedLength(String s, String what) {
        return 2 + utf8Length(s, what);
    }

    /**
     * Checks that {@code s} can be sent as an MQTT string.
     *
     * @param what a noun such as "topic", used in the exception message
     * @throws IllegalArgumentException naming the problem and where it is
     */
    public static void validate(String s, String what) {
        utf8Length(s, what);
    }

    /**
     * Writes the length prefix and the UTF-8 bytes of {@code s} at the buffer's position.
     *
     * @throws IllegalArgumentException if {@code s} is not a valid MQTT string (nothing is written)
     * @throws java.nio.BufferOverflowException if {@code out} has too little room
     */
    public static void write(String s, ByteBuffer out) {
        write(s, "string", out);
    }

    /** As {@link #write(String, ByteBuffer)}, with {@code what} naming the string in errors. */
    public static void write(String s, String what, ByteBuffer out) {
        int length = utf8Length(s, what);
        if (out.remaining() < 2 + length) {
            throw new java.nio.BufferOverflowException();
        }
        writeValidated(s, out);
    }

    /**
     * Reads one MQTT string at the buffer's position and advances past it.
     *
     * @param what a noun such as "topic", used in the exception message
     * @throws MalformedPacketException if the buffer ends early, the bytes are not well-formed
     *     UTF-8, or they contain U+0000
     */
    public static String read(ByteBuffer in, String what) throws MalformedPacketException {
        int remaining = in.remaining();
        if (remaining < 2) {
            throw new MalformedPacketException(what + " is cut off inside its length prefix");
        }
        int pos = in.position();
        int length = (in.get(pos) & 0xFF) << 8 | (in.get(pos + 1) & 0xFF);
        if (length > remaining - 2) {
            throw new MalformedPacketException(what + " claims " + length + " bytes but only "
                    + (remaining - 2) + " remain in the packet");
        }
        byte[] bytes;
        int offset;
        if (in.hasArray()) {
            bytes = in.array();
            offset = in.arrayOffset() + pos + 2;
        } else {
            // Direct or read-only buffers: the String needs a byte[] anyway.
            bytes = new byte[length];
            in.get(pos + 2, bytes);
            offset = 0;
        }
        in.position(pos + 2 + length);
        return decode(bytes, offset, length, what);
    }

    /** Decodes {@code length} bytes at {@code offset}, rejecting what MQTT forbids. */
    static String decode(byte[] bytes, int offset, int length, String what)
            throws MalformedPacketException {
        int end = offset + length;
        int i = offset;
        // Signed bytes: 0x01..0x7F are exactly the positive values.
        while (i < end && bytes[i] > 0) {
            i++;
        }
        if (i == end) {
            // Pure ASCII is Latin-1, which gives a compact String without a decoder.
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        }
        checkWellFormed(bytes, i, end, offset, what);
        // Well-formed input decodes exactly; the JDK decoder neither replaces nor strips a BOM.
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }

    /**
     * Walks the bytes from {@code from} against the well-formed sequences of Unicode
     * (Table 3-7), reporting positions relative to {@code start}.
     */
    private static void checkWellFormed(byte[] b, int from, int end, int start, String what)
            throws MalformedPacketException {
        int i = from;
        while (i < end) {
            int b0 = b[i] & 0xFF;
            if (b0 == 0) {
                throw new MalformedPacketException(what + " contains U+0000 at byte " + (i - start));
            }
            if (b0 < 0x80) {
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F;
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                throw illFormed(what, i - start, b0 < 0xC0 ? "unexpected continuation byte"
                        : b0 < 0xC2 ? "overlong encoding"
                        : b0 < 0xF8 ? "code point above U+10FFFF"
                        : "invalid byte 0x" + Integer.toHexString(b0).toUpperCase(Locale.ROOT));
            }
            if (end - i <= need) {
                // Distinguish a cut-off sequence from a bad byte inside the bytes that are there.
                for (int k = 1; i + k < end; k++) {
                    int bk = b[i + k] & 0xFF;
                    if (bk < 0x80 || bk > 0xBF) {
                        throw illFormed(what, i - start, "incomplete sequence");
                    }
                }
                throw illFormed(what, i - start, "truncated sequence");
            }
            int b1 = b[i + 1] & 0xFF;
            if (b1 < lo || b1 > hi) {
                String why;
                if (b1 < 0x80 || b1 > 0xBF) {
                    why = "incomplete sequence";
                } else if (b0 == 0xED) {
                    why = "encoded surrogate";
                } else if (b0 == 0xF4) {
                    why = "code point above U+10FFFF";
                } else {
                    why = "overlong encoding";
                }
                throw illFormed(what, i - start, why);
            }
            for (int k = 2; k <= need; k++) {
                int bk = b[i + k] & 0xFF;
                if (bk < 0x80 || bk > 0xBF) {
                    throw illFormed(what, i - start, "incomplete sequence");
                }
            }
            i += need + 1;
        }
    }

    private static MalformedPacketException illFormed(String what, int at, String why) {
        return new MalformedPacketException(
                what + " is not well-formed UTF-8 at byte " + at + " (" + why + ")");
    }

    /**
     * The UTF-8 length of {@code s}, without the prefix, after checking it is a valid MQTT
     * string.
     */
    static int utf8Length(String s, String what) {
        Objects.requireNonNull(s, what);
        int n = s.length();
        // long: three bytes per char overflows int for strings near the maximum Java length.
        long bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                if (c == 0) {
                    throw new IllegalArgumentException(what + " contains U+0000 at index " + i);
                }
            } else if (c < 0x800) {
                bytes += 1;
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n
                        && Character.isLowSurrogate(s.charAt(i + 1))) {
                    // Two chars, four bytes.
                    bytes += 2;
                    i++;
                } else {
                    throw new IllegalArgumentException(what + " contains an unpaired surrogate U+"
                            + Integer.toHexString(c).toUpperCase(Locale.ROOT)
                            + " at index " + i);
                }
            } else {
                bytes += 2;
            }
        }
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException(
                    what + " is " + bytes + " bytes in UTF-8, the limit is " + MAX_BYTES);
        }
        return (int) bytes;
    }

    /**
     * Writes a string already checked by {@link #utf8Length}. The length prefix is filled in
     * afterwards, so the string is walked once.
     */
    static void writeValidated(String s, ByteBuffer out) {
        int prefixAt = out.position();
        out.position(prefixAt + 2);
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                out.put((byte) c);
            } else if (c < 0x800) {
                out.put((byte) (0xC0 | c >>> 6));
                out.put((byte) (0x80 | c & 0x3F));
            } else if (Character.isHighSurrogate(c)) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                out.put((byte) (0xF0 | cp >>> 18));
                out.put((byte) (0x80 | cp >>> 12 & 0x3F));
                out.put((byte) (0x80 | cp >>> 6 & 0x3F));
                out.put((byte) (0x80 | cp & 0x3F));
            } else {
                out.put((byte) (0xE0 | c >>> 12));
                out.put((byte) (0x80 | c >>> 6 & 0x3F));
                out.put((byte) (0x80 | c & 0x3F));
            }
        }
        int length = out.position() - prefixAt - 2;
        out.put(prefixAt, (byte) (length >>> 8));
        out.put(prefixAt + 1, (byte) length);
    }
}
