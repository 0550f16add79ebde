package dev.mote.mqtt.internal.client;

import dev.mote.mqtt.ClientClosedException;
import dev.mote.mqtt.ConnectionLostException;
import dev.mote.mqtt.ConnectionRefusedException;
import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MessageHandler;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttInterruptedException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.MqttTimeoutException;
import dev.mote.mqtt.ProtocolViolationException;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.TopicFilter;
import dev.mote.mqtt.Wait;
import dev.mote.mqtt.Will;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.MalformedPacketException;
import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.PacketDecoder;
import dev.mote.mqtt.internal.codec.PacketEncoder;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.internal.session.InboundAck;
import dev.mote.mqtt.internal.session.Session;
import dev.mote.mqtt.internal.session.SessionListener;
import dev.mote.mqtt.internal.topic.TopicTree;
import dev.mote.mqtt.internal.topic.Topics;
import dev.mote.mqtt.internal.transport.TcpTransport;
import dev.mote.mqtt.internal.transport.Transport;
import dev.mote.mqtt.internal.util.Printable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The running client: glues the pure {@link Session} to a transport and to the application.
 *
 * <p>Threads, all virtual: per connection a reader (decodes, feeds the session, hands messages
 * to subscriptions), a writer (drains the outbound queue into as few socket writes as it can) and
 * a keep-alive timer; per handler subscription one thread running the handler. Application
 * threads call in directly.
 *
 * <p>One {@link ReentrantLock} guards the session, the topic tree and the subscription registry.
 * Nothing blocks while holding it: packets go to the writer's queue, which never blocks, and
 * messages are handed to subscription buffers (which may block) only after it is released.
 */
public final class ClientCore implements SessionListener {
    private static final System.Logger LOG = System.getLogger("dev.mote.mqtt");
    private static final int READ_BUFFER = 64 * 1024;
    private static final int WRITE_BUFFER = 64 * 1024;
    private static final int WRITE_BATCH = 256;

    private enum State { NEW, CONNECTING, CONNECTED, CLOSING, CLOSED }

    private final MqttOptions options;
    private final long ackTimeoutNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final Session session;
    private final Semaphore window;
    private final Semaphore qos0Slots;

    // Guarded by lock.
    private State state = State.NEW;
    private MqttException closeCause;
    private Connection conn;
    private final TopicTree<SubscriptionImpl> routes = new TopicTree<>();
    private final Set<SubscriptionImpl> subscriptions = new LinkedHashSet<>();
    private final Map<String, Integer> filterUsers = new HashMap<>();
    private int qos0Queued;
    /** Messages the reader must hand on once it releases the lock (only the reader thread touches it). */
    private final ArrayList<Inbound> inbound = new ArrayList<>();
    /** A failure noticed under the lock, acted on after it is released. */
    private MqttException deferredFailure;

    private final SubscriptionImpl defaultSubscription;
    private volatile boolean sessionPresent;
    private final Completion connack = new Completion();

    /** A received message, where it goes, and the acknowledgement it owes. */
    private record Inbound(Message message, Object targets, InboundAck ack) {}

    public ClientCore(MqttOptions options) {
        this.options = options;
        this.ackTimeoutNanos = options.ackTimeout().toNanos();
        this.session = new Session(this, Connect.LEVEL_3_1_1);
        this.window = new Semaphore(options.inFlightWindow());
        this.qos0Slots = new Semaphore(options.maxQueuedQos0());
        MessageHandler dh = options.defaultHandler();
        this.defaultSubscription = dh == null ? null
                : new SubscriptionImpl(this, List.of(TopicFilter.of("#", Qos.EXACTLY_ONCE)), dh,
                        options.subscriptionBuffer(), ackTimeoutNanos);
    }

    public MqttOptions options() {
        return options;
    }

    public String describeServer() {
        return "tcp://" + options.host() + ":" + options.port();
    }

    // ================================================================ connect and close

