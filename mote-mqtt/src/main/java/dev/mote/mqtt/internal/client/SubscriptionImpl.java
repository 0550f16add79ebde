package dev.mote.mqtt.internal.client;

import dev.mote.mqtt.Message;
import dev.mote.mqtt.MessageHandler;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.SubscriptionRefusedException;
import dev.mote.mqtt.TopicFilter;
import dev.mote.mqtt.internal.util.Printable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/** A subscription: its filters, what the broker granted, and its buffer of routed messages. */
final class SubscriptionImpl implements Subscription, SendTracker {
    private static final System.Logger LOG = System.getLogger("dev.mote.mqtt");

    private final ClientCore core;
    private final List<TopicFilter> filters;
    private final MessageHandler handler;
    final MessageQueue queue;
    private final long ackTimeoutNanos;
    /** Completes when SUBACK arrives; fails if the connection ends first. */
    final Completion suback = new Completion();
    final Completion sent = new Completion();
    private volatile Qos[] granted;
    /** Filters still routed to this subscription; guarded by the client lock. */
    final boolean[] routed;
    volatile boolean active = true;
    private Thread handlerThread;
    /** The application acknowledges this subscription's QoS 1 and 2 messages ({@code Message.ack()}). */
    final boolean manualAck;

    SubscriptionImpl(ClientCore core, List<TopicFilter> filters, MessageHandler handler, int capacity, long ackTimeoutNanos,
            boolean manualAck) {
        this.core = core;
        this.manualAck = manualAck;
        this.filters = List.copyOf(filters);
        this.handler = handler;
        this.queue = new MessageQueue(capacity);
        this.ackTimeoutNanos = ackTimeoutNanos;
        this.routed = new boolean[filters.size()];
        Arrays.fill(routed, true);
    }

    /** Starts the handler's virtual thread, if there is a handler. */
    void start(String name) {
        if (handler != null) {
            handlerThread = ClientThreads.start(name, this::runHandler);
        }
    }

    Thread handlerThread() {
        return handlerThread;
    }

    private void runHandler() {
        Message next;
        while ((next = queue.take(-1)) != null) {
            Message m = next;
            Object recording = core.telemetry.handlerStarted(m);
            try {
                handler.onMessage(m);
                core.telemetry.handlerEnded(recording);
            } catch (Throwable t) {
                core.telemetry.handlerEnded(recording);
                // The handler's failure is the application's; the stream goes on with the next message.
                // In manual mode the message is acknowledged all the same: 3.1.1 has no negative
                // acknowledgement, and one left unacknowledged would hold back every later one.
                boolean acked = m.needsAck();
                if (acked) {
                    m.ack();
                }
                LOG.log(System.Logger.Level.WARNING, () -> "message handler for " + filtersText()
                        + " threw on a message from " + Printable.quote(m.topic())
                        + (acked ? "; the message was acknowledged so later ones are not held back" : "") + "; continuing", t);
            }
        }
    }

    /** SUBACK arrived: records the granted QoS per filter (null where refused). Called under the client lock. */
    void onSuback(int[] codes) {
        Qos[] g = new Qos[codes.length];
        for (int i = 0; i < codes.length; i++) {
            g[i] = codes[i] == 0x80 ? null : Qos.of(codes[i]);
        }
        granted = g;
        suback.complete();
    }

    /** Throws {@link SubscriptionRefusedException} if the broker refused any filter. */
    void throwIfRefused() {
        Qos[] g = granted;
        List<String> refused = new ArrayList<>();
        for (int i = 0; i < g.length; i++) {
            if (g[i] == null) {
                refused.add(filters.get(i).filter());
            }
        }
        if (!refused.isEmpty()) {
            StringBuilder msg = new StringBuilder("broker ").append(core.describeServer()).append(" refused the subscription to ");
            for (int i = 0; i < refused.size(); i++) {
                msg.append(i == 0 ? "" : ", ").append(Printable.quote(refused.get(i)));
            }
            msg.append(" (SUBACK return code 0x80)");
            throw new SubscriptionRefusedException(msg.toString(), refused, this);
        }
    }

    void awaitSuback() {
        suback.awaitOrThrow(ackTimeoutNanos, "SUBACK for " + filtersText());
    }

    void awaitSent() {
        sent.awaitOrThrow(ackTimeoutNanos, "the SUBSCRIBE for " + filtersText() + " to be written");
    }

    @Override
    public void written() {
        sent.complete();
    }

    void failPending(MqttException cause) {
        sent.fail(cause);
        suback.fail(cause);
    }

    /** Ends the stream: the consumer gets what is buffered, then null. */
    void end() {
        active = false;
        queue.close();
    }

    String filtersText() {
        StringBuilder b = new StringBuilder();
        for (TopicFilter f : filters) {
            b.append(b.isEmpty() ? "" : ", ").append(Printable.quote(f.filter()));
        }
        return b.toString();
    }

    @Override
    public List<TopicFilter> filters() {
        return filters;
    }

    @Override
    public List<Qos> grantedQos() {
        awaitSuback();
        return Collections.unmodifiableList(Arrays.asList(granted));
    }

    @Override
    public boolean isActive() {
        return active;
    }

    private void requireQueue() {
        if (handler != null) {
            throw new IllegalStateException("messages of the subscription to " + filtersText()
                    + " go to its handler; receive works only on subscriptions made without one");
        }
    }

    @Override
    public Message receive() {
        requireQueue();
        return queue.take(-1);
    }

    @Override
    public Message receive(Duration timeout) {
        requireQueue();
        return queue.take(Math.max(0, timeout.toNanos()));
    }

    @Override
    public Message poll() {
        requireQueue();
        return queue.poll();
    }

    @Override
    public Iterator<Message> iterator() {
        requireQueue();
        return new Iterator<>() {
            private Message next;

            @Override
            public boolean hasNext() {
                if (next == null) {
                    next = queue.take(-1);
                }
                return next != null;
            }

            @Override
            public Message next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("the subscription ended");
                }
                Message m = next;
                next = null;
                return m;
            }
        };
    }

    @Override
    public void close() {
        core.closeSubscription(this);
    }

    @Override
    public String toString() {
        return "Subscription[" + filtersText() + (manualAck ? ", manual ack" : "") + (active ? "" : ", closed") + "]";
    }
}
