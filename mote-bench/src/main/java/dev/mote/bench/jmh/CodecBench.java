package dev.mote.bench.jmh;

import dev.mote.mqtt.internal.codec.MalformedPacketException;
import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.PacketDecoder;
import dev.mote.mqtt.internal.codec.PacketEncoder;
import dev.mote.mqtt.internal.codec.Publish;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding and decoding one QoS 1 PUBLISH (topic "sensors/building-7/floor-3/temperature") with a
 * 64 B or 1 KiB payload. Bytes per second = ops/s × {@link #packetBytes}; allocation per
 * operation comes from {@code -prof gc} (gc.alloc.rate.norm).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBench {

    @Param({"64", "1024"})
    public int payloadBytes;

    private Publish publish;
    private ByteBuffer out;
    private ByteBuffer encoded;
    private PacketDecoder decoder;
    /** The encoded packet's size, to turn operations per second into bytes per second. */
    public int packetBytes;

    @Setup(Level.Trial)
    public void setUp() {
        publish = new Publish("sensors/building-7/floor-3/temperature", new byte[payloadBytes], 1, false, false, 4711);
        byte[] bytes = PacketEncoder.encode(publish);
        packetBytes = bytes.length;
        encoded = ByteBuffer.wrap(bytes);
        out = ByteBuffer.allocate(bytes.length * 2);
        decoder = new PacketDecoder(1 << 20);
        System.out.println("\npacket bytes: " + packetBytes);
    }

    @Benchmark
    public ByteBuffer encode() {
        out.clear();
        PacketEncoder.encode(publish, out);
        return out;
    }

    @Benchmark
    public Packet decode() throws MalformedPacketException {
        encoded.rewind();
        return decoder.decode(encoded);
    }
}
