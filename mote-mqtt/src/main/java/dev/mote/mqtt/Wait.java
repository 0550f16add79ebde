package dev.mote.mqtt;

/**
 * How long a call blocks before it returns (the choice the C original offers on every call).
 * Whatever the choice, the returned handle can be awaited later.
 */
public enum Wait {
    /** Return once the packet is queued for sending. Only a full in-flight window makes this block. */
    NONE,
    /** Return once the packet's bytes were written to the connection. */
    SENT,
    /**
     * Return once the peer acknowledged: PUBACK for QoS 1, PUBCOMP for QoS 2, SUBACK, UNSUBACK.
     * For a QoS 0 publish, which has no acknowledgement, this is the same as {@link #SENT}.
     */
    ACK
}
