package dev.mote.mqtt.internal.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The little of ASN.1 DER (ITU-T X.690) that turning PKCS#1 and SEC1 keys into PKCS#8 needs: read
 * one tag-length-value, list the children of a SEQUENCE, and write SEQUENCE, INTEGER, NULL,
 * OCTET STRING and OBJECT IDENTIFIER. Only single-byte tags (all that these formats use).
 */
public final class Der {
    public static final int INTEGER = 0x02;
    public static final int BIT_STRING = 0x03;
    public static final int OCTET_STRING = 0x04;
    public static final int NULL = 0x05;
    public static final int OBJECT_IDENTIFIER = 0x06;
    public static final int SEQUENCE = 0x30;
    /** {@code [0]} constructed, explicit context tag 0. */
    public static final int CONTEXT_0 = 0xA0;
    /** {@code [1]} constructed, explicit context tag 1. */
    public static final int CONTEXT_1 = 0xA1;

    private Der() {}

    /** Thrown for bytes that are not the DER this class expects. */
    public static final class DerException extends Exception {
        DerException(String message) {
            super(message);
        }
    }

    /** One decoded tag-length-value; {@code value()} is a copy of its content octets. */
    public record Tlv(int tag, byte[] buf, int valueStart, int valueEnd) {
        public byte[] value() {
            return Arrays.copyOfRange(buf, valueStart, valueEnd);
        }

        public int length() {
            return valueEnd - valueStart;
        }

        /** The TLVs inside a constructed value (SEQUENCE, [0], ...). */
        public List<Tlv> children() throws DerException {
            if ((tag & 0x20) == 0) {
                throw new DerException("tag 0x" + Integer.toHexString(tag) + " is not constructed");
            }
            List<Tlv> out = new ArrayList<>();
            int p = valueStart;
            while (p < valueEnd) {
                Tlv t = readAt(buf, p, valueEnd);
                out.add(t);
                p = t.valueEnd;
            }
            return out;
        }

        public BigInteger integer() throws DerException {
            expect(INTEGER);
            if (length() == 0) {
                throw new DerException("empty INTEGER");
            }
            return new BigInteger(value());
        }

        public String oid() throws DerException {
            expect(OBJECT_IDENTIFIER);
            return oidToString(value());
        }

        public Tlv expect(int expectedTag) throws DerException {
            if (tag != expectedTag) {
                throw new DerException("expected " + tagName(expectedTag) + " but found " + tagName(tag));
            }
            return this;
        }
    }

    /** Decodes {@code der}, which must hold exactly one TLV and nothing after it. */
    public static Tlv read(byte[] der) throws DerException {
        Tlv t = readAt(der, 0, der.length);
        if (t.valueEnd != der.length) {
            throw new DerException((der.length - t.valueEnd) + " bytes after the end of the DER value");
        }
        return t;
    }

    private static Tlv readAt(byte[] buf, int p, int limit) throws DerException {
        if (p + 2 > limit) {
            throw new DerException("truncated DER header");
        }
        int tag = buf[p++] & 0xFF;
        if ((tag & 0x1F) == 0x1F) {
            throw new DerException("multi-byte DER tags are not used by key formats");
        }
        int first = buf[p++] & 0xFF;
        long len;
        if (first < 0x80) {
            len = first;
        } else {
            int n = first & 0x7F;
            if (n == 0 || n > 4) {
                throw new DerException(n == 0 ? "indefinite length is not DER" : "DER length of " + n + " bytes is too long");
            }
            if (p + n > limit) {
                throw new DerException("truncated DER length");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (buf[p++] & 0xFF);
            }
        }
        if (len > limit - p) {
            throw new DerException("DER value claims " + len + " bytes but only " + (limit - p) + " remain");
        }
        return new Tlv(tag, buf, p, p + (int) len);
    }

    // ---------------------------------------------------------------- writing

