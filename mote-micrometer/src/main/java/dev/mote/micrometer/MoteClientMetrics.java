package dev.mote.micrometer;

import dev.mote.mqtt.ClientMetrics;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Binds a Mote client's {@link ClientMetrics} to a Micrometer {@link MeterRegistry}:
 *
 * <pre>{@code
 * new MoteClientMetrics(client).bindTo(registry);
 * }</pre>
 *
 * <p>Counters and gauges read {@link MqttClient#metrics()} when the registry is scraped; one
 * snapshot serves every meter of a scrape (snapshots are reused for {@link #SNAPSHOT_REUSE}).
 * Meter names are listed in {@code docs/observability.md}; every meter carries the tag
 * {@code client.id} plus the tags given here. The meters keep only a weak reference to the
 * client, as Micrometer does for gauges: a client the application dropped stops reporting.
 */
public final class MoteClientMetrics implements MeterBinder {
    /** How long one snapshot answers for all meters. */
    public static final Duration SNAPSHOT_REUSE = Duration.ofMillis(100);

    private final Object anchor;
    private final Supplier<ClientMetrics> source;
    private final Tags tags;
    private volatile ClientMetrics last;
    private volatile long lastAt;

    /** Meters for {@code client}, tagged with its client id. */
    public MoteClientMetrics(MqttClient client) {
        this(client, Tags.empty());
    }

    /** Meters for {@code client}, tagged with its client id and {@code tags}. */
    public MoteClientMetrics(MqttClient client, Iterable<Tag> tags) {
        this(client, client::metrics, Tags.of("client.id", client.clientId()).and(tags));
    }

    /**
     * Meters read from {@code source} (for tests, or to combine clients). The meters hold
     * {@code source} strongly.
     */
    public MoteClientMetrics(Supplier<ClientMetrics> source, Iterable<Tag> tags) {
        this(source, source, Tags.of(tags));
    }

    private MoteClientMetrics(Object anchor, Supplier<ClientMetrics> source, Tags tags) {
        this.anchor = Objects.requireNonNull(anchor, "client");
        this.source = Objects.requireNonNull(source, "source");
        this.tags = tags;
    }

    private ClientMetrics snapshot() {
        long now = System.nanoTime();
        ClientMetrics m = last;
        if (m == null || now - lastAt > SNAPSHOT_REUSE.toNanos()) {
            m = source.get();
            last = m;
            lastAt = now;
        }
        return m;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        perQos(registry, "mote.messages.published", null, "Messages accepted by publish", ClientMetrics::published);
        perQos(registry, "mote.bytes.published", "bytes", "Payload bytes accepted by publish", ClientMetrics::publishedBytes);
        perQos(registry, "mote.messages.received", null, "Messages received from the broker", ClientMetrics::received);
        perQos(registry, "mote.bytes.received", "bytes", "Payload bytes received from the broker", ClientMetrics::receivedBytes);
        counter(registry, "mote.publishes.acknowledged", null, "Publishes done (PUBACK, PUBCOMP, or QoS 0 written)",
                ClientMetrics::acknowledged);
        counter(registry, "mote.publishes.failed", null, "Publishes that failed", ClientMetrics::failed);
        counter(registry, "mote.messages.duplicates.dropped", null,
                "QoS 2 messages the broker sent again, answered without a second delivery", ClientMetrics::duplicatesDropped);
        counter(registry, "mote.wire.bytes.out", "bytes", "Bytes written to the connection", ClientMetrics::wireBytesOut);
        counter(registry, "mote.wire.bytes.in", "bytes", "Bytes read from the connection", ClientMetrics::wireBytesIn);
        counter(registry, "mote.connect.attempts", null, "Connection attempts", ClientMetrics::connectAttempts);
        counter(registry, "mote.reconnects", null, "Successful reconnects", ClientMetrics::reconnects);
        counter(registry, "mote.disconnects", null, "Established connections lost", ClientMetrics::disconnects);
        gauge(registry, "mote.inflight", "Publishes not yet acknowledged (QoS 1, 2) or written (QoS 0)", ClientMetrics::inFlight);
        gauge(registry, "mote.queued.offline", "Publishes waiting in the offline buffer", ClientMetrics::queuedOffline);
        gauge(registry, "mote.inbound.buffered", "Received messages waiting in subscription buffers", ClientMetrics::inboundBuffered);
        gauge(registry, "mote.unacknowledged", "Received messages waiting for Message.ack()", ClientMetrics::unacknowledged);
        counter(registry, "mote.ack.latency.count", null, "QoS 1 and 2 publishes whose acknowledgement was timed",
                m -> m.ackLatency().count());
        latency(registry, "0.5", l -> l.p50());
        latency(registry, "0.9", l -> l.p90());
        latency(registry, "0.99", l -> l.p99());
        latency(registry, "max", l -> l.max());
    }

    private void perQos(MeterRegistry registry, String name, String unit, String description,
            Function<ClientMetrics, ClientMetrics.PerQos> field) {
        for (Qos q : Qos.values()) {
            FunctionCounter.builder(name, anchor, a -> field.apply(snapshot()).of(q))
                    .tags(tags).tag("qos", Integer.toString(q.value())).baseUnit(unit).description(description)
                    .register(registry);
        }
    }

    private void counter(MeterRegistry registry, String name, String unit, String description,
            ToDoubleFunction<ClientMetrics> field) {
        FunctionCounter.builder(name, anchor, a -> field.applyAsDouble(snapshot()))
                .tags(tags).baseUnit(unit).description(description).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<ClientMetrics> field) {
        Gauge.builder(name, anchor, a -> field.applyAsDouble(snapshot())).tags(tags).description(description)
                .register(registry);
    }

    private void latency(MeterRegistry registry, String quantile, Function<ClientMetrics.Latency, Duration> field) {
        TimeGauge.builder("mote.ack.latency", anchor, TimeUnit.NANOSECONDS,
                        a -> field.apply(snapshot().ackLatency()).toNanos())
                .tags(tags).tag("quantile", quantile)
                .description("From writing a QoS 1 or 2 PUBLISH to its PUBACK or PUBCOMP (bucketed; about a factor of 2)")
                .register(registry);
    }
}
