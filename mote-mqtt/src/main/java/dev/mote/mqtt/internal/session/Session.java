package dev.mote.mqtt.internal.session;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Disconnect;
import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.Pingreq;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.codec.Suback;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.internal.codec.Unsuback;
import dev.mote.mqtt.internal.codec.Unsubscribe;
import dev.mote.mqtt.internal.store.SessionStore;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;

/**
 * The client side of one MQTT session, as a state machine with no I/O and no threads: commands
 * and received packets go in, packets to send and events come out through a
 * {@link SessionListener}. It owns everything the protocol makes the client remember: packet
 * identifiers in use, outbound QoS 1 and 2 messages until their handshake ends (in their original
 * order, for resending after a reconnect), inbound QoS 2 identifiers until PUBREL, the order of
 * pending acknowledgements, and keep-alive timing.
 *
 * <p>Not thread-safe: the caller serialises every call (the client holds one lock around them).
 * Times are {@link System#nanoTime()} values passed in by the caller, so tests control the clock.
 */
public final class Session {

    /** Where the connection stands, as far as the protocol is concerned. */
    public enum State {
        /** No connection (before the first, or between connections). */
        DISCONNECTED,
        /** CONNECT sent, waiting for CONNACK. */
        CONNECTING,
        /** CONNACK accepted. */
        CONNECTED,
        /** DISCONNECT sent, or the session ended; nothing more may be sent. */
        CLOSED
    }

    private static final int MAX_ID = 65_535;

    // Kinds of outbound entries.
    private static final int PUBLISH_QOS1 = 1;
    private static final int PUBLISH_QOS2 = 2;
    private static final int PUBREL = 3;
    private static final int SUBSCRIBE = 4;
    private static final int UNSUBSCRIBE = 5;

    /** One packet id in use, with what it waits for. PUBLISH/PUBREL entries are also chained in send order. */
    private static final class Outbound {
        final int id;
        int kind;
        Packet packet;
        final Object token;
        boolean sent;
        /** The send number of its latest transmission (see {@link Session#send}). */
        long seq;
        Outbound prev;
        Outbound next;

        Outbound(int id, int kind, Packet packet, Object token) {
            this.id = id;
            this.kind = kind;
            this.packet = packet;
            this.token = token;
        }
    }

    private static final Object KEEP_ALIVE_PING = new Object();

    private final SessionListener listener;
    private final int protocolLevel;
    private final SessionStore store;
    private State state = State.DISCONNECTED;

    private final IdTable<Outbound> byId = new IdTable<>();
    private int idsInUse;
    private int nextId = 1;
    private Outbound head;
    private Outbound tail;
    private int publishesInFlight;

    /**
     * Inbound QoS 2 messages whose PUBREL has not come yet ("method B": delivered on PUBLISH, id
     * kept), by packet id, each with its acknowledgement (content hash, PUBREC send number).
     */
    private final IdTable<InboundAck> awaitingPubrel = new IdTable<>();
    /** Released inbound QoS 2 messages whose PUBCOMP the broker may not have yet. */
    private final ReleasedIds released = new ReleasedIds();
    /** Counts packets handed to the listener, for {@link #released}. */
    private long sendSeq;
    private long keepAlivePingSeq;
    private final ArrayDeque<InboundAck> pendingAcks = new ArrayDeque<>();
    /** Counts connect() calls; an inbound ack remembers the one it came on. */
    private int generation;
    /** The last generation whose start (clean session, or CONNACK without a session) forgot every inbound id. */
    private int clearedGeneration;

    private final ArrayDeque<Object> pingTokens = new ArrayDeque<>();
    private long keepAliveNanos;
    private long pingTimeoutNanos;
    private long keepAlivePingSentAt;
    private boolean keepAlivePingOutstanding;

    /**
     * @param listener      receives packets to send and events
     * @param protocolLevel 4 for MQTT 3.1.1 (kept so MQTT 5 can branch on it later)
     */
    public Session(SessionListener listener, int protocolLevel) {
        this(listener, protocolLevel, SessionStore.NONE);
    }

