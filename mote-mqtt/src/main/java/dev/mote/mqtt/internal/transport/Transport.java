package dev.mote.mqtt.internal.transport;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A connected, ordered, lossless byte stream to the broker (section 7.1.2). Transports only move
 * bytes: TCP today, TLS and WebSocket later. One thread reads and one thread writes at a time;
 * {@link #close()} may come from any thread and unblocks both.
 */
public interface Transport extends AutoCloseable {

    /**
     * Reads at least one byte into {@code dst}, blocking until some arrive.
     *
     * @return bytes read, or -1 at end of stream
     */
    int read(ByteBuffer dst) throws IOException;

    /** Writes all remaining bytes of {@code src}, blocking as needed. */
    void write(ByteBuffer src) throws IOException;

    /** A short description of the peer for messages, e.g. {@code tcp://localhost:1883}. */
    String describe();

    /** Closes the stream; idempotent, never throws. */
    @Override
    void close();
}
