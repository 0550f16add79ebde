package dev.mote.mqtt;

/** MQTT quality of service: how hard the two ends try to deliver a message (section 4.3). */
public enum Qos {
    /** At most once: fire and forget, no acknowledgement. */
    AT_MOST_ONCE(0),
    /** At least once: acknowledged with PUBACK; may arrive more than once. */
    AT_LEAST_ONCE(1),
    /** Exactly once: the four-step PUBREC/PUBREL/PUBCOMP handshake. */
    EXACTLY_ONCE(2);

    private static final Qos[] BY_VALUE = values();

    private final int value;

    Qos(int value) {
        this.value = value;
    }

    /** The number on the wire: 0, 1 or 2. */
    public int value() {
        return value;
    }

    /** The level for a wire value; any other number is an {@link IllegalArgumentException} naming it. */
    public static Qos of(int value) {
        if (value < 0 || value > 2) {
            throw new IllegalArgumentException("QoS must be 0, 1 or 2, not " + value);
        }
        return BY_VALUE[value];
    }
}
