package dev.mote.mqtt;

import java.util.List;

/**
 * The broker answered 0x80 (failure) in SUBACK for at least one filter. Filters that were granted
 * stay subscribed: {@link #subscription()} holds them, so they can be used or closed.
 */
public final class SubscriptionRefusedException extends MqttException {
    private final transient Subscription subscription;
    private final List<String> refused;

    /** Creates the exception with its message; {@code refused} lists the refused filters. */
    public SubscriptionRefusedException(String message, List<String> refused, Subscription subscription) {
        super(message);
        this.refused = List.copyOf(refused);
        this.subscription = subscription;
    }

    /** The filters the broker refused. */
    public List<String> refusedFilters() {
        return refused;
    }

    /** The subscription with the filters that were granted, if any (possibly none). */
    public Subscription subscription() {
        return subscription;
    }
}
