package dev.mote.demo;

import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Wait;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;

/**
 * A simulated device: its own client, publishing numbered telemetry to
 * {@code demo/devices/{id}/telemetry} on the thread that runs it.
 *
 * <p>Payload: device index (4 bytes), sequence number (8), {@link System#nanoTime()} at publish
 * (8), then zeros up to the payload size. QoS 1 and 2 publishes do not wait ({@link Wait#NONE});
 * the device keeps at most one in-flight window of unsettled deliveries, counts those already
 * acknowledged after each publish and awaits the oldest when the window is full, so memory
 * stays flat however long it runs. A device also never runs more than {@code lead} messages
 * ahead of what the consumer has received, so it cannot flood the broker.
 */
public final class Device implements Runnable {
    /** Bytes of the payload header: device index, sequence number, send time. */
    public static final int HEADER_BYTES = 4 + 8 + 8;

    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(10);
    private static final long LEAD_TIMEOUT_NANOS = 100_000_000L;

    private final MqttClient client;
    private final DeviceStats stats;
    private final String topic;
    private final int payloadBytes;
    private final long count;
    private final long deadline;
    private final long periodNanos;
    private final int lead;

    private record Pending(long seq, Delivery delivery) { }

    /**
     * @param count    messages to publish, or 0 to publish until {@code deadline}
     * @param deadline {@link System#nanoTime()} at which to stop when {@code count} is 0
     * @param rate     messages per second, or 0 for as fast as possible
     * @param lead     how many messages the device may run ahead of the consumer
     */
    Device(MqttClient client, DeviceStats stats, int payloadBytes, long count, long deadline, int rate, int lead) {
        this.client = client;
        this.stats = stats;
        this.topic = topicOf(stats.id());
        this.payloadBytes = payloadBytes;
        this.count = count;
        this.deadline = deadline;
        this.periodNanos = rate == 0 ? 0 : 1_000_000_000L / rate;
        this.lead = lead;
    }

    /** The topic a device publishes to. */
    public static String topicOf(String id) {
        return "demo/devices/" + id + "/telemetry";
    }

    @Override
    public void run() {
        Qos qos = stats.qos();
        int window = client.options().inFlightWindow();
        ArrayDeque<Pending> pending = new ArrayDeque<>(window);
        long next = System.nanoTime();
        try {
            for (long seq = 0; count > 0 ? seq < count : System.nanoTime() - deadline < 0; seq++) {
                if (seq == Integer.MAX_VALUE) {
                    break; // sequence numbers are tracked as bits of a BitSet
                }
                if (periodNanos > 0) {
                    long now = System.nanoTime();
                    next = Math.max(next + periodNanos, now - periodNanos); // fell behind: no burst to catch up
                    if (next - now > 0) {
                        LockSupport.parkNanos(next - now);
                    }
                }
                stats.awaitConsumer(seq, lead, LEAD_TIMEOUT_NANOS);
                Delivery d = client.publish(topic, payload(seq), qos, false, Wait.NONE);
                stats.sent();
                if (qos != Qos.AT_MOST_ONCE) {
                    pending.add(new Pending(seq, d));
                    // Count what is acknowledged already; wait for the oldest only when a window's worth is open.
                    while (!pending.isEmpty() && (pending.size() >= window || pending.peek().delivery().isDone())) {
                        if (!settle(pending.poll(), SETTLE_TIMEOUT.toNanos())) {
                            return; // the broker stopped acknowledging; the rest is settled by the finally
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            stats.failed(stats.id() + ": " + e.getMessage());
        } finally {
            long drainDeadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
            for (Pending p : pending) {
                settle(p, Math.max(1, drainDeadline - System.nanoTime()));
            }
        }
    }

    /** Waits for one acknowledgement; false (and the failure recorded) if it failed or timed out. */
    private boolean settle(Pending p, long timeoutNanos) {
        try {
            if (p.delivery().await(Duration.ofNanos(timeoutNanos))) {
                stats.acknowledged(p.seq());
                return true;
            }
            stats.failed(stats.id() + ": no acknowledgement for message " + p.seq() + " within "
                    + Duration.ofNanos(timeoutNanos).toMillis() + " ms");
        } catch (MqttException e) {
            stats.failed(stats.id() + ": message " + p.seq() + " failed: " + e.getMessage());
        }
        return false;
    }

    private byte[] payload(long seq) {
        byte[] payload = new byte[payloadBytes];
        ByteBuffer.wrap(payload).putInt(stats.index()).putLong(seq).putLong(System.nanoTime());
        return payload;
    }
}
