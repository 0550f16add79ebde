package dev.mote.mqtt.internal.session;

/**
 * The pending acknowledgement of one received QoS 1 or QoS 2 PUBLISH. Acknowledgements leave in
 * arrival order (section 4.6), so one acknowledged early waits for those before it.
 */
public final class InboundAck {
    final int packetId;
    final int qos;
    boolean acknowledged;
    /** The connection it came on (see Session's generation). */
    int generation;
    /** The connection was lost before the application took it; its id was forgotten. */
    boolean orphaned;
    /** QoS 2: a hash of the topic and payload, to recognise the message if it comes again (see {@link ReleasedIds}). */
    long contentHash;
    /** Whether {@link #contentHash} is known (not for an id restored from a store). */
    boolean hashed;
    /** QoS 2: the send number of its latest PUBREC (0 before it is sent). */
    long pubrecSeq;

    InboundAck(int packetId, int qos) {
        this.packetId = packetId;
        this.qos = qos;
    }

    /** The PUBLISH's packet id. */
    public int packetId() {
        return packetId;
    }

    /** 1 or 2. */
    public int qos() {
        return qos;
    }
}
