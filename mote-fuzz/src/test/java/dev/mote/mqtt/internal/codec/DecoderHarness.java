package dev.mote.mqtt.internal.codec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The checks of the decoder fuzz target, apart from Jazzer so that a plain JUnit test can replay
 * an input too. {@link #check(byte[])} feeds the bytes to {@link PacketDecoder}s configured with
 * several maximum packet sizes, each in three ways, and throws {@link AssertionError} for anything
 * the decoder may not do. Any other exception type escaping from here is a finding as well.
 *
 * <p>Allowed outcomes of one {@code decode} call: a packet, {@code null} with the input used up
 * (more bytes needed), or {@link MalformedPacketException}. Checked on top of that:
 * <ul>
 *   <li>the decoder's accumulator never exceeds the maximum packet size, nor grows ahead of the
 *       bytes that arrived (at most twice what was fed, or the 256-byte first size);
 *   <li>a call that returns a packet consumes bytes, and one that returns {@code null} consumes
 *       all of them, so the caller's loop always ends;
 *   <li>the same bytes give the same packets and the same error whether they come at once (in a
 *       heap buffer with an array offset), one byte per call, or in pseudo-random chunks through a
 *       small direct buffer that is compacted between reads, as the client's reader does;
 *   <li>every decoded packet the encoder accepts encodes to {@link PacketEncoder#encodedSize} bytes
 *       that decode to an equal packet.
 * </ul>
 */
public final class DecoderHarness {

    /** Maximum packet sizes tried: tiny, around the one- and two-byte length limits, unlimited. */
    static final int[] MAX_SIZES = {5, 130, 300, Integer.MAX_VALUE};

    /** Capacity of the direct buffer of the chunked feed: small, so packets straddle reads. */
    private static final int READ_BUFFER = 61;

    private DecoderHarness() {}

    /** Runs every check on {@code data}. */
    public static void check(byte[] data) {
        if (data == null) {
            return;
        }
        for (int max : MAX_SIZES) {
            List<Object> whole = feedWhole(data, max);
            List<Object> single = feedBytes(data, max);
            List<Object> chunked = feedChunks(data, max);
            if (!whole.equals(single) || !whole.equals(chunked)) {
                throw new AssertionError("max " + max + ": outcomes differ by how the bytes arrive:\n whole   "
                        + whole + "\n bytes   " + single + "\n chunks  " + chunked);
            }
            if (max == Integer.MAX_VALUE) {
                for (Object o : whole) {
                    if (o instanceof Packet p) {
                        roundTrip(p);
                    }
                }
            }
        }
    }

    /** All bytes in one call, in a heap buffer that is a slice with a non-zero array offset. */
    static List<Object> feedWhole(byte[] data, int max) {
        byte[] padded = new byte[data.length + 6];
        System.arraycopy(data, 0, padded, 3, data.length);
        ByteBuffer in = ByteBuffer.wrap(padded, 3, data.length).slice();
        PacketDecoder d = new PacketDecoder(max);
        Feed f = new Feed(d, max);
        f.fed = data.length;
        f.drain(in);
        return f.finish();
    }

    /** One byte per call, each a one-byte window into the original array. */
    static List<Object> feedBytes(byte[] data, int max) {
        PacketDecoder d = new PacketDecoder(max);
        Feed f = new Feed(d, max);
        for (int i = 0; i < data.length && !f.failed; i++) {
            f.fed++;
            f.drain(ByteBuffer.wrap(data, i, 1));
        }
        return f.finish();
    }

    /** Pseudo-random chunks (seeded by the data) into a small direct buffer, compacted after each read. */
    static List<Object> feedChunks(byte[] data, int max) {
        PacketDecoder d = new PacketDecoder(max);
        Feed f = new Feed(d, max);
        ByteBuffer buf = ByteBuffer.allocateDirect(READ_BUFFER);
        long seed = Arrays.hashCode(data) * 0x9E3779B97F4A7C15L + data.length;
        int at = 0;
        while (at < data.length && !f.failed) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            int want = 1 + (int) ((seed >>> 33) % 23);
            int n = Math.min(Math.min(want, buf.remaining()), data.length - at);
            buf.put(data, at, n);
            at += n;
            f.fed += n;
            buf.flip();
            f.drain(buf);
            buf.compact();
        }
        return f.finish();
    }

    /** Encodes {@code p} (if the encoder accepts it) and decodes it again. */
    static void roundTrip(Packet p) {
        byte[] bytes;
        try {
            bytes = PacketEncoder.encode(p);
        } catch (IllegalArgumentException refused) {
            return; // the decoder is more lenient than the encoder here, e.g. a server-side rule
        }
        if (bytes.length != PacketEncoder.encodedSize(p)) {
            throw new AssertionError("encodedSize " + PacketEncoder.encodedSize(p) + " but encode wrote "
                    + bytes.length + " bytes for " + p);
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        Packet again;
        try {
            again = new PacketDecoder(Integer.MAX_VALUE).decode(in);
        } catch (MalformedPacketException e) {
            throw new AssertionError("re-encoded " + p + " does not decode: " + e.getMessage(), e);
        }
        if (again == null || in.hasRemaining()) {
            throw new AssertionError("re-encoded " + p + " is not exactly one packet: got " + again
                    + " with " + in.remaining() + " bytes left");
        }
        if (!p.equals(again) || !again.equals(p)) {
            throw new AssertionError("round trip changed the packet: " + p + " became " + again);
        }
    }

    /** The state of one way of feeding a decoder: what came out, and how much went in. */
    private static final class Feed {
        final PacketDecoder decoder;
        final int max;
        final List<Object> out = new ArrayList<>();
        long fed;
        boolean failed;

        Feed(PacketDecoder decoder, int max) {
            this.decoder = decoder;
            this.max = max;
        }

        /** Decodes until the decoder asks for more bytes or fails. */
        void drain(ByteBuffer in) {
            while (!failed) {
                int before = in.remaining();
                Packet p;
                try {
                    p = decoder.decode(in);
                } catch (MalformedPacketException e) {
                    Objects.requireNonNull(e.getMessage(), "MalformedPacketException without a message");
                    out.add("malformed: " + e.getMessage());
                    failed = true;
                    checkCapacity();
                    return;
                }
                checkCapacity();
                if (p == null) {
                    if (in.hasRemaining()) {
                        throw new AssertionError("decode returned null with " + in.remaining()
                                + " bytes unread; the caller's loop would spin");
                    }
                    return;
                }
                if (in.remaining() >= before) {
                    throw new AssertionError("decode returned " + p + " without consuming a byte");
                }
                out.add(p);
            }
        }

        void checkCapacity() {
            int capacity = decoder.bufferedCapacity();
            if (capacity > max) {
                throw new AssertionError("the decoder holds a " + capacity
                        + "-byte buffer, over the maximum packet size of " + max);
            }
            if (capacity > Math.max(256, 2 * fed)) {
                throw new AssertionError("the decoder holds a " + capacity + "-byte buffer after only "
                        + fed + " bytes arrived");
            }
        }

        List<Object> finish() {
            if (!failed) {
                out.add(decoder.hasPartialPacket() ? "needs more bytes" : "clean end");
            }
            return out;
        }
    }
}
