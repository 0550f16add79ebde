package dev.mote.mqtt;

import java.util.Objects;

/**
 * A topic filter with the maximum QoS asked for it, as one entry of a SUBSCRIBE.
 * Wildcards {@code +} and {@code #} follow section 4.7; {@code $share/group/filter} is a shared
 * subscription.
 *
 * @param filter the topic filter
 * @param qos    the maximum QoS asked for
 */
public record TopicFilter(String filter, Qos qos) {
    /** Checks the components: an invalid one is an {@link IllegalArgumentException} naming it. */
    public TopicFilter {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(qos, "qos");
    }

    /** Shorthand for {@code new TopicFilter(filter, qos)}. */
    public static TopicFilter of(String filter, Qos qos) {
        return new TopicFilter(filter, qos);
    }
}
