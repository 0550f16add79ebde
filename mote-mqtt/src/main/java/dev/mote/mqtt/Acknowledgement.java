package dev.mote.mqtt;

/**
 * When the client acknowledges a received QoS 1 or QoS 2 message to the broker (PUBACK or
 * PUBREC). Either way acknowledgements leave in the order the messages arrived (section 4.6).
 */
public enum Acknowledgement {
    /** Once the message is handed to a subscription (its buffer or handler queue); the default. */
    AUTOMATIC,
    /**
     * Once the application calls {@link Message#ack()}. A message never acknowledged is sent
     * again by the broker after a reconnect with a persistent session; while
     * {@link MqttOptions#maxUnacknowledged()} messages wait for their {@code ack()}, the client
     * stops reading from the network.
     */
    MANUAL
}
