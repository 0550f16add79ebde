package dev.mote.mqtt;

import dev.mote.mqtt.internal.topic.Topics;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Many local handlers behind one broker subscription: one SUBSCRIBE (say {@code device/123/#}),
 * and each message goes to every handler whose own filter matches its topic. A way to stay within
 * a cloud's subscription limit (AWS IoT Core: 50 per connection; Azure IoT Hub: 5) while the
 * application keeps one handler per concern.
 *
 * <pre>{@code
 * try (FanOutSubscription device = FanOutSubscription.open(client, "device/123/#", Qos.AT_LEAST_ONCE)) {
 *     device.on("device/123/config", m -> applyConfig(m));
 *     device.on("device/123/cmd/+", m -> runCommand(m));
 * }
 * }</pre>
 *
 * <p>Handlers run one message at a time, in arrival order, on the subscription's handler thread
 * (so a slow handler holds back the others); a handler that throws is skipped for that message
 * and the others still get it. Adding and removing handlers never sends anything to the broker.
 */
public final class FanOutSubscription implements AutoCloseable {
    private final String filter;
    private final List<Route> routes = new CopyOnWriteArrayList<>();
    private final MessageHandler unmatched;
    private final Subscription subscription;

    private record Route(String filter, MessageHandler handler) {}

    private FanOutSubscription(MqttClient client, String filter, Qos qos, MessageHandler unmatched) {
        this.filter = filter;
        this.unmatched = unmatched;
        this.subscription = client.subscribe(filter, qos, this::dispatch);
    }

    /**
     * Subscribes once to {@code filter} (waiting for SUBACK); messages that no handler matches are
     * dropped (after the acknowledgement the broker is owed).
     */
    public static FanOutSubscription open(MqttClient client, String filter, Qos qos) {
        return open(client, filter, qos, null);
    }

    /** Like {@link #open(MqttClient, String, Qos)}, handing messages no handler matches to {@code unmatched}. */
    public static FanOutSubscription open(MqttClient client, String filter, Qos qos, MessageHandler unmatched) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(qos, "qos");
        return new FanOutSubscription(client, filter, qos, unmatched);
    }

    /**
     * Adds a handler for the messages matching {@code localFilter} (MQTT wildcards allowed); closing
     * the returned handle removes it.
     *
     * @throws IllegalArgumentException if the filter is not valid, or can match nothing the broker
     *                                  subscription delivers
     */
    public AutoCloseable on(String localFilter, MessageHandler handler) {
        Objects.requireNonNull(handler, "handler");
        Topics.validateFilter(localFilter);
        if (!overlaps(filter, localFilter)) {
            throw new IllegalArgumentException("the local filter " + localFilter + " matches nothing the subscription "
                    + filter + " delivers");
        }
        Route r = new Route(localFilter, handler);
        routes.add(r);
        return () -> routes.remove(r);
    }

    /** The broker subscription's filter. */
    public String filter() {
        return filter;
    }

    /** How many handlers are registered. */
    public int handlerCount() {
        return routes.size();
    }

    private void dispatch(Message m) {
        boolean matched = false;
        for (Route r : routes) {
            if (Topics.matches(r.filter, m.topic())) {
                matched = true;
                try {
                    r.handler.onMessage(m);
                } catch (Exception e) {
                    // One handler's failure must not keep the message from the others.
                    System.getLogger(FanOutSubscription.class.getName()).log(System.Logger.Level.WARNING,
                            "a fan-out handler for " + r.filter + " failed on " + m.topic() + ": " + e);
                }
            }
        }
        if (!matched && unmatched != null) {
            try {
                unmatched.onMessage(m);
            } catch (Exception e) {
                System.getLogger(FanOutSubscription.class.getName()).log(System.Logger.Level.WARNING,
                        "the unmatched-message handler failed on " + m.topic() + ": " + e);
            }
        }
    }

    /** Whether some topic could match both filters, level by level. */
    static boolean overlaps(String a, String b) {
        String[] x = a.split("/", -1);
        String[] y = b.split("/", -1);
        for (int i = 0; ; i++) {
            boolean xEnd = i >= x.length;
            boolean yEnd = i >= y.length;
            if (!xEnd && x[i].equals("#") || !yEnd && y[i].equals("#")) {
                return true;
            }
            if (xEnd || yEnd) {
                return xEnd && yEnd;
            }
            if (!x[i].equals("+") && !y[i].equals("+") && !x[i].equals(y[i])) {
                return false;
            }
        }
    }

    /** Unsubscribes (unless another subscription of the client holds the same filter) and drops the handlers. */
    @Override
    public void close() {
        subscription.close();
        routes.clear();
    }

    @Override
    public String toString() {
        return "FanOutSubscription[" + filter + ", " + routes.size() + " handlers]";
    }
}