    /**
     * A session that writes its state through {@code store}: each change is recorded before the
     * packet that follows from it is handed to the listener (see {@link SessionStore}).
     */
    public Session(SessionListener listener, int protocolLevel, SessionStore store) {
        this.listener = listener;
        this.protocolLevel = protocolLevel;
        this.store = store;
    }

    /**
     * Puts back an outbound message a store kept from an earlier process, at the end of the
     * in-flight order, before the first {@link #connect}. It counts as sent (it may have been),
     * so it goes again with DUP=1; a released one goes as PUBREL. Nothing is written to the store.
     */
    public void restore(Publish publish, boolean released, Object token) {
        if (state != State.DISCONNECTED) {
            throw new IllegalStateException("messages are restored before the first connection");
        }
        int id = publish.packetId();
        if (id < 1 || id > MAX_ID || byId.get(id) != null || publish.qos() == 0 || (released && publish.qos() != 2)) {
            throw new IllegalArgumentException("cannot restore " + publish + (released ? " as released" : ""));
        }
        Outbound o = released ? new Outbound(id, PUBREL, new Pubrel(id), token)
                : new Outbound(id, publish.qos() == 1 ? PUBLISH_QOS1 : PUBLISH_QOS2, publish, token);
        o.sent = true;
        byId.put(id, o);
        idsInUse++;
        append(o);
        publishesInFlight++;
        nextId = id == MAX_ID ? 1 : id + 1;
    }

    /** Puts back an inbound QoS 2 id awaiting PUBREL that a store kept, before the first {@link #connect}. */
    public void restoreInbound(int packetId) {
        if (state != State.DISCONNECTED) {
            throw new IllegalStateException("ids are restored before the first connection");
        }
        if (packetId < 1 || packetId > MAX_ID) {
            throw new IllegalArgumentException("cannot restore inbound packet id " + packetId);
        }
        InboundAck held = new InboundAck(packetId, 2);
        held.acknowledged = true; // its content is unknown here: hashed stays false
        awaitingPubrel.put(packetId, held);
    }

    public State state() {
        return state;
    }

    public int protocolLevel() {
        return protocolLevel;
    }

    /** Unacknowledged outbound QoS 1 and 2 publishes, including those waiting for PUBCOMP. */
    public int publishesInFlight() {
        return publishesInFlight;
    }

    /** Packet ids currently in use by this client (publishes, subscribes and unsubscribes). */
    public int idsInUse() {
        return idsInUse;
    }

    // ---------------------------------------------------------------- connection lifecycle

    /**
     * Starts a connection: sends CONNECT. Keep-alive pings start once CONNACK arrives.
     *
     * @param pingTimeoutNanos how long a keep-alive PINGREQ may go unanswered before the
     *                         connection is declared dead
     */
    public void connect(Connect connect, long pingTimeoutNanos) {
        if (state == State.CONNECTING || state == State.CONNECTED) {
            throw new IllegalStateException("already " + state.name().toLowerCase() + "; CONNECT is sent once per connection");
        }
        if (state == State.CLOSED) {
            throw new IllegalStateException("the session is closed");
        }
        generation++;
        if (connect.cleanSession()) {
            clearSessionState();
        }
        this.keepAliveNanos = connect.keepAliveSeconds() * 1_000_000_000L;
        this.pingTimeoutNanos = pingTimeoutNanos;
        this.keepAlivePingOutstanding = false;
        state = State.CONNECTING;
        send(connect, null);
    }

