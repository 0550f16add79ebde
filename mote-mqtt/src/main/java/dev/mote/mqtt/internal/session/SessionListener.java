package dev.mote.mqtt.internal.session;

import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.Publish;

/**
 * What a {@link Session} asks of the world: packets to write, in order, and events. The session
 * calls these while the caller holds whatever lock guards the session, so implementations must
 * not block (queue the packet, complete a future, hand a message on).
 *
 * <p>Tokens are opaque objects the caller passed with a command (a delivery handle, a subscribe
 * request); the session keeps them and gives them back with the matching event.
 */
public interface SessionListener {

    /**
     * Write {@code packet}. {@code token} is the token of the PUBLISH, SUBSCRIBE or UNSUBSCRIBE
     * command being sent (for "sent" tracking), or null for packets the session makes itself.
     */
    void send(Packet packet, Object token);

    /** CONNACK accepted the connection. */
    void connected(boolean sessionPresent);

    /** CONNACK refused the connection with {@code returnCode} (1..255). */
    void refused(int returnCode);

    /** The publish of {@code token} was acknowledged: PUBACK (QoS 1) or PUBCOMP (QoS 2). */
    void published(Object token);

    /**
     * A message arrived for the application. For QoS 1 and 2 the acknowledgement waits until
     * {@link Session#acknowledge(InboundAck)} is called with {@code ack}; for QoS 0 {@code ack} is null.
     */
    void received(Publish publish, InboundAck ack);

    /** SUBACK for the SUBSCRIBE of {@code token}, one return code per filter. */
    void subscribed(Object token, int[] returnCodes);

    /** UNSUBACK for the UNSUBSCRIBE of {@code token}. */
    void unsubscribed(Object token);

    /** PINGRESP for a PINGREQ; {@code token} is null for a keep-alive ping. */
    void pong(Object token);

    /** The broker broke the protocol; the connection must be closed. */
    void violation(String description);

    /** Keep-alive found the connection dead (no PINGRESP in time); it must be closed. */
    void dead(String description);

    /**
     * A QoS 2 message came again and was answered without a second delivery: a resend before its
     * PUBREL (the protocol's own case), or, with {@code afterRelease}, a resend of a message the
     * broker had already released, which the protocol forbids (see {@link ReleasedIds}).
     */
    default void duplicateDropped(int packetId, boolean afterRelease) {}
}
