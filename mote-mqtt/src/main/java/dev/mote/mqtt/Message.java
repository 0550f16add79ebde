package dev.mote.mqtt;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A message received from the broker.
 *
 * @param topic     the topic it was published to (never a wildcard)
 * @param payload   the bytes, possibly empty; the array belongs to the receiver
 * @param qos       the QoS it was delivered with (at most the subscription's granted QoS)
 * @param retained  true if the broker sent it as a retained message on subscribe
 * @param duplicate true if the broker marked it as a possible re-delivery (DUP flag)
 */
public record Message(String topic, byte[] payload, Qos qos, boolean retained, boolean duplicate) {

    public Message {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(qos, "qos");
    }

    /** The payload decoded as UTF-8. */
    public String payloadAsString() {
        return new String(payload, StandardCharsets.UTF_8);
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
