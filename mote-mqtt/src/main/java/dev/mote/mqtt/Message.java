package dev.mote.mqtt;

import dev.mote.mqtt.internal.util.AckHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A message received from the broker: topic, payload, QoS and flags, compared by value
 * ({@link #equals} ignores the acknowledgement state).
 *
 * <p>With {@link Acknowledgement#MANUAL} the broker gets the PUBACK (QoS 1) or PUBREC (QoS 2)
 * only after {@link #ack()}; otherwise {@code ack()} does nothing.
 */
public final class Message {

    static {
        AckHandle.Messages.register(new AckHandle.MessageFactory() {
            @Override
            public Message create(String topic, byte[] payload, Qos qos, boolean retained, boolean duplicate,
                    AckHandle handle, long receivedAt) {
                return new Message(topic, payload, qos, retained, duplicate, handle, receivedAt);
            }

            @Override
            public long receivedAt(Message m) {
                return m.receivedAt;
            }
        });
    }

    private final String topic;
    private final byte[] payload;
    private final Qos qos;
    private final boolean retained;
    private final boolean duplicate;
    /** Null when there is nothing to acknowledge (QoS 0, automatic mode, or made by the application). */
    private final AckHandle ackHandle;
    /** System.nanoTime() when the client received it (0 if made by the application), for queueing time. */
    private final long receivedAt;

    /**
     * Creates a message as received (applications build one mainly in tests).
     * @param topic     the topic it was published to (never a wildcard)
     * @param payload   the bytes, possibly empty; the array belongs to the receiver
     * @param qos       the QoS it was delivered with (at most the subscription's granted QoS)
     * @param retained  true if the broker sent it as a retained message on subscribe
     * @param duplicate true if the broker marked it as a possible re-delivery (DUP flag)
     */
    public Message(String topic, byte[] payload, Qos qos, boolean retained, boolean duplicate) {
        this(topic, payload, qos, retained, duplicate, null, 0L);
    }

    private Message(String topic, byte[] payload, Qos qos, boolean retained, boolean duplicate, AckHandle ackHandle,
            long receivedAt) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.payload = Objects.requireNonNull(payload, "payload");
        this.qos = Objects.requireNonNull(qos, "qos");
        this.retained = retained;
        this.duplicate = duplicate;
        this.ackHandle = ackHandle;
        this.receivedAt = receivedAt;
    }

    /** The topic it was published to (never a wildcard). */
    public String topic() {
        return topic;
    }

    /** The bytes, possibly empty; the array belongs to the receiver. */
    public byte[] payload() {
        return payload;
    }

    /** The QoS it was delivered with (at most the subscription's granted QoS). */
    public Qos qos() {
        return qos;
    }

    /** True if the broker sent it as a retained message on subscribe. */
    public boolean retained() {
        return retained;
    }

    /** True if the broker marked it as a possible re-delivery (DUP flag). */
    public boolean duplicate() {
        return duplicate;
    }

    /** The payload decoded as UTF-8. */
    public String payloadAsString() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /**
     * Acknowledges the message to the broker, in manual acknowledgement mode: its PUBACK or
     * PUBREC leaves once every message received before it was acknowledged too (the protocol
     * keeps acknowledgements in arrival order). A message routed to several subscriptions is
     * acknowledged once each manual subscription acknowledged its copy. Calling it again, for a
     * QoS 0 message, or in automatic mode does nothing; never blocks.
     */
    public void ack() {
        if (ackHandle != null) {
            ackHandle.ack();
        }
    }

    /** True if {@link #ack()} decides when the broker gets this message's acknowledgement. */
    public boolean needsAck() {
        return ackHandle != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m
                && topic.equals(m.topic)
                && Arrays.equals(payload, m.payload)
                && qos == m.qos
                && retained == m.retained
                && duplicate == m.duplicate;
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, Arrays.hashCode(payload), qos, retained, duplicate);
    }

    @Override
    public String toString() {
        return "Message[topic=" + topic + ", qos=" + qos.value() + ", " + payload.length + " bytes"
                + (retained ? ", retained" : "") + (duplicate ? ", duplicate" : "") + "]";
    }
}
