package dev.mote.mqtt;

/**
 * What a publish does when the client is disconnected and its offline buffer is full (see
 * {@link MqttOptions.Builder#offlineBuffer(int, long, OfflinePolicy)}).
 */
public enum OfflinePolicy {
    /** Wait for room (a reconnect, or acknowledgements), at most the acknowledgement timeout. */
    BLOCK,
    /** Fail the new publish at once with an {@link MqttException} that says the buffer is full. */
    FAIL,
    /**
     * Drop the oldest buffered QoS 0 message (its delivery fails) to make room; if no QoS 0 message
     * is buffered, fail the new publish as {@link #FAIL} does.
     */
    DROP_OLDEST_QOS0
}