    /** Encodes one TLV whose content is the concatenation of {@code contents}. */
    public static byte[] tlv(int tag, byte[]... contents) {
        int len = 0;
        for (byte[] c : contents) {
            len += c.length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(len + 6);
        out.write(tag);
        writeLength(out, len);
        for (byte[] c : contents) {
            out.writeBytes(c);
        }
        return out.toByteArray();
    }

    private static void writeLength(ByteArrayOutputStream out, int len) {
        if (len < 0x80) {
            out.write(len);
            return;
        }
        int bytes = len > 0xFFFFFF ? 4 : len > 0xFFFF ? 3 : len > 0xFF ? 2 : 1;
        out.write(0x80 | bytes);
        for (int i = bytes - 1; i >= 0; i--) {
            out.write(len >>> (8 * i));
        }
    }

    public static byte[] sequence(byte[]... items) {
        return tlv(SEQUENCE, items);
    }

    public static byte[] integer(BigInteger v) {
        return tlv(INTEGER, v.toByteArray());
    }

    public static byte[] integer(long v) {
        return integer(BigInteger.valueOf(v));
    }

    public static byte[] octetString(byte[] content) {
        return tlv(OCTET_STRING, content);
    }

    public static byte[] nullValue() {
        return new byte[] {NULL, 0};
    }

    /** Encodes a dotted object identifier such as {@code 1.2.840.10045.2.1}. */
    public static byte[] oid(String dotted) {
        String[] parts = dotted.split("\\.");
        if (parts.length < 2) {
            throw new IllegalArgumentException("an OID has at least two arcs: " + dotted);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BigInteger first = new BigInteger(parts[0]).multiply(BigInteger.valueOf(40)).add(new BigInteger(parts[1]));
        writeBase128(out, first);
        for (int i = 2; i < parts.length; i++) {
            writeBase128(out, new BigInteger(parts[i]));
        }
        return tlv(OBJECT_IDENTIFIER, out.toByteArray());
    }

    private static void writeBase128(ByteArrayOutputStream out, BigInteger v) {
        if (v.signum() < 0) {
            throw new IllegalArgumentException("negative OID arc");
        }
        int groups = Math.max(1, (v.bitLength() + 6) / 7);
        for (int g = groups - 1; g >= 0; g--) {
            int b = v.shiftRight(7 * g).intValue() & 0x7F;
            out.write(g == 0 ? b : b | 0x80);
        }
    }

    /** Decodes the content octets of an OBJECT IDENTIFIER into dotted form. */
    public static String oidToString(byte[] content) throws DerException {
        if (content.length == 0 || (content[content.length - 1] & 0x80) != 0) {
            throw new DerException("malformed OBJECT IDENTIFIER");
        }
        StringBuilder sb = new StringBuilder();
        BigInteger arc = BigInteger.ZERO;
        boolean first = true;
        for (byte b : content) {
            arc = arc.shiftLeft(7).or(BigInteger.valueOf(b & 0x7F));
            if ((b & 0x80) == 0) {
                if (first) {
                    int top = arc.compareTo(BigInteger.valueOf(80)) >= 0 ? 2 : arc.intValue() / 40;
                    sb.append(top).append('.').append(arc.subtract(BigInteger.valueOf(40L * top)));
                    first = false;
                } else {
                    sb.append('.').append(arc);
                }
                arc = BigInteger.ZERO;
            }
        }
        return sb.toString();
    }

    static String tagName(int tag) {
        return switch (tag) {
            case INTEGER -> "INTEGER";
            case BIT_STRING -> "BIT STRING";
            case OCTET_STRING -> "OCTET STRING";
            case NULL -> "NULL";
            case OBJECT_IDENTIFIER -> "OBJECT IDENTIFIER";
            case SEQUENCE -> "SEQUENCE";
            case CONTEXT_0 -> "[0]";
            case CONTEXT_1 -> "[1]";
            default -> "tag 0x" + Integer.toHexString(tag);
        };
    }
}
