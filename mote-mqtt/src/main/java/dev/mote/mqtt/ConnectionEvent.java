package dev.mote.mqtt;

import java.time.Duration;

/**
 * A change in the client's connection, in the order it happened. Read them with
 * {@link MqttClient#nextConnectionEvent(Duration)}, or give a listener to
 * {@link MqttOptions.Builder#connectionListener(java.util.function.Consumer)}.
 */
public sealed interface ConnectionEvent {

    /**
     * CONNACK accepted a connection.
     *
     * @param server         the broker URL connected to
     * @param sessionPresent the broker resumed a stored session
     * @param reconnect      false for the first connection, true after a reconnect
     */
    record Connected(String server, boolean sessionPresent, boolean reconnect) implements ConnectionEvent {}

    /**
     * The connection broke.
     *
     * @param cause         what happened
     * @param willReconnect whether the client will try again (false: it is closing)
     */
    record Disconnected(MqttException cause, boolean willReconnect) implements ConnectionEvent {}

    /**
     * The client waits {@code delay}, then tries to connect to {@code server}.
     *
     * @param attempt 1 for the first try after a break
     */
    record Reconnecting(int attempt, Duration delay, String server) implements ConnectionEvent {}

    /**
     * After a reconnect the broker had no session for this client (clean session, or it expired):
     * messages it had queued are gone. The client has subscribed again to its active filters.
     */
    record SessionLost(String server) implements ConnectionEvent {}

    /**
     * The client closed, by {@link MqttClient#close()} or after giving up reconnecting.
     *
     * @param cause null for a close by the application
     */
    record Closed(MqttException cause) implements ConnectionEvent {}
}
