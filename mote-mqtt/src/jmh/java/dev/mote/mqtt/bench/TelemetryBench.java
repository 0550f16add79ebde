package dev.mote.mqtt.bench;

import dev.mote.mqtt.internal.telemetry.Telemetry;
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
 * What the telemetry adds to one publish's life (accepted, written, acknowledged) and to one
 * received message, with no JFR recording ("off"), with a recording that does not enable Mote's
 * per-message events ("recording"), and with one that enables them all ("events").
 * Run with {@code -prof gc} to see the allocation per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TelemetryBench {
    private static final String[] EVENTS = {"dev.mote.mqtt.PublishEnqueued", "dev.mote.mqtt.PublishSent",
        "dev.mote.mqtt.PublishAcknowledged", "dev.mote.mqtt.MessageDelivered"};

    @Param({"off", "recording", "events"})
    public String jfr;

    private Telemetry telemetry;
    private Recording recording;

    @Setup
    public void setUp() {
        telemetry = new Telemetry("bench");
        if (!jfr.equals("off")) {
            recording = new Recording();
            recording.setToDisk(true);
            recording.setMaxSize(64L * 1024 * 1024);
            if (jfr.equals("events")) {
                for (String e : EVENTS) {
                    recording.enable(e);
                }
            }
            recording.start();
        }
    }

    @TearDown
    public void tearDown() {
        if (recording != null) {
            recording.close();
        }
    }

    @Benchmark
    public void publishLife() {
        long accepted = telemetry.publishClock();
        telemetry.publishAccepted("bench/topic", 1, 100, false);
        long sent = System.nanoTime();
        telemetry.publishWritten("bench/topic", 1, accepted, sent);
        telemetry.publishAcknowledged("bench/topic", 1, sent);
    }

    @Benchmark
    public void messageReceived() {
        telemetry.messageReceived(1, 100);
    }
}