    /** Connects and waits for CONNACK; on failure everything is released and the exception thrown. */
    public void connect() {
        lock.lock();
        try {
            if (state != State.NEW) {
                throw new IllegalStateException("connect is called once per client");
            }
            state = State.CONNECTING;
        } finally {
            lock.unlock();
        }
        long deadline = System.nanoTime() + options.connectTimeout().toNanos();
        Transport transport;
        try {
            transport = TcpTransport.connect(options.host(), options.port(), options.connectTimeout());
        } catch (IOException e) {
            MqttException ex = new MqttException("cannot connect to " + describeServer() + ": " + e.getMessage(), e);
            finishClose(ex);
            throw ex;
        }
        Connection c = new Connection(transport);
        if (defaultSubscription != null) {
            defaultSubscription.start("mote-default-handler-" + options.clientId());
        }
        lock.lock();
        try {
            conn = c;
            c.writer = ClientThreads.start("mote-writer-" + options.clientId(), () -> runWriter(c));
            session.connect(connectPacket(), options.pingTimeout().toNanos());
            c.reader = ClientThreads.start("mote-reader-" + options.clientId(), () -> runReader(c));
        } finally {
            lock.unlock();
        }
        long remaining = deadline - System.nanoTime();
        boolean answered;
        try {
            answered = connack.awaitNanos(Math.max(1, remaining), "CONNACK");
        } catch (MqttInterruptedException e) {
            connectionFailed(c, new ClientClosedException("interrupted while connecting", e));
            throw e;
        }
        if (!answered) {
            MqttTimeoutException ex = new MqttTimeoutException("no CONNACK from " + describeServer() + " within "
                    + options.connectTimeout().toMillis() + " ms of connecting");
            connectionFailed(c, ex);
            throw ex;
        }
        MqttException f = connack.failureCause();
        if (f != null) {
            throw Failures.rethrow(f);
        }
        c.keepAlive = ClientThreads.start("mote-keepalive-" + options.clientId(), () -> runKeepAlive(c));
    }

    private Connect connectPacket() {
        Will w = options.will();
        return new Connect(Connect.LEVEL_3_1_1, options.clientId(), options.cleanSession(),
                (int) options.keepAlive().toSeconds(),
                w == null ? null : w.topic(), w == null ? null : w.payload(),
                w == null ? 0 : w.qos().value(), w != null && w.retain(),
                options.username(), options.password());
    }

