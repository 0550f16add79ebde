package dev.mote.mqtt;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The will (last-will-and-testament) message the broker publishes if this client goes away
 * without sending DISCONNECT.
 *
 * @param topic   topic name (no wildcards)
 * @param payload at most 65,535 bytes
 * @param qos     QoS the broker publishes it with
 * @param retain  whether the broker retains it
 */
public record Will(String topic, byte[] payload, Qos qos, boolean retain) {
    /** Checks the components: an invalid one is an {@link IllegalArgumentException} naming it. */
    public Will {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(qos, "qos");
        if (payload.length > 65_535) {
            throw new IllegalArgumentException("will payload is " + payload.length
                    + " bytes, MQTT 3.1.1 allows at most 65535");
        }
        payload = payload.clone();
    }

    /** A will with a UTF-8 text payload. */
    public static Will of(String topic, String payload, Qos qos, boolean retain) {
        return new Will(topic, payload.getBytes(StandardCharsets.UTF_8), qos, retain);
    }

    /** A copy of the will's payload. */
    @Override
    public byte[] payload() {
        return payload.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Will w && topic.equals(w.topic) && Arrays.equals(payload, w.payload)
                && qos == w.qos && retain == w.retain;
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, Arrays.hashCode(payload), qos, retain);
    }

    @Override
    public String toString() {
        return "Will[topic=" + topic + ", qos=" + qos.value() + ", retain=" + retain + ", "
                + payload.length + " bytes]";
    }
}
