package dev.mote.mqtt;

import java.time.Duration;
import java.util.List;

/**
 * One SUBSCRIBE of one or more filters, and the messages routed to it.
 *
 * <p>Without a handler, a subscription is a blocking source of messages: {@link #receive()},
 * {@link #receive(Duration)}, {@link #poll()} or a for-each loop, in arrival order. Messages are
 * buffered up to the client's per-subscription bound; beyond it the client stops reading from the
 * network (back-pressure) rather than grow the heap or drop anything. With a handler, messages go
 * to the handler instead and the receive methods throw {@link IllegalStateException}.
 *
 * <p>{@link #close()} unsubscribes the filters no other subscription of this client still uses.
 * After close (or after the client closed) the receive methods return what is buffered, then
 * {@code null}, and iteration ends. Closing a subscription with manual acknowledgement and no
 * handler acknowledges what is still in its buffer (acknowledging again is harmless): left
 * unacknowledged, those messages would hold back every later acknowledgement of the client. A
 * handler goes on through its buffer after close and acknowledges as usual.
 */
public interface Subscription extends AutoCloseable, Iterable<Message> {

    /** The filters as requested. */
    List<TopicFilter> filters();

    /**
     * The QoS the broker granted for each filter, in order, or {@code null} for a refused filter.
     * Waits for SUBACK if it has not arrived (at most the client's acknowledgement timeout).
     */
    List<Qos> grantedQos();

    /** The QoS granted for the first (often the only) filter; waits for SUBACK like {@link #grantedQos()}. */
    default Qos grantedQosOfFirst() {
        return grantedQos().get(0);
    }

    /** True until closed, or until the client closed. */
    boolean isActive();

    /** Waits for the next message; returns {@code null} once closed and drained. */
    Message receive();

    /** Waits at most {@code timeout} for the next message; {@code null} if none came or once closed and drained. */
    Message receive(Duration timeout);

    /** The next buffered message, or {@code null} without waiting. */
    Message poll();

    /** Unsubscribes (waiting for UNSUBACK, at most the acknowledgement timeout) and ends the stream. */
    @Override
    void close();
}
