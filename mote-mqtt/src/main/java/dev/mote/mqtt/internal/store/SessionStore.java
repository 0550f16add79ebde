package dev.mote.mqtt.internal.store;

import dev.mote.mqtt.internal.codec.Publish;
import java.io.IOException;

/**
 * Where a {@link dev.mote.mqtt.internal.session.Session} writes the state a new process needs to
 * finish the session: outbound QoS 1/2 messages in their order (with whether the broker already
 * PUBREC'd them) and inbound QoS 2 ids awaiting PUBREL.
 *
 * <p>The session calls each method <em>before</em> it queues the packet that follows from the
 * change (PUBLISH after {@link #published}, PUBREL after {@link #released}, PUBREC after
 * {@link #inboundHeld}, PUBCOMP after {@link #inboundReleased}), under the client's lock. A
 * store writes the record at once (so it survives the process being killed), and makes it
 * durable in {@link #sync()}, which the writer thread calls before it writes queued packets to
 * the socket: no packet leaves before the state change that led to it is on disk. Many records
 * share one sync (group commit).
 *
 * <p>Only {@link #published} reports a failure to its caller (the publish then fails and the
 * session is unchanged); the other methods remember a failure, and {@link #sync()} throws it,
 * so the packet that depended on the lost record is never sent.
 */
public interface SessionStore {

    /** An outbound QoS 1/2 PUBLISH was accepted (its packet id allocated); PUBLISH may follow. */
    void published(Publish publish);

    /** PUBREC arrived for outbound {@code packetId}; PUBREL follows, and the PUBLISH is never sent again. */
    void released(int packetId);

    /** PUBACK or PUBCOMP ended outbound {@code packetId}. */
    void completed(int packetId);

    /** The application took inbound QoS 2 message {@code packetId}; PUBREC follows. */
    void inboundHeld(int packetId);

    /** PUBREL arrived for inbound {@code packetId}; PUBCOMP follows. */
    void inboundReleased(int packetId);

    /** The broker has no session (or a clean session starts): every inbound id is forgotten. */
    void inboundCleared();

    /**
     * Makes every record written so far durable. Called by the writer thread, without the
     * client's lock, before it writes packets to the network.
     *
     * @throws IOException if the store failed (now or in an earlier record)
     */
    void sync() throws IOException;

    /** Releases the store (its files stay). Idempotent. */
    void close();

    /** The in-memory default: keeps nothing beyond the session's own memory. */
    SessionStore NONE = new SessionStore() {
        @Override
        public void published(Publish publish) {}

        @Override
        public void released(int packetId) {}

        @Override
        public void completed(int packetId) {}

        @Override
        public void inboundHeld(int packetId) {}

        @Override
        public void inboundReleased(int packetId) {}

        @Override
        public void inboundCleared() {}

        @Override
        public void sync() {}

        @Override
        public void close() {}

        @Override
        public String toString() {
            return "in-memory session";
        }
    };
}
