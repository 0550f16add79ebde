package dev.mote.mqtt.bench;

import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Wait;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The whole publish path of a real client (validation, window, session, writer, socket) against
 * a local sink that answers CONNACK, PUBACK and PINGRESP and discards the rest: QoS 0
 * fire-and-forget throughput and the QoS 1 round trip. Uses only the public API, so the same
 * file runs against an older commit for comparison. {@code jfr=events} runs it under a JFR
 * recording with Mote's per-message events enabled.
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PublishPathBench {
    private static final String[] EVENTS = {"dev.mote.mqtt.PublishEnqueued", "dev.mote.mqtt.PublishSent",
        "dev.mote.mqtt.PublishAcknowledged", "dev.mote.mqtt.MessageDelivered"};

    @Param({"off", "events"})
    public String jfr;

    private ServerSocket sink;
    private MqttClient client;
    private Recording recording;
    private final byte[] payload = new byte[100];

    @Setup
    public void setUp() throws IOException {
        sink = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("sink").start(this::serve);
        client = MqttClient.connect(MqttOptions.builder("mqtt://127.0.0.1:" + sink.getLocalPort()).clientId("bench").build());
        if (jfr.equals("events")) {
            recording = new Recording();
            recording.setToDisk(true);
            recording.setMaxSize(64L * 1024 * 1024);
            for (String e : EVENTS) {
                recording.enable(e);
            }
            recording.start();
        }
    }

    @TearDown
    public void tearDown() throws IOException {
        client.close();
        sink.close();
        if (recording != null) {
            recording.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    public Object qos0() {
        return client.publish("bench/qos0", payload, Qos.AT_MOST_ONCE, false, Wait.NONE);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    public Object qos1RoundTrip() {
        return client.publish("bench/qos1", payload, Qos.AT_LEAST_ONCE, false, Wait.ACK);
    }

    /** The sink: one connection; CONNACK, PUBACK per QoS 1 PUBLISH, PINGRESP; everything else is read and dropped. */
    private void serve() {
        try (Socket s = sink.accept()) {
            s.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 64 * 1024));
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
            byte[] body = new byte[1024];
            while (true) {
                int header = in.read();
                if (header < 0) {
                    return;
                }
                int length = remainingLength(in);
                if (body.length < length) {
                    body = new byte[length];
                }
                in.readFully(body, 0, length);
                int type = header >>> 4;
                if (type == 1) {
                    out.write(new byte[] {0x20, 2, 0, 0});
                } else if (type == 3 && ((header >>> 1) & 3) == 1) {
                    int topicLength = ((body[0] & 0xff) << 8) | (body[1] & 0xff);
                    out.write(new byte[] {0x40, 2, body[2 + topicLength], body[3 + topicLength]});
                } else if (type == 12) {
                    out.write(new byte[] {(byte) 0xd0, 0});
                } else if (type == 14) {
                    return;
                }
                if (in.available() == 0) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            // the benchmark ended
        }
    }

    private static int remainingLength(InputStream in) throws IOException {
        int value = 0;
        int multiplier = 1;
        int b;
        do {
            b = in.read();
            if (b < 0) {
                throw new IOException("end of stream");
            }
            value += (b & 0x7f) * multiplier;
            multiplier *= 128;
        } while ((b & 0x80) != 0);
        return value;
    }
}
