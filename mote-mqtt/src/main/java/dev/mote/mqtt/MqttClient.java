package dev.mote.mqtt;

import dev.mote.mqtt.internal.client.ClientCore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * An MQTT 3.1.1 client connection. Every method is a plain blocking call, safe to use from any
 * number of threads at once; on virtual threads, blocking costs almost nothing.
 *
 * <pre>{@code
 * try (MqttClient client = MqttClient.connect(MqttOptions.builder("mqtt://localhost:1883").build())) {
 *     try (Subscription sub = client.subscribe("sensors/+/temperature", Qos.AT_LEAST_ONCE)) {
 *         client.publish("sensors/kitchen/temperature", "21.5", Qos.AT_LEAST_ONCE);
 *         Message m = sub.receive();
 *     }
 * }
 * }</pre>
 *
 * <p>Each call chooses how long it waits with {@link Wait}; the short overloads wait for the
 * acknowledgement ({@link Wait#ACK}). Invalid arguments (a wildcard in a topic name, a payload over
 * the limit, a QoS out of range) are rejected at once with {@link IllegalArgumentException};
 * calls after {@link #close()} throw {@link ClientClosedException}.
 *
 * <p>If the connection breaks (I/O error, keep-alive timeout, or a broker that breaks the
 * protocol), the client closes: pending deliveries fail with an exception that says what
 * happened, and later calls throw {@link ClientClosedException} with it as the cause.
 */
public final class MqttClient implements AutoCloseable {
    private final ClientCore core;
    /** The cloud's rules, checked before each publish and subscribe; null without a profile. */
    private final CloudProfile profile;

    private MqttClient(ClientCore core) {
        this.core = core;
        this.profile = core.options().profile();
    }

    /**
     * Connects and waits for the broker's CONNACK, at most the connect timeout.
     *
     * @throws ConnectionRefusedException (a subclass per return code) if the broker refused
     * @throws MqttTimeoutException       if no CONNACK came in time
     * @throws MqttException              if the broker could not be reached
     */
    public static MqttClient connect(MqttOptions options) {
        ClientCore core = new ClientCore(options);
        core.connect();
        return new MqttClient(core);
    }

    /** Connects to a broker URL with default options, e.g. {@code mqtt://localhost:1883}. */
    public static MqttClient connect(String serverUri) {
        return connect(MqttOptions.builder(serverUri).build());
    }

    /**
     * Connects with options from a configuration file, overridden by the {@code MOTE_*}
     * environment variables: {@code connect(MqttConfig.load(file, System.getenv()).build())}.
     *
     * @throws ConfigException if the configuration is unusable
     */
    public static MqttClient connect(java.nio.file.Path configFile) {
        java.util.Objects.requireNonNull(configFile, "configFile");
        return connect(MqttConfig.load(configFile, System.getenv()).build());
    }

    /** The options this client was made with. */
    public MqttOptions options() {
        return core.options();
    }

    /** The client id sent in CONNECT. */
    public String clientId() {
        return core.options().clientId();
    }

    /** True while connected (after CONNACK, until close or a broken connection). */
    public boolean isConnected() {
        return core.isConnected();
    }

    /** The Session Present flag of the last CONNACK: true if the broker resumed a stored session. */
    public boolean sessionPresent() {
        return core.sessionPresent();
    }

    /**
     * The application protocol the server chose in the TLS handshake (ALPN, see
     * {@link TlsConfig.Builder#alpn(String...)}); empty without TLS, without ALPN, or if the
     * server accepted the connection without choosing one.
     */
    public Optional<String> alpnProtocol() {
        return Optional.ofNullable(core.applicationProtocol());
    }

    /**
     * Waits until the client is connected: at once if it is, or until a reconnect succeeds.
     *
     * @return true if connected, false if the timeout ran out or the client closed
     */
    public boolean awaitConnected(Duration timeout) {
        return core.awaitConnected(timeout);
    }

    /**
     * The next connection event this method has not returned yet (connected, disconnected,
     * reconnecting, session lost, closed), waiting at most {@code timeout}: a way to watch the
     * connection without a callback. The client keeps the last 1,024 unread events.
     *
     * @return the event, or null if none came in time (or the client closed and all were read)
     */
    public ConnectionEvent nextConnectionEvent(Duration timeout) {
        return core.nextConnectionEvent(timeout);
    }

    /**
     * With a {@linkplain MqttOptions.Builder#sessionStore(java.nio.file.Path) session store}: the
     * QoS 1 and 2 messages an earlier client left unacknowledged in it, in their original order.
     * With {@code cleanSession(false)} they are sent again after the first CONNACK (PUBLISH with
     * DUP=1, or PUBREL if the broker had already PUBREC'd them) and each handle completes when the
     * broker acknowledges it; with {@code cleanSession(true)} they were discarded and the handles
     * have failed saying so. Empty without a store or when it held nothing.
     */
    public List<Delivery> recoveredDeliveries() {
        return core.recoveredDeliveries();
    }

    /**
     * Drops the current connection and connects again at once, as after a network break (the
     * broker may publish the will; the session, subscriptions and unacknowledged messages carry
     * over as for any reconnect). Per-connection settings, such as
     * {@link MqttOptions.Builder#tlsPerConnection(java.util.function.Supplier)}, are taken anew:
     * call this after replacing the identity in an {@link IdentityStore}. Needs reconnecting
     * enabled ({@link ReconnectPolicy}); while already reconnecting, it skips the backoff wait.
     *
     * @return true if a reconnect started, false if the client is closed
     */
    public boolean reconnect() {
        if (!core.options().reconnect().enabled()) {
            throw new IllegalStateException("reconnect() needs a reconnect policy that is enabled");
        }
        return core.reconnect();
    }

    // ---------------------------------------------------------------- publish

    /**
     * Publishes a message.
     *
     * @param topic   a topic name (no wildcards)
     * @param payload the bytes; the client keeps a reference until the message is acknowledged,
     *                so do not change the array afterwards
     * @param qos     the quality of service
     * @param retain  whether the broker keeps it as the topic's retained message (an empty
     *                retained payload clears it)
     * @param wait    how long to block: {@link Wait#NONE} returns once queued (only a full
     *                in-flight window makes it wait, at most the acknowledgement timeout),
     *                {@link Wait#SENT} once written, {@link Wait#ACK} once acknowledged
     * @return the delivery, which can be awaited later
     * @throws MqttException if the wait ended in failure or timed out
     */
    public Delivery publish(String topic, byte[] payload, Qos qos, boolean retain, Wait wait) {
        checkPublish(topic, payload, qos, retain);
        return core.publish(topic, payload, qos, retain, wait);
    }

    /** Publishes without retain and waits for the acknowledgement (for QoS 0, until written). */
    public Delivery publish(String topic, byte[] payload, Qos qos) {
        return publish(topic, payload, qos, false, Wait.ACK);
    }

    /** Publishes a UTF-8 text payload without retain, waiting for the acknowledgement. */
    public Delivery publish(String topic, String payload, Qos qos) {
        return publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, false, Wait.ACK);
    }

    /** Publishes a UTF-8 text payload with the given retain flag and wait. */
    public Delivery publish(String topic, String payload, Qos qos, boolean retain, Wait wait) {
        return publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, retain, wait);
    }

    /** Publishes a UTF-8 text payload at QoS 0, waiting until it is written. */
    public Delivery publish(String topic, String payload) {
        return publish(topic, payload, Qos.AT_MOST_ONCE);
    }

    // ---------------------------------------------------------------- subscribe

    /**
     * Subscribes to one filter and returns a blocking source of its messages; waits for SUBACK.
     *
     * @throws SubscriptionRefusedException if the broker refused the filter
     */
    public Subscription subscribe(String filter, Qos qos) {
        return subscribe(List.of(TopicFilter.of(filter, qos)), null, Wait.ACK);
    }

    /**
     * Subscribes to one filter, handing its messages to {@code handler} on a virtual thread of
     * the subscription's own; waits for SUBACK.
     *
     * @throws SubscriptionRefusedException if the broker refused the filter
     */
    public Subscription subscribe(String filter, Qos qos, MessageHandler handler) {
        java.util.Objects.requireNonNull(handler, "handler");
        return subscribe(List.of(TopicFilter.of(filter, qos)), handler, Wait.ACK);
    }

    /**
     * Subscribes to several filters in one SUBSCRIBE.
     *
     * @param filters the filters with their requested QoS
     * @param handler receives the messages, or null to use the subscription's receive methods
     * @param wait    {@link Wait#ACK} waits for SUBACK and throws
     *                {@link SubscriptionRefusedException} if any filter was refused;
     *                {@link Wait#SENT} and {@link Wait#NONE} return earlier, and
     *                {@link Subscription#grantedQos()} tells the outcome later
     */
    public Subscription subscribe(List<TopicFilter> filters, MessageHandler handler, Wait wait) {
        return subscribe(filters, handler, wait, options().acknowledgement());
    }

    /**
     * Subscribes like {@link #subscribe(List, MessageHandler, Wait)}, choosing how this
     * subscription's messages are acknowledged whatever the client's default: with
     * {@link Acknowledgement#MANUAL} the broker gets each PUBACK or PUBREC after {@link Message#ack()}.
     */
    public Subscription subscribe(List<TopicFilter> filters, MessageHandler handler, Wait wait, Acknowledgement acknowledgement) {
        java.util.Objects.requireNonNull(acknowledgement, "acknowledgement");
        if (profile == null) {
            return core.subscribe(filters, handler, wait, acknowledgement, null);
        }
        // Checked under the client's lock with the filters it holds, so concurrent subscribes
        // cannot together pass the cloud's limit on subscriptions.
        return core.subscribe(filters, handler, wait, acknowledgement, held -> CloudRules.checkSubscribe(profile, filters, held));
    }

    /**
     * Unsubscribes filters at the broker and from every subscription of this client that has
     * them, waiting for UNSUBACK. A subscription left with no filter ends.
     */
    public void unsubscribe(String... filters) {
        core.unsubscribe(Arrays.asList(filters), Wait.ACK);
    }

    /** Unsubscribes like {@link #unsubscribe(String...)}, waiting as asked. */
    public void unsubscribe(List<String> filters, Wait wait) {
        core.unsubscribe(filters, wait);
    }

    /** The throttle pacing this client's publishes (its own, or its profile's), if any. */
    public Optional<PublishThrottle> publishThrottle() {
        return Optional.ofNullable(core.options().publishThrottle());
    }

    private void checkPublish(String topic, byte[] payload, Qos qos, boolean retain) {
        if (profile != null) {
            java.util.Objects.requireNonNull(topic, "topic");
            java.util.Objects.requireNonNull(payload, "payload");
            java.util.Objects.requireNonNull(qos, "qos");
            CloudRules.checkPublish(profile, topic, payload.length, qos, retain);
        }
    }

    // ---------------------------------------------------------------- ping and close

    /**
     * A snapshot of this client's counters and gauges (messages and bytes per QoS, in-flight,
     * offline and buffered messages, reconnects, acknowledgement latency). Cheap enough to call
     * from a dashboard's scrape; counting never locks the publish or receive paths.
     */
    public ClientMetrics metrics() {
        return core.metrics();
    }

    /** Sends PINGREQ, waits for PINGRESP, and returns the round-trip time. */
    public Duration ping() {
        return core.ping();
    }

    /**
     * Closes the client: waits (at most the close timeout) until in-flight publishes are
     * acknowledged, sends DISCONNECT (so the broker discards the will), closes the connection,
     * fails whatever is still pending with {@link ClientClosedException}, and lets handlers
     * finish the messages already buffered. Idempotent.
     */
    @Override
    public void close() {
        core.close();
    }

    @Override
    public String toString() {
        return "MqttClient[" + core.describeServer() + ", clientId=" + clientId()
                + (isConnected() ? ", connected" : "") + "]";
    }
}
