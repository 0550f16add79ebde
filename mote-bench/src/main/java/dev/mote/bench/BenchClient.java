package dev.mote.bench;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * What the benchmarks need from an MQTT client, so every client runs the same scenario code. One
 * instance is one connection. Each adapter uses its client's own asynchronous publish and its own
 * QoS completion (written for QoS 0, PUBACK for QoS 1, PUBCOMP for QoS 2).
 */
public interface BenchClient extends AutoCloseable {

    /**
     * The in-flight window every adapter uses (publishes not yet completed), read when a client is
     * created: 65,535 (the packet-id space, the most any of them allows) unless the driver lowers
     * it for every client alike ({@code --window N}, and 1,000 for QoS 2 end to end, see Main).
     */
    static int window() {
        Integer w = Main.WINDOW.get();
        return w != null ? w : Integer.getInteger("bench.window", 65_535);
    }

    /** Connects with a clean session and waits for CONNACK. */
    void connect(String host, int port, String clientId) throws Exception;

    /**
     * Subscribes and waits for SUBACK. The handler receives each payload on whatever thread the
     * client delivers on; a client delivers one subscription's messages one at a time.
     */
    void subscribe(String filter, int qos, Consumer<byte[]> handler) throws Exception;

    /**
     * Publishes without waiting for completion; blocks only while the client's in-flight window
     * (or, where the client has none, the adapter's) is full.
     */
    void publish(String topic, byte[] payload, int qos) throws Exception;

    /** Waits until every publish so far completed; false if the timeout ran out first. */
    boolean awaitPublished(Duration timeout) throws Exception;

    /** Publishes that failed (the client reported an error), so far. */
    long failedPublishes();

    /** Disconnects cleanly and releases the connection. */
    void disconnect() throws Exception;

    @Override
    default void close() throws Exception {
        disconnect();
    }
}