    /**
     * Closes: waits (at most the close timeout) for in-flight publishes, sends DISCONNECT, closes
     * the connection, fails whatever is still pending, and lets handlers finish their buffers.
     */
    public void close() {
        long deadline = System.nanoTime() + options.closeTimeout().toNanos();
        Connection c;
        lock.lock();
        try {
            if (state == State.CLOSED || state == State.CLOSING) {
                return;
            }
            boolean wasConnected = state == State.CONNECTED;
            state = State.CLOSING;
            c = conn;
            if (wasConnected && c != null && !c.failed.get()) {
                // Let what was accepted go out: acknowledged QoS 1/2, written QoS 0.
                while ((session.publishesInFlight() > 0 || qos0Queued > 0) && !c.failed.get()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    idle.awaitNanos(left);
                }
                if (!c.failed.get()) {
                    session.disconnect();
                }
            }
            if (c != null) {
                c.queue.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c = conn;
        } finally {
            lock.unlock();
        }
        window.release(Integer.MAX_VALUE / 2); // wake publishers waiting for room; they see CLOSING
        qos0Slots.release(Integer.MAX_VALUE / 2);
        if (c != null) {
            awaitLatch(c.writerDone, Math.max(deadline - System.nanoTime(), 500_000_000L));
            c.failed.set(true);
            c.transport.close();
        }
        finishClose(new ClientClosedException("the client was closed", null));
        joinThreads(c, deadline);
    }

    private void finishClose(MqttException cause) {
        List<SubscriptionImpl> ended;
        lock.lock();
        try {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            closeCause = cause;
            MqttException pending = cause instanceof ClientClosedException
                    ? new ClientClosedException("the client was closed before this completed", null)
                    : cause;
            session.close(token -> failToken(token, pending));
            if (conn != null) {
                conn.queue.discard(token -> failToken(token, pending));
            }
            ended = new ArrayList<>(subscriptions);
            subscriptions.clear();
            filterUsers.clear();
            connack.fail(cause);
            idle.signalAll();
        } finally {
            lock.unlock();
        }
        for (SubscriptionImpl s : ended) {
            s.failPending(cause instanceof ClientClosedException ? new ClientClosedException("the client was closed", cause) : cause);
            s.end();
        }
        if (defaultSubscription != null) {
            defaultSubscription.end();
        }
    }

    private void joinThreads(Connection c, long deadline) {
        List<Thread> threads = new ArrayList<>();
        if (c != null) {
            for (Thread t : new Thread[] {c.reader, c.writer, c.keepAlive}) {
                if (t != null && t != Thread.currentThread()) {
                    LockSupport.unpark(t);
                    threads.add(t);
                }
            }
        }
        List<SubscriptionImpl> handlers = new ArrayList<>();
        if (defaultSubscription != null) {
            handlers.add(defaultSubscription);
        }
        for (SubscriptionImpl s : handlersToJoin) {
            handlers.add(s);
        }
        for (SubscriptionImpl s : handlers) {
            Thread t = s.handlerThread();
            if (t != null && t != Thread.currentThread()) {
                threads.add(t);
            }
        }
        for (Thread t : threads) {
            long left = Math.max(deadline - System.nanoTime(), 100_000_000L);
            try {
                if (!t.join(Duration.ofNanos(left))) {
                    t.interrupt(); // a handler that will not finish its buffer in time
                    t.join(Duration.ofMillis(500));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Handler subscriptions ever started, so close can wait for them; guarded by lock. */
    private final List<SubscriptionImpl> handlersToJoin = new ArrayList<>();

    private static void awaitLatch(java.util.concurrent.CountDownLatch l, long nanos) {
        try {
            l.await(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The connection broke (I/O error, protocol violation, dead keep-alive, CONNACK timeout).
     * Without automatic reconnect the client closes, and every pending operation fails with
     * {@code cause}.
     */
    private void connectionFailed(Connection c, MqttException cause) {
        if (!c.failed.compareAndSet(false, true)) {
            return;
        }
        c.transport.close();
        c.queue.close();
        Thread keepAlive = c.keepAlive;
        if (keepAlive != null) {
            LockSupport.unpark(keepAlive); // it parks up to a second; let it see the failure now
        }
        boolean userClosing;
        lock.lock();
        try {
            userClosing = state == State.CLOSING;
        } finally {
            lock.unlock();
        }
        if (!userClosing) {
            LOG.log(System.Logger.Level.DEBUG, () -> "connection to " + describeServer() + " failed: " + cause.getMessage());
            finishClose(cause);
            window.release(Integer.MAX_VALUE / 2);
            qos0Slots.release(Integer.MAX_VALUE / 2);
            Thread self = Thread.currentThread();
            if (self != c.reader && self != c.writer && self != c.keepAlive) {
                joinThreads(c, System.nanoTime() + options.closeTimeout().toNanos());
            }
        }
    }

    private void failToken(Object token, MqttException cause) {
        switch (token) {
            case DeliveryImpl d -> {
                if (d.fail(cause)) {
                    releasePermit(d);
                }
            }
            case SubscriptionImpl s -> s.failPending(cause);
            case Request r -> r.fail(cause);
            default -> { }
        }
    }

    private void releasePermit(DeliveryImpl d) {
        if (d.qos() == Qos.AT_MOST_ONCE) {
            qos0Queued--;
            qos0Slots.release();
        } else {
            window.release();
        }
        if (session.publishesInFlight() == 0 && qos0Queued == 0) {
            idle.signalAll();
        }
    }

    private void requireOpen() {
        State s = state;
        if (s == State.CLOSED || s == State.CLOSING) {
            MqttException cause = closeCause;
            throw new ClientClosedException(cause == null || cause instanceof ClientClosedException
                    ? "the client is closed" : "the client is closed: " + cause.getMessage(), cause);
        }
        if (s != State.CONNECTED) {
            throw new IllegalStateException("the client is not connected yet");
        }
    }

    public boolean isConnected() {
        return state == State.CONNECTED;
    }

    public boolean sessionPresent() {
        return sessionPresent;
    }

    // ================================================================ publish

    /** Publishes and waits as asked. */
    public Delivery publish(String topic, byte[] payload, Qos qos, boolean retain, Wait wait) {
        java.util.Objects.requireNonNull(payload, "payload");
        java.util.Objects.requireNonNull(qos, "qos");
        java.util.Objects.requireNonNull(wait, "wait");
        Topics.validateTopicName(topic);
        long size = publishSize(topic, payload.length, qos.value());
        if (size > options.maxOutgoingPacketSize()) {
            throw new IllegalArgumentException("a PUBLISH of " + payload.length + " payload bytes to "
                    + Printable.quote(topic) + " would be " + size + " bytes, over the limit of "
                    + options.maxOutgoingPacketSize() + (options.maxOutgoingPacketSize() == MqttOptions.PROTOCOL_MAX_PACKET_SIZE
                    ? " that MQTT 3.1.1 sets" : " set by maxOutgoingPacketSize"));
        }
        requireOpen();
        DeliveryImpl d = new DeliveryImpl(topic, qos, ackTimeoutNanos);
        Semaphore slots = qos == Qos.AT_MOST_ONCE ? qos0Slots : window;
        acquire(slots, qos, topic);
        lock.lock();
        try {
            if (state != State.CONNECTED) {
                slots.release();
                requireOpen();
            }
            if (qos == Qos.AT_MOST_ONCE) {
                qos0Queued++;
            }
            session.publish(topic, payload, qos.value(), retain, d);
        } catch (IllegalStateException e) {
            releasePermit(d);
            throw new MqttException("cannot publish to " + Printable.quote(topic) + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
        switch (wait) {
            case NONE -> { }
            case SENT -> d.awaitSent();
            case ACK -> d.await();
        }
        return d;
    }

    /** Bytes a PUBLISH would take on the wire, in long arithmetic so huge payloads cannot overflow. */
    private static long publishSize(String topic, int payloadLength, int qos) {
        // encodedLength counts the topic's 2-byte length prefix already.
        long remaining = (long) dev.mote.mqtt.internal.codec.Utf8.encodedLength(topic) + (qos > 0 ? 2 : 0) + payloadLength;
        int lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
        return 1 + lengthBytes + remaining;
    }

    private void acquire(Semaphore slots, Qos qos, String topic) {
        boolean got;
        try {
            got = slots.tryAcquire(ackTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MqttInterruptedException("interrupted while waiting for room to publish to " + Printable.quote(topic), e);
        }
        if (!got) {
            throw new MqttTimeoutException(qos == Qos.AT_MOST_ONCE
                    ? "the queue of " + options.maxQueuedQos0() + " unwritten QoS 0 messages stayed full for "
                            + options.ackTimeout().toMillis() + " ms"
                    : "the in-flight window of " + options.inFlightWindow() + " unacknowledged messages stayed full for "
                            + options.ackTimeout().toMillis() + " ms");
        }
    }

    // ================================================================ subscribe and unsubscribe

    /** Subscribes; {@code handler} may be null for a receive-style subscription. */
    public Subscription subscribe(List<TopicFilter> filters, MessageHandler handler, Wait wait) {
        java.util.Objects.requireNonNull(wait, "wait");
        if (filters.isEmpty()) {
            throw new IllegalArgumentException("SUBSCRIBE needs at least one topic filter ([MQTT-3.8.3-3])");
        }
        List<Subscribe.Filter> wire = new ArrayList<>(filters.size());
        for (TopicFilter f : filters) {
            Topics.validateFilter(f.filter());
            wire.add(new Subscribe.Filter(f.filter(), f.qos().value()));
        }
        requireOpen();
        SubscriptionImpl sub = new SubscriptionImpl(this, filters, handler, options.subscriptionBuffer(), ackTimeoutNanos);
        lock.lock();
        try {
            requireOpen();
            // Routes exist before SUBSCRIBE leaves, so nothing that follows SUBACK can miss them.
            for (TopicFilter f : filters) {
                routes.add(Topics.routingFilter(f.filter()), sub);
                filterUsers.merge(f.filter(), 1, Integer::sum);
            }
            subscriptions.add(sub);
            if (handler != null) {
                handlersToJoin.add(sub);
            }
            session.subscribe(wire, sub);
        } catch (IllegalStateException e) {
            unroute(sub);
            throw new MqttException("cannot subscribe: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
        sub.start("mote-handler-" + options.clientId() + "-" + filters.get(0).filter());
        switch (wait) {
            case NONE -> { }
            case SENT -> sub.awaitSent();
            case ACK -> {
                sub.awaitSuback();
                sub.throwIfRefused();
            }
        }
        return sub;
    }

    /** Removes a subscription's routes; returns the filters no other subscription uses. Under lock. */
    private List<String> unroute(SubscriptionImpl sub) {
        List<String> unused = new ArrayList<>();
        List<TopicFilter> fs = sub.filters();
        for (int i = 0; i < fs.size(); i++) {
            if (!sub.routed[i]) {
                continue;
            }
            sub.routed[i] = false;
            String f = fs.get(i).filter();
            routes.remove(Topics.routingFilter(f), sub);
            Integer n = filterUsers.get(f);
            if (n == null || n <= 1) {
                filterUsers.remove(f);
                unused.add(f);
            } else {
                filterUsers.put(f, n - 1);
            }
        }
        subscriptions.remove(sub);
        return unused;
    }

    /** Closes one subscription: unsubscribes its filters no other subscription uses, ends its stream. */
    void closeSubscription(SubscriptionImpl sub) {
        Request req = null;
        lock.lock();
        try {
            if (!sub.active) {
                return;
            }
            List<String> unused = unroute(sub);
            if (state == State.CONNECTED && !unused.isEmpty()) {
                req = new Request("UNSUBACK for " + sub.filtersText());
                session.unsubscribe(unused, req);
            }
        } catch (IllegalStateException e) {
            req = null; // every packet id in use: the filters stay at the broker, but no longer route here
        } finally {
            lock.unlock();
        }
        sub.end();
        if (req != null) {
            try {
                req.awaitOrThrow(ackTimeoutNanos, req.what);
            } catch (ClientClosedException | ConnectionLostException | ProtocolViolationException e) {
                // The connection is gone, and the subscription with it (or with the session).
            }
        }
    }

    /** Unsubscribes filters from the broker and from every local subscription that has them. */
    public void unsubscribe(List<String> filters, Wait wait) {
        java.util.Objects.requireNonNull(wait, "wait");
        if (filters.isEmpty()) {
            throw new IllegalArgumentException("UNSUBSCRIBE needs at least one topic filter ([MQTT-3.10.3-2])");
        }
        for (String f : filters) {
            Topics.validateFilter(f);
        }
        requireOpen();
        Request req = new Request("UNSUBACK for " + filters.size() + " filter(s)");
        List<SubscriptionImpl> emptied = new ArrayList<>();
        lock.lock();
        try {
            requireOpen();
            Set<String> gone = new java.util.HashSet<>(filters);
            for (SubscriptionImpl s : new ArrayList<>(subscriptions)) {
                List<TopicFilter> fs = s.filters();
                boolean any = false;
                for (int i = 0; i < fs.size(); i++) {
                    if (s.routed[i] && gone.contains(fs.get(i).filter())) {
                        s.routed[i] = false;
                        routes.remove(Topics.routingFilter(fs.get(i).filter()), s);
                    }
                    any |= s.routed[i];
                }
                if (!any) {
                    subscriptions.remove(s);
                    emptied.add(s);
                }
            }
            for (String f : filters) {
                filterUsers.remove(f);
            }
            session.unsubscribe(filters, req);
        } catch (IllegalStateException e) {
            throw new MqttException("cannot unsubscribe: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
        for (SubscriptionImpl s : emptied) {
            s.end();
        }
        switch (wait) {
            case NONE -> { }
            case SENT -> req.sent.awaitOrThrow(ackTimeoutNanos, "the UNSUBSCRIBE to be written");
            case ACK -> req.awaitOrThrow(ackTimeoutNanos, req.what);
        }
    }

    /** Sends PINGREQ and waits for PINGRESP; returns the round trip. */
    public Duration ping() {
        requireOpen();
        Request req = new Request("PINGRESP");
        lock.lock();
        try {
            requireOpen();
            session.ping(req);
        } finally {
            lock.unlock();
        }
        req.awaitOrThrow(ackTimeoutNanos, "PINGRESP from " + describeServer());
        return Duration.ofNanos(req.doneAt - req.startedAt);
    }

    /** A pending SUBSCRIBE-less request: UNSUBSCRIBE or PINGREQ. */
    static final class Request extends Completion implements SendTracker {
        final String what;
        final long startedAt = System.nanoTime();
        volatile long doneAt;
        final Completion sent = new Completion();

        Request(String what) {
            this.what = what;
        }

        @Override
        public void written() {
            sent.complete();
        }

        @Override
        boolean fail(MqttException cause) {
            sent.fail(cause);
            return super.fail(cause);
        }
    }

    // ================================================================ session events (under lock)

    @Override
    public void send(Packet packet, Object token) {
        Connection c = conn;
        if (c == null || !c.queue.add(packet, token)) {
            LOG.log(System.Logger.Level.TRACE, () -> "dropped " + packet + ": connection closed");
        }
    }

    @Override
    public void connected(boolean present) {
        sessionPresent = present;
        state = State.CONNECTED;
        connack.complete();
    }

    @Override
    public void refused(int returnCode) {
        deferredFailure = ConnectionRefusedException.forCode(returnCode, describeServer());
    }

    @Override
    public void published(Object token) {
        DeliveryImpl d = (DeliveryImpl) token;
        if (d.complete()) {
            releasePermit(d);
        }
    }

    @Override
    public void received(Publish p, InboundAck ack) {
        Object targets = null;
        int count = 0;
        List<SubscriptionImpl> list = null;
        for (SubscriptionImpl s : routes.matches(p.topic())) {
            if (count == 0) {
                targets = s;
                count = 1;
            } else if (s != targets && (list == null || !list.contains(s))) {
                if (list == null) {
                    list = new ArrayList<>(4);
                    list.add((SubscriptionImpl) targets);
                }
                list.add(s);
                count++;
            }
        }
        if (list != null) {
            targets = list;
        }
        if (targets == null && defaultSubscription != null) {
            targets = defaultSubscription;
        }
        Message m = new Message(p.topic(), p.payload(), Qos.of(p.qos()), p.retain(), p.dup());
        inbound.add(new Inbound(m, targets, ack));
    }

    @Override
    public void subscribed(Object token, int[] returnCodes) {
        SubscriptionImpl sub = (SubscriptionImpl) token;
        List<TopicFilter> fs = sub.filters();
        boolean anyGranted = false;
        for (int i = 0; i < returnCodes.length; i++) {
            if (returnCodes[i] == 0x80 && sub.routed[i]) {
                sub.routed[i] = false;
                String f = fs.get(i).filter();
                routes.remove(Topics.routingFilter(f), sub);
                Integer n = filterUsers.get(f);
                if (n == null || n <= 1) {
                    filterUsers.remove(f);
                } else {
                    filterUsers.put(f, n - 1);
                }
            }
            anyGranted |= returnCodes[i] != 0x80;
        }
        sub.onSuback(returnCodes);
        if (!anyGranted) {
            subscriptions.remove(sub);
            sub.end();
        }
    }

    @Override
    public void unsubscribed(Object token) {
        ((Request) token).complete();
    }

    @Override
    public void pong(Object token) {
        if (token instanceof Request r) {
            r.doneAt = System.nanoTime();
            r.complete();
        }
    }

    @Override
    public void violation(String description) {
        deferredFailure = new ProtocolViolationException("broker " + describeServer() + " " + description
                + "; the connection was closed");
    }

    @Override
    public void dead(String description) {
        deferredFailure = new ConnectionLostException("connection to " + describeServer() + " is dead: " + description, null);
    }

    private MqttException takeDeferredFailure() {
        MqttException f = deferredFailure;
        deferredFailure = null;
        return f;
    }

    // ================================================================ threads

    private void runWriter(Connection c) {
        Packet[] packets = new Packet[WRITE_BATCH];
        Object[] trackers = new Object[WRITE_BATCH];
        ByteBuffer out = ByteBuffer.allocateDirect(WRITE_BUFFER);
        int n = 0;
        try {
            while (true) {
                n = c.queue.drainTo(packets, trackers);
                if (n < 0) {
                    break;
                }
                boolean disconnect = false;
                for (int i = 0; i < n; i++) {
                    Packet p = packets[i];
                    int size = PacketEncoder.encodedSize(p);
                    if (size > out.remaining()) {
                        flush(c, out);
                    }
                    if (size > out.capacity()) {
                        c.transport.write(ByteBuffer.wrap(PacketEncoder.encode(p)));
                    } else {
                        PacketEncoder.encode(p, out);
                    }
                    disconnect |= p.type() == Packet.DISCONNECT;
                }
                flush(c, out);
                c.lastSentAt = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    packets[i] = null;
                    Object t = trackers[i];
                    trackers[i] = null;
                    if (t != null) {
                        written(t);
                    }
                }
                n = 0;
                if (disconnect) {
                    break; // [MQTT-3.14.4-2]: nothing may follow DISCONNECT
                }
            }
        } catch (IOException e) {
            MqttException ex = lostException(e);
            for (int i = 0; i < n; i++) {
                if (trackers[i] instanceof DeliveryImpl d && d.qos() == Qos.AT_MOST_ONCE) {
                    lock.lock();
                    try {
                        failToken(d, ex);
                    } finally {
                        lock.unlock();
                    }
                }
            }
            connectionFailed(c, ex);
        } catch (InterruptedException e) {
            connectionFailed(c, new ClientClosedException("the writer was interrupted", e));
        } catch (RuntimeException e) {
            connectionFailed(c, new MqttException("internal error in the writer: " + e, e));
        } finally {
            c.writerDone.countDown();
        }
    }

    private static void flush(Connection c, ByteBuffer out) throws IOException {
        if (out.position() > 0) {
            out.flip();
            c.transport.write(out);
            out.clear();
        }
    }

    private void written(Object tracker) {
        if (tracker instanceof DeliveryImpl d && d.qos() == Qos.AT_MOST_ONCE) {
            d.written();
            lock.lock();
            try {
                if (!d.permitReleased) {
                    d.permitReleased = true;
                    releasePermit(d);
                }
            } finally {
                lock.unlock();
            }
        } else if (tracker instanceof SendTracker t) {
            t.written();
        }
    }

    private MqttException lostException(IOException e) {
        if (e instanceof ClosedChannelException) {
            return new ConnectionLostException("connection to " + describeServer() + " was closed", e);
        }
        return new ConnectionLostException("connection to " + describeServer() + " lost: " + e.getMessage(), e);
    }

    private void runReader(Connection c) {
        ByteBuffer buf = ByteBuffer.allocateDirect(READ_BUFFER);
        PacketDecoder decoder = new PacketDecoder(options.maxIncomingPacketSize());
        ArrayList<Packet> batch = new ArrayList<>();
        try {
            while (!c.failed.get()) {
                int r = c.transport.read(buf);
                if (r < 0) {
                    boolean beforeConnack = state == State.CONNECTING;
                    connectionFailed(c, new ConnectionLostException("broker " + describeServer() + " closed the connection"
                            + (beforeConnack ? " before sending CONNACK" : ""), null));
                    return;
                }
                c.lastReceivedAt = System.nanoTime();
                buf.flip();
                Packet p;
                MqttException malformed = null;
                try {
                    while ((p = decoder.decode(buf)) != null) {
                        batch.add(p);
                    }
                } catch (MalformedPacketException e) {
                    malformed = new ProtocolViolationException("broker " + describeServer() + " sent a malformed packet: "
                            + e.getMessage() + "; the connection was closed");
                }
                buf.compact();
                if (!batch.isEmpty()) {
                    if (!process(c, batch)) {
                        return;
                    }
                    batch.clear();
                }
                if (malformed != null) {
                    connectionFailed(c, malformed);
                    return;
                }
            }
        } catch (IOException e) {
            connectionFailed(c, lostException(e));
        } catch (RuntimeException e) {
            connectionFailed(c, new MqttException("internal error in the reader: " + e, e));
        } finally {
            c.readerDone.countDown();
        }
    }

    /** Feeds packets to the session, hands messages on, then sends their acknowledgements. */
    private boolean process(Connection c, List<Packet> batch) {
        MqttException failure;
        lock.lock();
        try {
            for (int i = 0; i < batch.size() && deferredFailure == null; i++) {
                session.onPacket(batch.get(i));
            }
            failure = takeDeferredFailure();
        } finally {
            lock.unlock();
        }
        if (failure != null) {
            inbound.clear();
            if (failure instanceof ConnectionRefusedException) {
                connack.fail(failure);
            }
            connectionFailed(c, failure);
            return false;
        }
        if (inbound.isEmpty()) {
            return true;
        }
        try {
            for (Inbound in : inbound) {
                handOff(c, in);
            }
        } catch (InterruptedException e) {
            inbound.clear();
            connectionFailed(c, new ClientClosedException("the reader was interrupted", e));
            return false;
        }
        lock.lock();
        try {
            if (c.readerPaused) {
                // A PINGRESP may still be unread behind the messages that made the reader wait:
                // it gets a whole ping timeout from now to be read.
                session.restartPingClock(System.nanoTime());
                c.readerPaused = false;
            }
            for (Inbound in : inbound) {
                if (in.ack != null) {
                    session.acknowledge(in.ack);
                }
            }
        } finally {
            lock.unlock();
        }
        inbound.clear();
        return true;
    }

    private void handOff(Connection c, Inbound in) throws InterruptedException {
        Object t = in.targets;
        if (t == null) {
            LOG.log(System.Logger.Level.DEBUG, () -> "message on " + Printable.quote(in.message.topic())
                    + " matches no subscription and there is no default handler; acknowledged and dropped");
        } else if (t instanceof SubscriptionImpl s) {
            put(c, s, in.message);
        } else {
            @SuppressWarnings("unchecked")
            List<SubscriptionImpl> list = (List<SubscriptionImpl>) t;
            Message m = in.message;
            for (int i = 0; i < list.size(); i++) {
                // Each subscription gets its own payload array, so one consumer cannot change another's.
                Message copy = i == 0 ? m : new Message(m.topic(), m.payload().clone(), m.qos(), m.retained(), m.duplicate());
                put(c, list.get(i), copy);
            }
        }
    }

    private void put(Connection c, SubscriptionImpl s, Message m) throws InterruptedException {
        if (s.queue.isFull()) {
            c.readerPaused = true; // cleared by process(), under the lock, with the ping clock restarted
        }
        s.queue.put(m);
    }

    private void runKeepAlive(Connection c) {
        while (!c.failed.get()) {
            long wait;
            MqttException failure;
            lock.lock();
            try {
                if (state != State.CONNECTED) {
                    return;
                }
                long now = System.nanoTime();
                if (c.readerPaused) {
                    session.restartPingClock(now);
                }
                wait = session.tick(now, c.lastSentAt, c.lastReceivedAt);
                failure = takeDeferredFailure();
            } finally {
                lock.unlock();
            }
            if (failure != null) {
                connectionFailed(c, failure);
                return;
            }
            // Wake at least once a second, so a paused reader keeps the ping clock fresh.
            LockSupport.parkNanos(Math.min(Math.max(wait, 1_000_000L), 1_000_000_000L));
        }
    }
}
