package dev.mote.mqtt.internal.codec;

import java.util.Arrays;

/**
 * PUBLISH (section 3.3). {@code packetId} is 0 for QoS 0 and 1..65535 otherwise.
 * The payload array is owned by the packet once built; nobody writes to it afterwards.
 */
public record Publish(String topic, byte[] payload, int qos, boolean retain, boolean dup, int packetId)
        implements Packet {

    @Override
    public int type() {
        return PUBLISH;
    }

    /** The same message marked as a re-delivery (DUP=1), as section 4.4 wants on resend. */
    public Publish asDuplicate() {
        return dup ? this : new Publish(topic, payload, qos, retain, true, packetId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Publish p
                && topic.equals(p.topic)
                && Arrays.equals(payload, p.payload)
                && qos == p.qos
                && retain == p.retain
                && dup == p.dup
                && packetId == p.packetId;
    }

    @Override
    public int hashCode() {
        return topic.hashCode() * 31 + packetId;
    }

    @Override
    public String toString() {
        return "PUBLISH[topic=" + topic + ", qos=" + qos + ", id=" + packetId + ", retain=" + retain
                + ", dup=" + dup + ", " + payload.length + " bytes]";
    }
}
