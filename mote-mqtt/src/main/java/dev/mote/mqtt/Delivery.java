package dev.mote.mqtt;

import java.time.Duration;
import java.util.Optional;

/**
 * The fate of one publish. Returned by every {@code publish} call, whatever it waited for, and
 * safe to await later from any thread.
 *
 * <p>A delivery is <em>done</em> when it was acknowledged (PUBACK for QoS 1, PUBCOMP for QoS 2),
 * when a QoS 0 message was written to the connection, or when it failed.
 */
public interface Delivery {

    /** Where a publish stands. */
    enum Status {
        /** Accepted by the client, not yet written to the connection. */
        QUEUED,
        /** Written to the connection; for QoS 1 and 2 not yet acknowledged. */
        SENT,
        /** Acknowledged by the broker (for QoS 0: written, since there is no acknowledgement). */
        ACKNOWLEDGED,
        /** Will not be delivered; {@link #failure()} says why. */
        FAILED
    }

    /** The topic published to. */
    String topic();

    /** The QoS published with. */
    Qos qos();

    /** The current status; never blocks. */
    Status status();

    /** True once acknowledged (or, for QoS 0, written) or failed. */
    default boolean isDone() {
        Status s = status();
        return s == Status.ACKNOWLEDGED || s == Status.FAILED;
    }

    /** Why it failed, if it did. */
    Optional<MqttException> failure();

    /**
     * Waits until done, at most the client's acknowledgement timeout.
     *
     * @return this delivery, acknowledged
     * @throws MqttException the failure, or {@link MqttTimeoutException} if the wait ran out
     */
    Delivery await();

    /**
     * Waits until done, at most {@code timeout}.
     *
     * @return true if acknowledged, false if the timeout ran out first
     * @throws MqttException the failure, if it failed
     */
    boolean await(Duration timeout);

    /**
     * Waits until the message was written to the connection (or failed), at most the client's
     * acknowledgement timeout.
     *
     * @return this delivery
     * @throws MqttException the failure, or {@link MqttTimeoutException} if the wait ran out
     */
    Delivery awaitSent();
}
