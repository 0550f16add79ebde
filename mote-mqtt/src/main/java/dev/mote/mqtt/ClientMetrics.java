package dev.mote.mqtt;

import java.time.Duration;

/**
 * A snapshot of a client's counters and gauges, from {@link MqttClient#metrics()}. Counters only
 * grow over the client's life; gauges are the value at the moment of the snapshot. Byte counts
 * are payload bytes (what the application published or received), except the two wire counts.
 *
 * @param published           messages accepted by {@code publish}, per QoS
 * @param publishedBytes      their payload bytes, per QoS
 * @param acknowledged        publishes done: PUBACK (QoS 1), PUBCOMP (QoS 2), written (QoS 0)
 * @param failed              publishes that failed (lost QoS 0, closed client, dropped offline)
 * @param received            messages received from the broker and routed, per QoS
 *                            (a QoS 2 resend answered without delivery is not counted)
 * @param receivedBytes       their payload bytes, per QoS
 * @param duplicatesDropped   QoS 2 messages the broker sent again that were answered without a
 *                            second delivery (a resend before PUBREL, or a resend after it, which
 *                            a broker should not make; see {@code docs/resilience.md})
 * @param wireBytesOut        bytes written to the connection, all packets
 * @param wireBytesIn         bytes read from the connection, all packets
 * @param inFlight            gauge: QoS 1 and 2 publishes not yet acknowledged, plus QoS 0 ones not yet written
 * @param queuedOffline       gauge: publishes waiting in the offline buffer while reconnecting
 * @param inboundBuffered     gauge: received messages waiting in subscription buffers
 * @param unacknowledged      gauge: messages waiting for {@link Message#ack()} (manual mode)
 * @param connectAttempts     connection attempts, first and reconnects, successful or not
 * @param reconnects          successful reconnects (connections after the first)
 * @param disconnects         established connections that were lost
 * @param ackLatency          from writing a QoS 1 or 2 PUBLISH to its PUBACK or PUBCOMP
 */
public record ClientMetrics(
        PerQos published, PerQos publishedBytes, long acknowledged, long failed,
        PerQos received, PerQos receivedBytes, long duplicatesDropped, long wireBytesOut, long wireBytesIn,
        int inFlight, int queuedOffline, int inboundBuffered, int unacknowledged,
        long connectAttempts, long reconnects, long disconnects, Latency ackLatency) {

    /**
     * One count per QoS level.
     *
     * @param qos0 at most once
     * @param qos1 at least once
     * @param qos2 exactly once
     */
    public record PerQos(long qos0, long qos1, long qos2) {
        /** The count for {@code qos}. */
        public long of(Qos qos) {
            return switch (qos) {
                case AT_MOST_ONCE -> qos0;
                case AT_LEAST_ONCE -> qos1;
                case EXACTLY_ONCE -> qos2;
            };
        }

        /** The sum over all three levels. */
        public long total() {
            return qos0 + qos1 + qos2;
        }
    }

    /**
     * A latency distribution from a fixed-bucket histogram: percentiles are the upper bound of
     * the bucket they fall in (at most {@link #max()}), so they are accurate to the bucket width
     * (about a factor of 2).
     *
     * @param count how many were measured
     * @param p50   median
     * @param p90   90th percentile
     * @param p99   99th percentile
     * @param max   largest seen
     */
    public record Latency(long count, Duration p50, Duration p90, Duration p99, Duration max) {
        /** No measurements yet. */
        public static final Latency NONE = new Latency(0, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);
    }
}
