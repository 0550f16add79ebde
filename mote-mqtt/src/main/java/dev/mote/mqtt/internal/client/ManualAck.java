package dev.mote.mqtt.internal.client;

import dev.mote.mqtt.internal.session.InboundAck;
import dev.mote.mqtt.internal.util.AckHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The acknowledgement of one received QoS 1 or 2 message that manual-acknowledgement
 * subscriptions decide: it goes to the session once each of their copies was acknowledged.
 */
final class ManualAck {
    private final ClientCore core;
    /** The connection it came on; its count of unacknowledged messages is the one to lower. */
    final Connection conn;
    final InboundAck ack;
    private final AtomicInteger copiesLeft;

    ManualAck(ClientCore core, Connection conn, InboundAck ack, int copies) {
        this.core = core;
        this.conn = conn;
        this.ack = ack;
        this.copiesLeft = new AtomicInteger(copies);
    }

    /** The handle of one subscription's copy: acknowledging it twice counts once. */
    AckHandle copyHandle() {
        AtomicBoolean done = new AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true) && copiesLeft.decrementAndGet() == 0) {
                core.acknowledged(this);
            }
        };
    }
}
