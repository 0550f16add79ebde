package dev.mote.mqtt.internal.client;

import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.Qos;
import java.time.Duration;
import java.util.Optional;

/** The client's handle on one publish: "done" is the final outcome, "sent" the write. */
final class DeliveryImpl extends Completion implements Delivery, SendTracker {
    private final String topic;
    private final byte[] payload;
    private final boolean retain;
    private final Qos qos;
    private final long ackTimeoutNanos;
    private final Completion sent = new Completion();
    /** When publish accepted it (System.nanoTime()), or 0 when no JFR recording asked; for the PublishSent event. */
    long acceptedAt;
    /** When its PUBLISH was first written, 0 before; the acknowledgement latency is measured from it. */
    volatile long sentAt;

    DeliveryImpl(String topic, byte[] payload, boolean retain, Qos qos, long ackTimeoutNanos) {
        this.topic = topic;
        this.payload = payload;
        this.retain = retain;
        this.qos = qos;
        this.ackTimeoutNanos = ackTimeoutNanos;
    }

    @Override
    public String topic() {
        return topic;
    }

    @Override
    public Qos qos() {
        return qos;
    }

    /** The payload, kept while a QoS 0 message waits in the offline buffer. */
    byte[] payload() {
        return payload;
    }

    int payloadLength() {
        return payload.length;
    }

    boolean retain() {
        return retain;
    }

    @Override
    public Status status() {
        if (isDone()) {
            return failureCause() == null ? Status.ACKNOWLEDGED : Status.FAILED;
        }
        return sent.isDone() ? Status.SENT : Status.QUEUED;
    }

    @Override
    public Optional<MqttException> failure() {
        return Optional.ofNullable(failureCause());
    }

    @Override
    public Delivery await() {
        awaitOrThrow(ackTimeoutNanos, describe());
        return this;
    }

    @Override
    public boolean await(Duration timeout) {
        if (!awaitNanos(timeout.toNanos(), describe())) {
            return false;
        }
        MqttException f = failureCause();
        if (f != null) {
            throw Failures.rethrow(f);
        }
        return true;
    }

    @Override
    public Delivery awaitSent() {
        if (!isDone()) {
            sent.awaitOrThrow(ackTimeoutNanos, "the QoS " + qos.value() + " PUBLISH to " + topic + " to be written");
        }
        MqttException f = failureCause();
        if (f != null) {
            throw Failures.rethrow(f);
        }
        return this;
    }

    @Override
    public void written() {
        sent.complete();
    }

    @Override
    boolean fail(MqttException cause) {
        boolean first = super.fail(cause);
        sent.fail(cause);
        return first;
    }

    private String describe() {
        return "the acknowledgement of the QoS " + qos.value() + " PUBLISH to " + topic;
    }

    @Override
    public String toString() {
        return "Delivery[" + topic + ", qos=" + qos.value() + ", " + status() + "]";
    }
}
