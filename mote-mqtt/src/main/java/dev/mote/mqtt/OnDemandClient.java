package dev.mote.mqtt;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * A connection made only when needed, for metered or battery-powered links: nothing is opened
 * until the first call that needs the network, and the connection is closed (with DISCONNECT)
 * once no call has used it for the idle time; the next call connects again.
 *
 * <pre>{@code
 * try (OnDemandClient link = OnDemandClient.of(options, Duration.ofMinutes(1))) {
 *     link.publish("device/17/reading", "21.5", Qos.AT_LEAST_ONCE);   // connects, publishes
 *     // ... a minute without calls: disconnected ...
 *     link.publish("device/17/reading", "21.7", Qos.AT_LEAST_ONCE);   // connects again
 * }
 * }</pre>
 *
 * <p>Every connection is a new {@link MqttClient} made from the same options, so subscriptions
 * made through {@link #use(Function)} end with their connection (use {@code cleanSession(false)}
 * and a fixed client id for the broker to queue QoS 1 messages between connections). A
 * connection is never closed while a call is using it.
 */
public final class OnDemandClient implements AutoCloseable {
    private final MqttOptions options;
    private final long idleNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private MqttClient client;
    private int inUse;
    private long lastUsed;
    private int connections;
    private boolean closed;
    private final Thread idleWatch;

    private OnDemandClient(MqttOptions options, Duration idle) {
        this.options = options;
        this.idleNanos = idle.toNanos();
        this.idleWatch = Thread.ofVirtual().name("mote-on-demand-" + options.clientId()).start(this::watchIdle);
    }

    /**
     * An on-demand client; connects nothing yet.
     *
     * @param idle how long a connection may go unused before it is closed
     */
    public static OnDemandClient of(MqttOptions options, Duration idle) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(idle, "idle");
        if (idle.isNegative() || idle.isZero()) {
            throw new IllegalArgumentException("the idle time must be positive, not " + idle);
        }
        return new OnDemandClient(options, idle);
    }

    /**
     * Runs {@code call} with a connected client, connecting first if there is no connection; the
     * idle time counts from when the call returns.
     *
     * @throws MqttException             if connecting fails
     * @throws ClientClosedException     after {@link #close()}
     */
    public <T> T use(Function<MqttClient, T> call) {
        Objects.requireNonNull(call, "call");
        MqttClient c = acquire();
        try {
            return call.apply(c);
        } finally {
            release();
        }
    }

    /** Publishes, connecting first if needed; see {@link MqttClient#publish(String, byte[], Qos, boolean, Wait)}. */
    public Delivery publish(String topic, byte[] payload, Qos qos, boolean retain, Wait wait) {
        return use(c -> c.publish(topic, payload, qos, retain, wait));
    }

    /** Publishes UTF-8 text without retain, waiting for the acknowledgement, connecting first if needed. */
    public Delivery publish(String topic, String payload, Qos qos) {
        return publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, false, Wait.ACK);
    }

    /** True while a connection is open. */
    public boolean isConnected() {
        lock.lock();
        try {
            return client != null && client.isConnected();
        } finally {
            lock.unlock();
        }
    }

    /** How many connections this client has opened so far. */
    public int connections() {
        lock.lock();
        try {
            return connections;
        } finally {
            lock.unlock();
        }
    }

    private MqttClient acquire() {
        lock.lock();
        try {
            if (closed) {
                throw new ClientClosedException("the on-demand client is closed", null);
            }
            inUse++;
            try {
                // A client whose own reconnect policy is at work gets the connect timeout to come
                // back; one that gave up (or closed) is replaced by a new connection.
                if (client != null && !client.isConnected() && !client.awaitConnected(options.connectTimeout())) {
                    client.close();
                    client = null;
                }
                if (client == null) {
                    // Connecting under the lock: concurrent callers wait for this one connection.
                    client = MqttClient.connect(options);
                    connections++;
                }
            } catch (RuntimeException e) {
                inUse--;
                throw e;
            }
            return client;
        } finally {
            lock.unlock();
        }
    }

    private void release() {
        lock.lock();
        try {
            inUse--;
            lastUsed = System.nanoTime();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void watchIdle() {
        lock.lock();
        try {
            while (!closed) {
                if (client == null || inUse > 0) {
                    changed.await();
                    continue;
                }
                long left = lastUsed + idleNanos - System.nanoTime();
                if (left > 0) {
                    changed.awaitNanos(left);
                    continue;
                }
                MqttClient idle = client;
                client = null;
                idle.close(); // DISCONNECT; short, as nothing is in use
            }
        } catch (InterruptedException e) {
            // close() ends the watch
        } finally {
            lock.unlock();
        }
    }

    /** Closes the connection, if any, and ends the idle watch. Idempotent. */
    @Override
    public void close() {
        MqttClient c;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            c = client;
            client = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (c != null) {
            c.close();
        }
        try {
            idleWatch.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "OnDemandClient[" + options.servers().get(0) + ", idle " + Duration.ofNanos(idleNanos).toMillis() + " ms, "
                + (isConnected() ? "connected" : "not connected") + "]";
    }
}
