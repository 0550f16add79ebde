package dev.mote.mqtt.internal.telemetry;

import dev.mote.mqtt.ClientMetrics;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.internal.util.AckHandle;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;

/**
 * Everything a client tells the outside about itself, in one place: the counters behind
 * {@link ClientMetrics}, the JFR events in {@link MqttEvents}, and the log lines of connection
 * changes. The client calls one method per thing that happened; this decides what to record.
 *
 * <p>Recording never locks and allocates nothing per message unless a JFR recording enables the
 * per-message events: counters are {@link LongAdder}s, latencies go to a fixed-bucket histogram,
 * and each event type is checked ({@link #enabled}) before an event is made. Log
 * lines are built only when their level is loggable, and never contain credentials or payloads.
 */
public final class Telemetry {
    private static final System.Logger LOG = System.getLogger("dev.mote.mqtt");

    private static final int CONNECT_ATTEMPT = 0;
    private static final int DISCONNECT = 1;
    private static final int RECONNECT_BACKOFF = 2;
    private static final int PUBLISH_ENQUEUED = 3;
    private static final int PUBLISH_SENT = 4;
    private static final int PUBLISH_ACKNOWLEDGED = 5;
    private static final int MESSAGE_DELIVERED = 6;

    /**
     * One instance per event type, only to ask {@link Event#isEnabled()}: JFR answers from the
     * type's settings, not the instance, so a check reads a field and allocates nothing. A holder
     * class, loaded only once a flight recorder runs: loading any event class starts JFR's
     * machinery, which takes hundreds of milliseconds, and a client must not pay that when
     * nobody records.
     */
    private static final class Probes {
        static final Event[] BY_TYPE = {new MqttEvents.ConnectAttempt(), new MqttEvents.Disconnect(),
            new MqttEvents.ReconnectBackoff(), new MqttEvents.PublishEnqueued(), new MqttEvents.PublishSent(),
            new MqttEvents.PublishAcknowledged(), new MqttEvents.MessageDelivered()};
    }

    private final String clientId;
    private final LongAdder[] published = adders(3);
    private final LongAdder[] publishedBytes = adders(3);
    private final LongAdder[] received = adders(3);
    private final LongAdder[] receivedBytes = adders(3);
    private final LongAdder acknowledged = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder duplicatesDropped = new LongAdder();
    private final LongAdder wireBytesOut = new LongAdder();
    private final LongAdder wireBytesIn = new LongAdder();
    private final LongAdder connectAttempts = new LongAdder();
    private final LongAdder reconnects = new LongAdder();
    private final LongAdder disconnects = new LongAdder();
    private final LatencyHistogram ackLatency = new LatencyHistogram();

    public Telemetry(String clientId) {
        this.clientId = clientId;
    }

    /** The gauges only the client knows, read when a snapshot is taken. */
    public record Gauges(int inFlight, int queuedOffline, int inboundBuffered, int unacknowledged) {}

    /** A snapshot of the counters with the client's current gauges. */
    public ClientMetrics snapshot(Gauges g) {
        return new ClientMetrics(perQos(published), perQos(publishedBytes), acknowledged.sum(), failed.sum(),
                perQos(received), perQos(receivedBytes), duplicatesDropped.sum(), wireBytesOut.sum(), wireBytesIn.sum(),
                g.inFlight(), g.queuedOffline(), g.inboundBuffered(), g.unacknowledged(),
                connectAttempts.sum(), reconnects.sum(), disconnects.sum(), ackLatency.snapshot());
    }

    // ---------------------------------------------------------------- connections

