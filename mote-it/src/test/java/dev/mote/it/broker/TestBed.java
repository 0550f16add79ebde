package dev.mote.it.broker;

import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.ReconnectPolicy;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.UnaryOperator;

/**
 * What one scenario run works with: its broker, topic names and client ids of its own (so runs
 * never see each other's messages or sessions), and clients, proxies and extra brokers that are
 * all closed when the run ends, whatever its outcome.
 */
public final class TestBed implements AutoCloseable {
    /** Limits for the clients of the scenarios: short enough that a hang fails the run quickly. */
    public static final Duration ACK_TIMEOUT = Duration.ofSeconds(20);
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    private final Broker broker;
    private final String prefix;
    private final String tag;
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private int ids;

    TestBed(Broker broker, String testName) {
        this.broker = broker;
        this.tag = random(6);
        this.prefix = "it/" + testName + "/" + broker.name() + "/" + tag;
    }

    public Broker broker() {
        return broker;
    }

    /** The topic prefix of this run, e.g. {@code it/retained/hivemq/x7k2qa}; no trailing slash. */
    public String prefix() {
        return prefix;
    }

    /** A topic under this run's prefix: {@code topic("a/b")} is {@code <prefix>/a/b}. */
    public String topic(String suffix) {
        return prefix + "/" + suffix;
    }

    /** A client id unique to this run, e.g. {@code it-sub-x7k2qa-1} (at most 23 characters for a short role). */
    public synchronized String clientId(String role) {
        return "it-" + role + "-" + tag + "-" + (++ids);
    }

    /** Options for this run's broker with the suite's timeouts. */
    public MqttOptions.Builder options() {
        return options(broker.uri());
    }

    /**
     * Options for another address (a proxy, another broker) with the suite's timeouts, and
     * without automatic reconnect: the scenarios observe one connection at a time (what a broken
     * connection does, what a new client resumes), so a client must stay down once its
     * connection breaks. A scenario about reconnecting sets its own {@link ReconnectPolicy}.
     */
    public MqttOptions.Builder options(String uri) {
        return MqttOptions.builder(uri).ackTimeout(ACK_TIMEOUT).connectTimeout(CONNECT_TIMEOUT)
                .reconnect(ReconnectPolicy.disabled());
    }

    /** Connects a client with default options; it is closed when the run ends. */
    public MqttClient connect() {
        return connect(options().build());
    }

    /** Connects a client with options adjusted from the defaults; it is closed when the run ends. */
    public MqttClient connect(UnaryOperator<MqttOptions.Builder> adjust) {
        return connect(adjust.apply(options()).build());
    }

    /** Connects a client; it is closed when the run ends. */
    public MqttClient connect(MqttOptions options) {
        return track(MqttClient.connect(options));
    }

    /**
     * When the run ends, connects once more with {@code clientId} and a clean session, so the
     * broker drops the persistent session this run left (MQTT 3.1.1 section 3.1.2.4).
     */
    public void discardSessionAtEnd(String clientId) {
        track(() -> MqttClient.connect(options().clientId(clientId).cleanSession(true).build()).close());
    }

    /** A fault proxy in front of this run's broker; closed when the run ends. */
    public FaultProxy proxy() {
        return track(FaultProxy.to(broker));
    }

    /** Starts an extra Mosquitto for this run (e.g. with authentication); stopped when the run ends. */
    public MosquittoBroker mosquitto(MosquittoBroker.Builder builder) {
        return track(builder.start());
    }

    /** Closes {@code resource} when the run ends (in reverse order of tracking). */
    public synchronized <T extends AutoCloseable> T track(T resource) {
        resources.push(resource);
        return resource;
    }

    /** The broker's log tail, and those of extra brokers of this run. */
    synchronized String diagnostics() {
        StringBuilder b = new StringBuilder("run ").append(prefix).append(" against ").append(broker.diagnostics());
        for (AutoCloseable r : resources) {
            if (r instanceof Broker extra && extra != broker) {
                b.append("\n---- extra broker: ").append(extra.diagnostics());
            }
        }
        return b.toString();
    }

    /** Closes everything tracked, newest first; the first failure is thrown with the others suppressed. */
    @Override
    public synchronized void close() {
        RuntimeException first = null;
        while (!resources.isEmpty()) {
            AutoCloseable r = resources.pop();
            try {
                r.close();
            } catch (Exception e) {
                RuntimeException wrapped = e instanceof RuntimeException re ? re
                        : new IllegalStateException("closing " + r + " failed", e);
                if (first == null) {
                    first = wrapped;
                } else {
                    first.addSuppressed(wrapped);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static String random(int n) {
        char[] c = new char[n];
        for (int i = 0; i < n; i++) {
            c[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(c);
    }
}