    /**
     * The connection ended without DISCONNECT. Subscribes, unsubscribes and pings in progress are
     * given to {@code abandoned} (they are not resent); publishes stay in flight for the next
     * connection.
     */
    public void connectionLost(Consumer<Object> abandoned) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.DISCONNECTED;
        keepAlivePingOutstanding = false;
        for (Object token : pingTokens) {
            if (token != KEEP_ALIVE_PING) {
                abandoned.accept(token);
            }
        }
        pingTokens.clear();
        for (int id = 1; id <= MAX_ID && idsInUse > publishesInFlight; id++) {
            Outbound o = byId.get(id);
            if (o != null && (o.kind == SUBSCRIBE || o.kind == UNSUBSCRIBE)) {
                release(o);
                abandoned.accept(o.token);
            }
        }
        // Acks not yet sent are lost with the connection; the broker resends those messages.
        // A QoS 2 message the application never got must be delivered when it comes again, so
        // its id is forgotten; one the application has (its PUBREC only held back for order)
        // keeps its id, so the resend is answered without a second delivery.
        for (InboundAck ack : pendingAcks) {
            if (ack.qos == 2 && !ack.acknowledged) {
                awaitingPubrel.remove(ack.packetId);
                ack.orphaned = true; // unless the application takes it after all; see acknowledge
            }
            ack.acknowledged = true;
        }
        pendingAcks.clear();
        for (Outbound o = head; o != null; o = o.next) {
            o.sent = o.sent || o.kind == PUBREL;
        }
    }

    /** Sends DISCONNECT; nothing else may be sent afterwards ([MQTT-3.14.4-2]). */
    public void disconnect() {
        if (state == State.CONNECTED || state == State.CONNECTING) {
            send(Disconnect.INSTANCE, null);
        }
        state = State.CLOSED;
    }

    /**
     * Ends the session for good and hands every pending token (publishes, subscribes,
     * unsubscribes, pings) to {@code abandoned}, in send order for publishes.
     */
    public void close(Consumer<Object> abandoned) {
        state = State.CLOSED;
        for (Outbound o = head; o != null; o = o.next) {
            abandoned.accept(o.token);
        }
        for (int id = 1; id <= MAX_ID && idsInUse > 0; id++) {
            Outbound o = byId.get(id);
            if (o != null) {
                if (o.kind == SUBSCRIBE || o.kind == UNSUBSCRIBE) {
                    abandoned.accept(o.token);
                }
                byId.remove(id);
                idsInUse--;
            }
        }
        head = tail = null;
        publishesInFlight = 0;
        for (Object token : pingTokens) {
            if (token != KEEP_ALIVE_PING) {
                abandoned.accept(token);
            }
        }
        pingTokens.clear();
        pendingAcks.clear();
    }

    private void clearSessionState() {
        // A clean session starts from nothing on both sides ([MQTT-3.1.2-6]); in-flight
        // publishes are kept, since the application still expects them delivered: they are
        // sent again as new messages after CONNACK.
        awaitingPubrel.clear();
        released.clear();
        pendingAcks.clear();
        clearedGeneration = generation;
        store.inboundCleared();
    }

    // ---------------------------------------------------------------- commands

    /**
     * Publishes. QoS 0 is sent at once; QoS 1 and 2 get a packet id and stay in flight until
     * acknowledged. While not connected, QoS 1 and 2 wait in flight and go out after CONNACK.
     *
     * @return the packet id (0 for QoS 0)
     * @throws IllegalStateException if QoS 0 is published while not connected, after close, or
     *                               if every packet id is in use
     */
    public int publish(String topic, byte[] payload, int qos, boolean retain, Object token) {
        if (state == State.CLOSED) {
            throw new IllegalStateException("the session is closed");
        }
        if (qos == 0) {
            if (state != State.CONNECTED) {
                throw new IllegalStateException("not connected");
            }
            send(new Publish(topic, payload, 0, retain, false, 0), token);
            return 0;
        }
        int id = allocateId();
        Publish p = new Publish(topic, payload, qos, retain, false, id);
        try {
            store.published(p); // before anything can send it
        } catch (RuntimeException e) {
            idsInUse--;
            throw e;
        }
        Outbound o = new Outbound(id, qos == 1 ? PUBLISH_QOS1 : PUBLISH_QOS2, p, token);
        byId.put(id, o);
        append(o);
        publishesInFlight++;
        if (state == State.CONNECTED) {
            o.sent = true;
            o.seq = send(p, token);
        }
        return id;
    }

    /** Sends SUBSCRIBE; {@link SessionListener#subscribed} follows on SUBACK. */
    public int subscribe(List<Subscribe.Filter> filters, Object token) {
        requireConnected();
        int id = allocateId();
        Subscribe s = new Subscribe(id, filters);
        Outbound o = new Outbound(id, SUBSCRIBE, s, token);
        byId.put(id, o);
        o.seq = send(s, token);
        return id;
    }

    /** Sends UNSUBSCRIBE; {@link SessionListener#unsubscribed} follows on UNSUBACK. */
    public int unsubscribe(List<String> filters, Object token) {
        requireConnected();
        int id = allocateId();
        Unsubscribe u = new Unsubscribe(id, filters);
        Outbound o = new Outbound(id, UNSUBSCRIBE, u, token);
        byId.put(id, o);
        o.seq = send(u, token);
        return id;
    }

    /** Sends PINGREQ; {@link SessionListener#pong} follows with {@code token}. */
    public void ping(Object token) {
        requireConnected();
        pingTokens.add(token);
        send(Pingreq.INSTANCE, null);
    }

    /**
     * The application took a received message: sends its PUBACK or PUBREC when every message
     * received before it has been acknowledged too ([MQTT-4.6.0-2], [MQTT-4.6.0-3]).
     */
    public void acknowledge(InboundAck ack) {
        if (ack.orphaned) {
            // The application took a QoS 2 message whose connection was lost while it was being
            // handed over. The broker will resend it: remember the id again, so that resend is
            // answered without a second delivery, unless the broker's session (and with it the
            // resend) is gone, or the resend came already.
            ack.orphaned = false;
            if (clearedGeneration <= ack.generation && !isAwaitingPubrel(ack.packetId) && state != State.CLOSED) {
                ack.pubrecSeq = 0; // its PUBREC never left
                awaitingPubrel.put(ack.packetId, ack);
                store.inboundHeld(ack.packetId);
            }
            return;
        }
        if (ack.acknowledged) {
            return;
        }
        ack.acknowledged = true;
        if (ack.qos == 2) {
            store.inboundHeld(ack.packetId); // before its PUBREC can leave
        }
        sendReadyAcks();
    }

    /** Sends the acknowledgements at the head of the queue that are ready, in arrival order. */
    private void sendReadyAcks() {
        InboundAck first;
        while ((first = pendingAcks.peekFirst()) != null && first.acknowledged) {
            pendingAcks.pollFirst();
            if (state == State.CONNECTED) {
                if (first.qos == 1) {
                    send(new Puback(first.packetId), null);
                } else {
                    first.pubrecSeq = send(new Pubrec(first.packetId), null);
                }
            }
        }
    }

    /** Acknowledgements held back because an earlier message is not acknowledged yet, plus that one. */
    public int pendingAcknowledgements() {
        return pendingAcks.size();
    }

    private void requireConnected() {
        if (state != State.CONNECTED) {
            throw new IllegalStateException(state == State.CLOSED ? "the session is closed" : "not connected");
        }
    }

    // ---------------------------------------------------------------- keep-alive

    /**
     * Keep-alive bookkeeping ([MQTT-3.1.2-23]): sends PINGREQ when nothing was sent, or nothing
     * received, for a keep-alive interval, and declares the connection dead when that PINGREQ
     * is not answered within the ping timeout.
     *
     * @return nanoseconds until this should be called again (Long.MAX_VALUE: keep-alive is off)
     */
    public long tick(long now, long lastSentAt, long lastReceivedAt) {
        if (state != State.CONNECTED || keepAliveNanos == 0) {
            return Long.MAX_VALUE;
        }
        if (keepAlivePingOutstanding) {
            long overdue = now - keepAlivePingSentAt - pingTimeoutNanos;
            if (overdue >= 0) {
                keepAlivePingOutstanding = false;
                listener.dead("no PINGRESP within " + millis(pingTimeoutNanos) + " ms of PINGREQ (keep-alive "
                        + keepAliveNanos / 1_000_000_000L + " s)");
                return Long.MAX_VALUE;
            }
            return -overdue;
        }
        // The older of the two, compared by difference: nanoTime values may overflow between them.
        long idleSince = lastSentAt - lastReceivedAt < 0 ? lastSentAt : lastReceivedAt;
        long due = idleSince + keepAliveNanos - now;
        if (due <= 0) {
            keepAlivePingOutstanding = true;
            keepAlivePingSentAt = now;
            pingTokens.add(KEEP_ALIVE_PING);
            keepAlivePingSeq = send(Pingreq.INSTANCE, null);
            return pingTimeoutNanos;
        }
        return due;
    }

    /**
     * Restarts the clock of an outstanding keep-alive PINGREQ. The client calls this while its
     * reader is paused by back-pressure: the PINGRESP may be waiting unread in the socket, so
     * its absence proves nothing.
     */
    public void restartPingClock(long now) {
        if (keepAlivePingOutstanding) {
            keepAlivePingSentAt = now;
        }
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000L;
    }

    // ---------------------------------------------------------------- received packets

    /** Handles one packet from the broker. */
    public void onPacket(Packet packet) {
        switch (state) {
            case CONNECTING -> onPacketWhileConnecting(packet);
            case CONNECTED -> onPacketWhileConnected(packet);
            default -> { /* after close or loss, late packets mean nothing */ }
        }
    }

    private void onPacketWhileConnecting(Packet packet) {
        if (!(packet instanceof Connack c)) {
            violation("sent " + Packet.name(packet.type()) + " before CONNACK; the first packet from a broker must be CONNACK");
            return;
        }
        if (c.returnCode() != 0) {
            // The broker closes the connection after a refusal; the session itself may try again.
            state = State.DISCONNECTED;
            listener.refused(c.returnCode());
            return;
        }
        state = State.CONNECTED;
        if (!c.sessionPresent()) {
            // The broker has no session: the inbound QoS 2 ids it would release are gone.
            awaitingPubrel.clear();
            released.clear();
            clearedGeneration = generation;
            store.inboundCleared();
        }
        listener.connected(c.sessionPresent());
        resendInFlight();
    }

    /**
     * Sends what the previous connection left unfinished, in original order ([MQTT-4.4.0-1],
     * [MQTT-4.6.0-1]): PUBLISH again with DUP=1 if it was sent before, PUBREL again.
     */
    private void resendInFlight() {
        for (Outbound o = head; o != null; o = o.next) {
            if (o.kind == PUBREL) {
                o.seq = send(o.packet, null);
            } else {
                Publish p = (Publish) o.packet;
                Publish out = o.sent ? p.asDuplicate() : p;
                o.sent = true;
                o.seq = send(out, o.token);
            }
        }
    }

    private void onPacketWhileConnected(Packet packet) {
        // A switch on the type number, not on the record types: the pattern switch's type test
        // was a tenth of the client's CPU time when acknowledgements stream in (docs/benchmarks.md).
        switch (packet.type()) {
            case Packet.PUBLISH -> onPublish((Publish) packet);
            case Packet.PUBACK -> onPuback(((Puback) packet).packetId());
            case Packet.PUBREC -> onPubrec(((Pubrec) packet).packetId());
            case Packet.PUBCOMP -> onPubcomp(((Pubcomp) packet).packetId());
            case Packet.PUBREL -> onPubrel(((Pubrel) packet).packetId());
            case Packet.SUBACK -> onSuback((Suback) packet);
            case Packet.UNSUBACK -> onUnsuback(((Unsuback) packet).packetId());
            case Packet.PINGRESP -> onPingresp();
            case Packet.CONNACK -> violation("sent a second CONNACK on the same connection");
            default -> violation("sent " + Packet.name(packet.type()) + ", which only a client may send");
        }
    }

    private void onPublish(Publish p) {
        String topic = p.topic();
        if (topic.isEmpty()) {
            violation("sent a PUBLISH with an empty topic name");
            return;
        }
        if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0) {
            violation("sent a PUBLISH whose topic name contains a wildcard: " + dev.mote.mqtt.internal.util.Printable.quote(topic));
            return;
        }
        switch (p.qos()) {
            case 0 -> listener.received(p, null);
            case 1 -> {
                InboundAck ack = new InboundAck(p.packetId(), 1);
                pendingAcks.addLast(ack);
                listener.received(p, ack);
            }
            default -> {
                int id = p.packetId();
                InboundAck held = awaitingPubrel.get(id);
                if (held != null) {
                    // Already delivered ([MQTT-4.3.3-2]): answer PUBREC again unless that PUBREC
                    // is still held back for ordering, in which case it will go out anyway.
                    if (!isPendingAck(id)) {
                        held.pubrecSeq = send(new Pubrec(id), null);
                    }
                    listener.duplicateDropped(id, false);
                    return;
                }
                InboundAck ack = new InboundAck(id, 2);
                ack.generation = generation;
                ack.contentHash = contentHash(p);
                ack.hashed = true;
                awaitingPubrel.put(id, ack);
                if (p.dup() && released.contains(id, ack.contentHash)) {
                    // The broker resends a message it already released (see ReleasedIds): the
                    // application has it. Answer as for any message not yet released, without
                    // delivering it again; its PUBREL will follow.
                    ack.acknowledged = true;
                    store.inboundHeld(id); // before its PUBREC can leave
                    pendingAcks.addLast(ack);
                    sendReadyAcks();
                    listener.duplicateDropped(id, true);
                    return;
                }
                pendingAcks.addLast(ack);
                listener.received(p, ack);
            }
        }
    }

    private boolean isPendingAck(int id) {
        for (InboundAck a : pendingAcks) {
            if (a.packetId == id && a.qos == 2) {
                return true;
            }
        }
        return false;
    }

    private void onPuback(int id) {
        Outbound o = byId.get(id);
        if (o == null || o.kind != PUBLISH_QOS1) {
            violation(unexpectedAck("PUBACK", id, o));
            return;
        }
        released.confirmThrough(o.seq);
        release(o);
        store.completed(id);
        listener.published(o.token);
    }

    private void onPubrec(int id) {
        Outbound o = byId.get(id);
        if (o != null && o.kind == PUBREL) {
            // A PUBREC again for a message already released: the PUBREL may have crossed it; send it again.
            o.seq = send(o.packet, null);
            return;
        }
        if (o == null || o.kind != PUBLISH_QOS2) {
            violation(unexpectedAck("PUBREC", id, o));
            return;
        }
        // From now on the PUBLISH is never sent again, only the PUBREL ([MQTT-4.3.3-1]); the
        // entry keeps its place so resends stay in order.
        released.confirmThrough(o.seq);
        o.kind = PUBREL;
        o.packet = new Pubrel(id);
        store.released(id); // before the PUBREL: after a restart the PUBLISH must not go again
        o.seq = send(o.packet, null);
    }

    private void onPubcomp(int id) {
        Outbound o = byId.get(id);
        if (o == null || o.kind != PUBREL) {
            violation(unexpectedAck("PUBCOMP", id, o));
            return;
        }
        released.confirmThrough(o.seq);
        release(o);
        store.completed(id);
        listener.published(o.token);
    }

    private void onPubrel(int id) {
        InboundAck held = awaitingPubrel.get(id);
        if (held == null) {
            // Answer even an id we no longer know: a resumed session can legitimately resend one
            // (its PUBCOMP was lost). If we released it, this PUBCOMP may be lost as well.
            released.addAgain(id, send(new Pubcomp(id), null));
            return;
        }
        awaitingPubrel.remove(id);
        store.inboundReleased(id); // before the PUBCOMP: once the broker has it, it may reuse the id
        if (held.pubrecSeq > 0) {
            released.confirmThrough(held.pubrecSeq); // the broker read this far
        }
        long pubcomp = send(new Pubcomp(id), null);
        if (held.hashed) {
            released.add(id, held.contentHash, pubcomp);
        }
    }

    private void onSuback(Suback s) {
        Outbound o = byId.get(s.packetId());
        if (o == null || o.kind != SUBSCRIBE) {
            violation(unexpectedAck("SUBACK", s.packetId(), o));
            return;
        }
        released.confirmThrough(o.seq);
        int asked = ((Subscribe) o.packet).filters().size();
        if (s.returnCodes().length != asked) {
            violation("sent a SUBACK with " + s.returnCodes().length + " return codes for a SUBSCRIBE of "
                    + asked + " filters (packet id " + s.packetId() + ")");
            return;
        }
        release(o);
        listener.subscribed(o.token, s.returnCodes());
    }

    private void onUnsuback(int id) {
        Outbound o = byId.get(id);
        if (o == null || o.kind != UNSUBSCRIBE) {
            violation(unexpectedAck("UNSUBACK", id, o));
            return;
        }
        released.confirmThrough(o.seq);
        release(o);
        listener.unsubscribed(o.token);
    }

    private void onPingresp() {
        Object token = pingTokens.pollFirst();
        if (token == null) {
            violation("sent a PINGRESP without a PINGREQ");
            return;
        }
        if (token == KEEP_ALIVE_PING) {
            released.confirmThrough(keepAlivePingSeq);
            keepAlivePingOutstanding = false;
            listener.pong(null);
        } else {
            listener.pong(token);
        }
    }

    private static String unexpectedAck(String what, int id, Outbound o) {
        if (o == null) {
            return "sent " + what + " for packet id " + id + ", which this client has not used";
        }
        String waiting = switch (o.kind) {
            case PUBLISH_QOS1 -> "a QoS 1 PUBLISH waiting for PUBACK";
            case PUBLISH_QOS2 -> "a QoS 2 PUBLISH waiting for PUBREC";
            case PUBREL -> "a PUBREL waiting for PUBCOMP";
            case SUBSCRIBE -> "a SUBSCRIBE waiting for SUBACK";
            default -> "an UNSUBSCRIBE waiting for UNSUBACK";
        };
        return "sent " + what + " for packet id " + id + ", which belongs to " + waiting;
    }

    private void violation(String description) {
        state = State.DISCONNECTED;
        listener.violation(description);
    }

    // ---------------------------------------------------------------- ids and ordering

    private int allocateId() {
        if (idsInUse >= MAX_ID) {
            throw new IllegalStateException("all 65535 packet identifiers are in use");
        }
        int id = nextId;
        while (byId.get(id) != null) {
            id = id == MAX_ID ? 1 : id + 1;
        }
        nextId = id == MAX_ID ? 1 : id + 1;
        idsInUse++;
        return id;
    }

    private void append(Outbound o) {
        o.prev = tail;
        if (tail == null) {
            head = o;
        } else {
            tail.next = o;
        }
        tail = o;
    }

    private void release(Outbound o) {
        byId.remove(o.id);
        idsInUse--;
        if (o.kind == SUBSCRIBE || o.kind == UNSUBSCRIBE) {
            return;
        }
        publishesInFlight--;
        if (o.prev == null) {
            head = o.next;
        } else {
            o.prev.next = o.next;
        }
        if (o.next == null) {
            tail = o.prev;
        } else {
            o.next.prev = o.prev;
        }
        o.prev = o.next = null;
    }

    private boolean isAwaitingPubrel(int id) {
        return awaitingPubrel.get(id) != null;
    }

    /** Hands {@code packet} to the listener; returns its send number (see {@link #released}). */
    private long send(Packet packet, Object token) {
        listener.send(packet, token);
        return ++sendSeq;
    }

    /** Topic and payload in 64 bits: enough to tell a resent message from another one on the same id. */
    static long contentHash(Publish p) {
        byte[] payload = p.payload();
        long h = ((long) p.topic().hashCode() << 32) ^ (java.util.Arrays.hashCode(payload) & 0xFFFF_FFFFL);
        return h ^ (payload.length * 0x9E37_79B9_7F4A_7C15L);
    }
}