    /**
     * A connection attempt starts.
     *
     * @return a token for {@link #connectSucceeded} or {@link #connectFailed} (null if no recording wants it)
     */
    public Object connectStarted(String server, boolean reconnect) {
        connectAttempts.increment();
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "client " + clientId + ": " + (reconnect ? "reconnecting" : "connecting") + " to " + server);
        }
        if (!enabled(CONNECT_ATTEMPT)) {
            return null;
        }
        MqttEvents.ConnectAttempt e = new MqttEvents.ConnectAttempt();
        e.begin();
        e.clientId = clientId;
        e.server = server;
        e.reconnect = reconnect;
        return e;
    }

    /** CONNACK accepted the attempt {@code token} came from. */
    public void connectSucceeded(Object token, String server, boolean sessionPresent, boolean reconnect) {
        Level level = reconnect ? Level.INFO : Level.DEBUG;
        if (LOG.isLoggable(level)) {
            LOG.log(level, "client " + clientId + ": " + (reconnect ? "reconnected" : "connected") + " to " + server
                    + (sessionPresent ? " (session present)" : ""));
        }
        if (token instanceof MqttEvents.ConnectAttempt e) {
            e.outcome = "connected";
            e.sessionPresent = sessionPresent;
            e.commit();
        }
        if (reconnect) {
            reconnects.increment(); // after the event: whoever sees the count finds the event recorded
        }
    }

    /** The attempt {@code token} came from failed; {@code cause} is its exception's message. */
    public void connectFailed(Object token, String server, String cause) {
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "client " + clientId + ": connection attempt to " + server + " failed: " + cause);
        }
        if (token instanceof MqttEvents.ConnectAttempt e) {
            e.outcome = cause;
            e.commit();
        }
    }

    /** An established connection was lost. */
    public void disconnected(String server, String cause, boolean willReconnect) {
        disconnects.increment();
        if (LOG.isLoggable(Level.INFO)) {
            LOG.log(Level.INFO, "client " + clientId + ": connection to " + server + " lost: " + cause
                    + (willReconnect ? "; reconnecting" : "; not reconnecting"));
        }
        if (enabled(DISCONNECT)) {
            MqttEvents.Disconnect e = new MqttEvents.Disconnect();
            e.clientId = clientId;
            e.server = server;
            e.cause = cause;
            e.willReconnect = willReconnect;
            e.commit();
        }
    }

    /** The reconnect loop starts waiting {@code delay} before attempt {@code attempt}; returns a token for {@link #backoffEnded}. */
    public Object backoffStarted(int attempt, Duration delay, String server) {
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "client " + clientId + ": reconnect attempt " + attempt + " to " + server + " in "
                    + delay.toMillis() + " ms");
        }
        if (!enabled(RECONNECT_BACKOFF)) {
            return null;
        }
        MqttEvents.ReconnectBackoff e = new MqttEvents.ReconnectBackoff();
        e.begin();
        e.clientId = clientId;
        e.attempt = attempt;
        e.plannedDelay = delay.toNanos();
        e.server = server;
        return e;
    }

    public void backoffEnded(Object token) {
        if (token instanceof Event e) {
            e.commit();
        }
    }

    // ---------------------------------------------------------------- publishing

    /**
     * The time a publish is accepted, for {@link #publishWritten}'s queued time:
     * System.nanoTime() if a recording wants PublishSent events, else 0 (no clock read).
     */
    public long publishClock() {
        return enabled(PUBLISH_SENT) ? System.nanoTime() : 0L;
    }

    /** The client accepted a publish. */
    public void publishAccepted(String topic, int qos, int payloadBytes, boolean offline) {
        published[qos].increment();
        publishedBytes[qos].add(payloadBytes);
        if (enabled(PUBLISH_ENQUEUED)) {
            MqttEvents.PublishEnqueued e = new MqttEvents.PublishEnqueued();
            e.topic = topic;
            e.qos = qos;
            e.payloadSize = payloadBytes;
            e.offline = offline;
            e.commit();
        }
    }

    /** A PUBLISH accepted at {@code acceptedAt} (0: unknown) was written for the first time at {@code now}. */
    public void publishWritten(String topic, int qos, long acceptedAt, long now) {
        if (acceptedAt != 0 && enabled(PUBLISH_SENT)) {
            MqttEvents.PublishSent e = new MqttEvents.PublishSent();
            e.topic = topic;
            e.qos = qos;
            e.queuedTime = now - acceptedAt;
            e.commit();
        }
    }

    /** A publish is done: acknowledged (QoS 1, 2; {@code sentAt} is when its PUBLISH was first written, 0 if unknown) or written (QoS 0). */
    public void publishAcknowledged(String topic, int qos, long sentAt) {
        acknowledged.increment();
        if (qos == 0 || sentAt == 0) {
            return;
        }
        long handshake = System.nanoTime() - sentAt;
        ackLatency.record(handshake);
        if (enabled(PUBLISH_ACKNOWLEDGED)) {
            MqttEvents.PublishAcknowledged e = new MqttEvents.PublishAcknowledged();
            e.topic = topic;
            e.qos = qos;
            e.handshakeTime = handshake;
            e.commit();
        }
    }

    public void publishFailed() {
        failed.increment();
    }

    // ---------------------------------------------------------------- receiving

    public void messageReceived(int qos, int payloadBytes) {
        received[qos].increment();
        receivedBytes[qos].add(payloadBytes);
    }

    /** A QoS 2 message came again and was answered without a second delivery. */
    public void duplicateDropped() {
        duplicatesDropped.increment();
    }

    /**
     * A handler starts on {@code m}.
     *
     * @return a token for {@link #handlerEnded}, null if no recording wants it
     */
    public Object handlerStarted(Message m) {
        if (!enabled(MESSAGE_DELIVERED)) {
            return null;
        }
        MqttEvents.MessageDelivered e = new MqttEvents.MessageDelivered();
        long receivedAt = AckHandle.Messages.receivedAt(m);
        e.begin();
        e.topic = m.topic();
        e.qos = m.qos().value();
        e.payloadSize = m.payload().length;
        e.queueingTime = receivedAt == 0 ? 0 : System.nanoTime() - receivedAt;
        return e;
    }

    public void handlerEnded(Object token) {
        if (token instanceof Event e) {
            e.commit();
        }
    }

    // ---------------------------------------------------------------- the wire

    public void wrote(int bytes) {
        wireBytesOut.add(bytes);
    }

    public void read(int bytes) {
        wireBytesIn.add(bytes);
    }

    // ---------------------------------------------------------------- helpers

    /** Whether a recording wants events of {@code type}; false without loading any event class while no recorder runs. */
    private static boolean enabled(int type) {
        return FlightRecorder.isInitialized() && Probes.BY_TYPE[type].isEnabled();
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    private static ClientMetrics.PerQos perQos(LongAdder[] a) {
        return new ClientMetrics.PerQos(a[0].sum(), a[1].sum(), a[2].sum());
    }
}
