package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.MqttTransport;
import java.io.IOException;

/**
 * A connected, ordered, lossless byte stream to the broker (section 7.1.2). Transports only move
 * bytes: TCP, TLS, a user's own {@link MqttTransport}, WebSocket later. One thread reads and one
 * thread writes at a time; {@link #close()} may come from any thread and unblocks both. The
 * read/write/close contract is {@link MqttTransport}'s.
 */
public interface Transport extends MqttTransport {

    /** A short description of the peer for messages, e.g. {@code tcp://localhost:1883}. */
    String describe();

    /** The application protocol agreed in the TLS handshake (ALPN), or null if none. */
    default String applicationProtocol() {
        return null;
    }

    /**
     * Ends the outgoing direction once everything written is on its way (TCP FIN, TLS
     * close_notify), so the broker sees a clean end while the reader still drains what it sends.
     * Transports that cannot half-close do nothing and rely on the broker closing after DISCONNECT.
     */
    default void shutdownOutput() throws IOException {
    }

    /**
     * Bytes received and not yet read through this transport: in the socket and in the
     * transport's own buffers; -1 if it cannot tell. Never blocks. Keep-alive asks while the
     * reader is paused: 0 proves that no PINGRESP has come.
     */
    default int bytesBuffered() {
        return -1;
    }
}
