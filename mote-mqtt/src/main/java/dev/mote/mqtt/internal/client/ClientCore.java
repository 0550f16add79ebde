package dev.mote.mqtt.internal.client;

import dev.mote.mqtt.Acknowledgement;
import dev.mote.mqtt.ClientClosedException;
import dev.mote.mqtt.ClientMetrics;
import dev.mote.mqtt.ConnectionLostException;
import dev.mote.mqtt.ConnectionRefusedException;
import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MessageHandler;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttInterruptedException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.MqttTimeoutException;
import dev.mote.mqtt.ConnectionEvent;
import dev.mote.mqtt.ReconnectPolicy;
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
import dev.mote.mqtt.internal.store.FileSessionStore;
import dev.mote.mqtt.internal.store.SessionStore;
import dev.mote.mqtt.internal.telemetry.Telemetry;
import dev.mote.mqtt.internal.topic.TopicTree;
import dev.mote.mqtt.internal.topic.Topics;
import dev.mote.mqtt.internal.transport.Transports;
import dev.mote.mqtt.internal.transport.Transport;
import dev.mote.mqtt.internal.util.AckHandle;
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
    /**
     * Read and write buffers start this small and grow to the sizes above once traffic fills
     * them, so an idle connection holds 8 KiB of buffers rather than 128 KiB.
     */
    private static final int FIRST_BUFFER = 4 * 1024;
    private static final int WRITE_BATCH = 256;
    private static final int FIRST_BATCH = 16;
    /**
     * Packets the session made itself (acknowledgements, PUBREL, PINGREQ) that may wait for the
     * writer before the reader stops reading: what a broker that does not read can make the
     * client hold is this plus one read buffer's worth.
     */
    static final int MAX_OWED = 1024;
    /** How long close() reads on after DISCONNECT for the broker to close its end. */
    static final long MAX_CLOSE_DRAIN_NANOS = 1_000_000_000L;

    private enum State { NEW, CONNECTING, CONNECTED, RECONNECTING, CLOSING, CLOSED }

    private final MqttOptions options;
    private final long ackTimeoutNanos;
    /**
     * How much before the keep-alive interval ends the client pings an idle connection: a quarter
     * of it, at most 5 s. [MQTT-3.1.2-23] forbids a silence longer than the interval, and waking
     * up, queueing and writing the PINGREQ take a few milliseconds; a broker that allows exactly
     * the interval (HiveMQ CE rounds 1.5 x 1 s down to 1 s) would otherwise drop the client.
     */
    private final long keepAliveMarginNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final Session session;
    private final Semaphore window;
    private final Semaphore qos2Window;
    private final Semaphore qos0Slots;
    /** The file store, or null for an in-memory session. */
    private final FileSessionStore fileStore;
    private final SessionStore store;
    /** Handles for the messages the store gave back at start, in their order. */
    private final List<Delivery> recovered;
    /** Set when the store failed: the client closes instead of reconnecting. */
    private volatile MqttException fatal;

    // Guarded by lock.
    private volatile State state = State.NEW;
    private MqttException closeCause;
    private volatile Connection conn;
    private final TopicTree<SubscriptionImpl> routes = new TopicTree<>();
    private final Set<SubscriptionImpl> subscriptions = new LinkedHashSet<>();
    private final Map<String, Integer> filterUsers = new HashMap<>();
    private int qos0Queued;
    /**
     * Messages received while the session handles a batch, under the lock; the reader that fed
     * the batch moves them to a list of its own before releasing it (a reader of a broken
     * connection may still be handing its last messages over while the next one reads).
     */
    private final ArrayList<Inbound> inbound = new ArrayList<>();
    /** Reused for routing under the lock, so matching a topic allocates no list. */
    private final ArrayList<SubscriptionImpl> matchScratch = new ArrayList<>();
    /** A failure noticed under the lock, acted on after it is released. */
    private MqttException deferredFailure;

    private final SubscriptionImpl defaultSubscription;
    private volatile boolean sessionPresent;
    /** The ALPN protocol of the current connection's TLS handshake, or null. */
    private volatile String applicationProtocol;

    // Resilience, guarded by lock.
    private MqttOptions.Server server;
    private int serverIndex;
    private boolean everConnected;
    /** QoS 0 publishes accepted while disconnected, in order. */
    private final java.util.ArrayDeque<DeliveryImpl> offlineQos0 = new java.util.ArrayDeque<>();
    private int offlineCount;
    private long offlineBytes;
    private final Condition offlineRoom = lock.newCondition();
    private final Condition reconnectWake = lock.newCondition();
    /** Subscriptions whose SUBSCRIBE must go (again) once connected. */
    private final List<SubscriptionImpl> toResubscribe = new ArrayList<>();
    /** UNSUBSCRIBEs to send (again) once connected. */
    private final List<Request> toUnsubscribe = new ArrayList<>();
    private Thread reconnectThread;
    private Thread listenerThread;
    private final EventLog events = new EventLog();
    private final dev.mote.mqtt.PublishThrottle throttle;
    /** Counters, JFR events and connection log lines; see {@link Telemetry}. */
    final Telemetry telemetry;
    /** Signalled when a manual acknowledgement makes room under {@link MqttOptions#maxUnacknowledged()}. */
    private final Condition ackRoom = lock.newCondition();

    /**
     * A received message, where it goes, and the acknowledgement it owes; {@code manual} is set
     * when a manual-acknowledgement subscription is among the targets (the application then
     * decides when the acknowledgement goes).
     */
    private record Inbound(Message message, Object targets, InboundAck ack, ManualAck manual) {}

    public ClientCore(MqttOptions options) {
        this.options = options;
        this.throttle = options.publishThrottle();
        this.telemetry = new Telemetry(options.clientId());
        this.ackTimeoutNanos = options.ackTimeout().toNanos();
        this.keepAliveMarginNanos = Math.min(options.keepAlive().toNanos() / 4, 5_000_000_000L);
        java.nio.file.Path dir = options.sessionStore();
        FileSessionStore fs = null;
        if (dir != null) {
            try {
                fs = FileSessionStore.open(dir);
            } catch (FileSessionStore.StoreLockedException e) {
                throw new MqttException(e.getMessage(), e);
            } catch (IOException | RuntimeException e) {
                throw new MqttException("cannot open the session store " + dir + ": " + e.getMessage(), e);
            }
        }
        this.fileStore = fs;
        this.store = fs == null ? SessionStore.NONE : fs;
        this.session = new Session(this, Connect.LEVEL_3_1_1, store);
        int restored = 0;
        int restoredQos2 = 0;
        List<Delivery> handles = List.of();
        if (fs != null) {
            try {
                handles = restore(fs);
            } catch (RuntimeException e) {
                fs.close();
                throw e;
            }
            if (!options.cleanSession()) {
                for (Delivery d : handles) {
                    restored++;
                    restoredQos2 += d.qos() == Qos.EXACTLY_ONCE ? 1 : 0;
                }
            }
        }
        this.recovered = handles;
        // Restored messages hold window slots like any other (a permit count may start negative).
        this.window = new Semaphore(options.inFlightWindow() - restored);
        this.qos2Window = new Semaphore(options.qos2InFlightWindow() - restoredQos2);
        this.qos0Slots = new Semaphore(options.maxQueuedQos0());
        MessageHandler dh = options.defaultHandler();
        this.defaultSubscription = dh == null ? null
                : new SubscriptionImpl(this, List.of(TopicFilter.of("#", Qos.EXACTLY_ONCE)), dh,
                        options.subscriptionBuffer(), ackTimeoutNanos, options.acknowledgement() == Acknowledgement.MANUAL);
    }

    public MqttOptions options() {
        return options;
    }

    /**
     * Gives the session what the store kept: with a persistent session its messages are restored
     * (to be resent after CONNACK) and its inbound QoS 2 ids; with a clean session the store is
     * emptied ([MQTT-3.1.2-6]) and the handles of the discarded messages are failed.
     */
    private List<Delivery> restore(FileSessionStore fs) {
        FileSessionStore.Recovered r = fs.recovered();
        if (r.truncatedBytes() > 0) {
            LOG.log(System.Logger.Level.WARNING, () -> "session store " + fs.directory() + ": cut " + r.truncatedBytes()
                    + " bytes of an incomplete or damaged record at the end of its log (a write torn by a crash)");
        }
        List<Delivery> handles = new ArrayList<>(r.outbound().size());
        for (FileSessionStore.StoredPublish sp : r.outbound()) {
            Publish p = sp.publish();
            handles.add(new DeliveryImpl(p.topic(), p.payload(), p.retain(), Qos.of(p.qos()), ackTimeoutNanos));
        }
        if (options.cleanSession()) {
            if (!handles.isEmpty() || r.inbound().length > 0) {
                try {
                    fs.clear();
                } catch (IOException e) {
                    throw new MqttException("cannot empty the session store " + fs.directory() + " for a clean session: "
                            + e.getMessage(), e);
                }
                MqttException discarded = new MqttException("discarded unsent: the session store " + fs.directory()
                        + " held it from an earlier client, and a clean session starts from nothing ([MQTT-3.1.2-6])");
                for (Delivery d : handles) {
                    ((DeliveryImpl) d).fail(discarded);
                }
                int n = handles.size();
                LOG.log(System.Logger.Level.WARNING, () -> "session store " + fs.directory() + ": a clean session discarded "
                        + n + " unacknowledged outbound message(s) and " + r.inbound().length + " inbound QoS 2 id(s)"
                        + " left by an earlier client; use cleanSession(false) to resume them");
            }
            return List.copyOf(handles);
        }
        for (int i = 0; i < handles.size(); i++) {
            FileSessionStore.StoredPublish sp = r.outbound().get(i);
            session.restore(sp.publish(), sp.released(), handles.get(i));
        }
        for (int id : r.inbound()) {
            session.restoreInbound(id);
        }
        if (!handles.isEmpty() || r.inbound().length > 0) {
            int n = handles.size();
            LOG.log(System.Logger.Level.INFO, () -> "session store " + fs.directory() + ": resuming " + n
                    + " unacknowledged outbound message(s) and " + r.inbound().length + " inbound QoS 2 id(s)");
        }
        return List.copyOf(handles);
    }

    /** Handles for the messages restored from the session store when the client was made. */
    public List<Delivery> recoveredDeliveries() {
        return recovered;
    }

    /** The application protocol the server chose in the TLS handshake (ALPN), or null. */
    public String applicationProtocol() {
        return applicationProtocol;
    }

    /** The broker connected to (or last tried), for messages. */
    public String describeServer() {
        MqttOptions.Server s = server;
        return (s != null ? s : options.servers().get(0)).toString();
    }

    // ================================================================ connect and close

    /**
     * Connects and waits for CONNACK, trying each server of the options once, in order. On
     * failure everything is released and the last server's exception thrown.
     */
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
        if (defaultSubscription != null) {
            defaultSubscription.start("mote-default-handler-" + options.clientId());
        }
        if (options.connectionListener() != null) {
            listenerThread = ClientThreads.start("mote-events-" + options.clientId(),
                    () -> events.runListener(options.connectionListener()));
        }
        List<MqttOptions.Server> servers = options.servers();
        MqttException last = null;
        for (int i = 0; i < servers.size(); i++) {
            try {
                attempt(servers.get(i), i);
                return;
            } catch (MqttInterruptedException e) {
                last = e;
                break;
            } catch (MqttException e) {
                last = e;
                if (fatal != null) {
                    last = fatal;
                    break;
                }
            }
        }
        finishClose(last);
        joinThreads(null, System.nanoTime() + options.closeTimeout().toNanos());
        throw last;
    }

    /**
     * One connection attempt: transport, CONNECT, CONNACK within the connect timeout. On success
     * the connection is live (and what the last one left is being resent); on failure its
     * threads are ending and the reason is thrown.
     */
    private void connectOnce(MqttOptions.Server target, int index) {
        long deadline = System.nanoTime() + options.connectTimeout().toNanos();
        Transport transport;
        dev.mote.mqtt.TlsConfig tls;
        try {
            tls = options.tlsForNextConnection();
        } catch (IllegalStateException e) {
            throw new MqttException("cannot connect to " + target + ": " + e.getMessage(), e);
        }
        try {
            transport = Transports.connect(options, target, tls);
        } catch (IOException e) {
            throw new MqttException("cannot connect to " + target + ": " + e.getMessage(), e);
        }
        applicationProtocol = transport.applicationProtocol();
        Connection c = new Connection(transport, target);
        Connect connect;
        try {
            connect = connectPacket(); // outside the lock: a password supplier may take its time
        } catch (RuntimeException e) {
            transport.close();
            throw new MqttException("the password supplier failed: " + e.getClass().getSimpleName(), e);
        }
        lock.lock();
        try {
            if (state == State.CLOSING || state == State.CLOSED) {
                transport.close();
                throw new ClientClosedException("the client was closed while connecting", null);
            }
            conn = c;
            server = target;
            serverIndex = index;
            c.writer = ClientThreads.start("mote-writer-" + options.clientId(), () -> runWriter(c));
            session.connect(connect, options.pingTimeout().toNanos());
            c.reader = ClientThreads.start("mote-reader-" + options.clientId(), () -> runReader(c));
        } finally {
            lock.unlock();
        }
        boolean answered;
        try {
            answered = c.connack.awaitNanos(Math.max(1, deadline - System.nanoTime()), "CONNACK");
        } catch (MqttInterruptedException e) {
            connectionFailed(c, new ClientClosedException("interrupted while connecting", e));
            throw e;
        }
        if (!answered) {
            MqttTimeoutException ex = new MqttTimeoutException("no CONNACK from " + target + " within "
                    + options.connectTimeout().toMillis() + " ms of connecting");
            connectionFailed(c, ex);
            throw ex;
        }
        MqttException f = c.connack.failureCause();
        if (f != null) {
            throw Failures.rethrow(f);
        }
        c.keepAlive = ClientThreads.start("mote-keepalive-" + options.clientId(), () -> runKeepAlive(c));
    }

    /** {@link #connectOnce}, recorded (count, JFR event, log line). */
    private void attempt(MqttOptions.Server target, int index) {
        boolean reconnect = state == State.RECONNECTING;
        Object attempt = telemetry.connectStarted(target.toString(), reconnect);
        try {
            connectOnce(target, index);
        } catch (RuntimeException e) {
            telemetry.connectFailed(attempt, target.toString(), e.getMessage());
            throw e;
        }
        telemetry.connectSucceeded(attempt, target.toString(), sessionPresent, reconnect);
    }

    private Connect connectPacket() {
        Will w = options.will();
        return new Connect(Connect.LEVEL_3_1_1, options.clientId(), options.cleanSession(),
                (int) options.keepAlive().toSeconds(),
                w == null ? null : w.topic(), w == null ? null : w.payload(),
                w == null ? 0 : w.qos().value(), w != null && w.retain(),
                options.username(), options.passwordSupplier() != null ? options.passwordSupplier().get() : options.password());
    }

    /**
     * Closes: waits (at most the close timeout) for in-flight publishes, sends DISCONNECT, closes
     * the connection, fails whatever is still pending, and lets handlers finish their buffers.
     */
    public void close() {
        long deadline = System.nanoTime() + options.closeTimeout().toNanos();
        boolean disconnectSent = false;
        Connection c;
        lock.lock();
        try {
            if (state == State.CLOSED || state == State.CLOSING) {
                return;
            }
            boolean wasConnected = state == State.CONNECTED;
            state = State.CLOSING;
            reconnectWake.signalAll();
            offlineRoom.signalAll();
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
                    disconnectSent = true;
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
        wakePublishers();
        if (c != null) {
            awaitLatch(c.writerDone, Math.max(deadline - System.nanoTime(), 500_000_000L));
            if (disconnectSent) {
                // Closing a socket with unread bytes resets the connection, and a reset can discard
                // the last acknowledgements still on their way to the broker. So: half-close, then
                // let the reader (which drops what still arrives) read up to the broker's end.
                try {
                    c.transport.shutdownOutput();
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, () -> "half-close failed: " + e);
                }
                awaitLatch(c.readerDone, Math.min(Math.max(deadline - System.nanoTime(), 0), MAX_CLOSE_DRAIN_NANOS));
            }
            c.failed.set(true);
            c.transport.close();
        }
        finishClose(new ClientClosedException("the client was closed", null));
        joinThreads(c, deadline);
    }

    /**
     * Wakes every publisher waiting for room, once: they then see the client closing and throw.
     * The semaphores are never used again, so flooding them with permits is safe.
     */
    private void wakePublishers() {
        if (publishersWoken.compareAndSet(false, true)) {
            window.release(Integer.MAX_VALUE / 4);
            qos2Window.release(Integer.MAX_VALUE / 4);
            qos0Slots.release(Integer.MAX_VALUE / 4);
        }
    }

    private final java.util.concurrent.atomic.AtomicBoolean publishersWoken = new java.util.concurrent.atomic.AtomicBoolean();

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
            // A message the store keeps is not lost by a close; say where it is.
            MqttException kept = fileStore == null || options.cleanSession() || fatal != null
                    || !(pending instanceof ClientClosedException) ? pending
                    : new ClientClosedException(pending.getMessage() + "; the message stays in the session store "
                            + fileStore.directory() + " and is sent by the next client that opens it", pending);
            session.close(token -> failToken(token, token instanceof DeliveryImpl d && d.qos() != Qos.AT_MOST_ONCE ? kept : pending));
            if (conn != null) {
                conn.queue.discard(token -> failToken(token, pending));
                conn.connack.fail(cause);
            }
            DeliveryImpl d;
            while ((d = offlineQos0.pollFirst()) != null) {
                failToken(d, pending);
            }
            for (Request r : toUnsubscribe) {
                r.fail(pending);
            }
            toUnsubscribe.clear();
            toResubscribe.clear();
            ended = new ArrayList<>(subscriptions);
            for (SubscriptionImpl s : ended) {
                // Inactive before anyone can see the client closed; the streams end just below.
                s.active = false;
            }
            subscriptions.clear();
            filterUsers.clear();
            idle.signalAll();
            offlineRoom.signalAll();
            reconnectWake.signalAll();
            events.append(new ConnectionEvent.Closed(cause instanceof ClientClosedException ? null : cause));
            events.close();
        } finally {
            lock.unlock();
        }
        store.close();
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
        for (Thread t : new Thread[] {reconnectThread, listenerThread}) {
            if (t != null && t != Thread.currentThread()) {
                LockSupport.unpark(t);
                threads.add(t);
            }
        }
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
     * An established connection is given up for a reconnect if the policy allows it; otherwise
     * the client closes and every pending operation fails with {@code cause}. A connection that
     * never got its CONNACK is only cleaned up: the attempt that made it reports the failure.
     */
    private void connectionFailed(Connection c, MqttException cause) {
        if (!c.failed.compareAndSet(false, true)) {
            return;
        }
        c.transport.close();
        c.queue.close();
        c.connack.fail(cause);
        Thread keepAlive = c.keepAlive;
        if (keepAlive != null) {
            LockSupport.unpark(keepAlive); // it parks up to a second; let it see the failure now
        }
        boolean closeClient = false;
        lock.lock();
        try {
            if (state == State.CLOSING || state == State.CLOSED) {
                return;
            }
            if (conn == c) {
                session.connectionLost(token -> abandoned(token, cause));
                MqttException qos0Lost = new ConnectionLostException("the connection broke before this QoS 0 message was written: "
                        + cause.getMessage(), cause);
                c.queue.discard(token -> {
                    if (token instanceof DeliveryImpl d && d.qos() == Qos.AT_MOST_ONCE) {
                        failToken(d, qos0Lost);
                    }
                });
            }
            ackRoom.signalAll(); // a reader waiting for manual acks gives up
            if (!c.established) {
                return;
            }
            telemetry.disconnected(c.server.toString(), cause.getMessage(), options.reconnect().enabled() && fatal == null);
            if (options.reconnect().enabled() && fatal == null) {
                state = State.RECONNECTING;
                events.append(new ConnectionEvent.Disconnected(cause, true));
                reconnectThread = ClientThreads.start("mote-reconnect-" + options.clientId(), () -> runReconnect(cause));
            } else {
                events.append(new ConnectionEvent.Disconnected(cause, false));
                closeClient = true;
            }
        } finally {
            lock.unlock();
        }
        if (closeClient) {
            finishClose(cause);
            wakePublishers();
            Thread self = Thread.currentThread();
            if (self != c.reader && self != c.writer && self != c.keepAlive) {
                joinThreads(c, System.nanoTime() + options.closeTimeout().toNanos());
            }
        }
    }

    /** What to do with an operation the lost connection leaves unfinished. Under lock. */
    private void abandoned(Object token, MqttException cause) {
        switch (token) {
            case SubscriptionImpl s -> {
                if (s.active && options.reconnect().enabled()) {
                    toResubscribe.add(s); // the broker may not have seen it: subscribe again
                } else {
                    s.failPending(cause);
                }
            }
            case Request r when r.unsubscribeFilters != null && options.reconnect().enabled() -> toUnsubscribe.add(r);
            case Request r -> r.fail(cause);
            default -> { }
        }
    }

    /** Body of the reconnect thread: backoff, next server, try; until connected, closed or out of attempts. */
    private void runReconnect(MqttException firstCause) {
        ReconnectPolicy policy = options.reconnect();
        List<MqttOptions.Server> servers = options.servers();
        int index;
        lock.lock();
        try {
            index = serverIndex;
        } finally {
            lock.unlock();
        }
        MqttException last = firstCause;
        for (int attempt = 1; ; attempt++) {
            if (policy.maxAttempts() > 0 && attempt > policy.maxAttempts()) {
                MqttException gaveUp = new ConnectionLostException("gave up reconnecting after " + policy.maxAttempts()
                        + " attempts; the last failure: " + last.getMessage(), last);
                events.append(new ConnectionEvent.Disconnected(gaveUp, false));
                finishClose(gaveUp);
                wakePublishers();
                return;
            }
            MqttOptions.Server target = servers.get(index);
            java.time.Duration delay = policy.delayBefore(attempt);
            events.append(new ConnectionEvent.Reconnecting(attempt, delay, target.toString()));
            Object backoff = telemetry.backoffStarted(attempt, delay, target.toString());
            lock.lock();
            try {
                long left = delay.toNanos();
                while (left > 0 && state == State.RECONNECTING && !reconnectNow) {
                    left = reconnectWake.awaitNanos(left);
                }
                reconnectNow = false;
                if (state != State.RECONNECTING) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
                telemetry.backoffEnded(backoff);
            }
            try {
                attempt(target, index);
                return;
            } catch (MqttInterruptedException e) {
                return;
            } catch (MqttException e) {
                if (fatal != null) {
                    events.append(new ConnectionEvent.Disconnected(fatal, false));
                    finishClose(fatal);
                    wakePublishers();
                    return;
                }
                last = e;
                index = (index + 1) % servers.size();
            }
        }
    }

    /** Set by {@link #reconnect()} to cut the backoff wait short. Under lock. */
    private boolean reconnectNow;

    /**
     * Drops the current connection (as a network break would) so that the client reconnects at
     * once, taking per-connection settings anew; while reconnecting, skips the backoff wait.
     *
     * @return true if a reconnect was started or hurried, false if the client is closed or closing
     */
    public boolean reconnect() {
        Connection c;
        lock.lock();
        try {
            switch (state) {
                case CLOSING, CLOSED -> {
                    return false;
                }
                case NEW, CONNECTING -> throw new IllegalStateException("the client is not connected yet");
                case RECONNECTING -> {
                    reconnectNow = true;
                    reconnectWake.signalAll();
                    return true;
                }
                default -> {
                    c = conn;
                    reconnectNow = true; // seen by the reconnect thread that connectionFailed starts
                }
            }
        } finally {
            lock.unlock();
        }
        connectionFailed(c, new ConnectionLostException("the application asked to reconnect", null));
        return true;
    }

    /** The application's next connection event, waiting at most {@code timeout}; null if none came. */
    public ConnectionEvent nextConnectionEvent(java.time.Duration timeout) {
        return events.nextForApplication(timeout.toNanos());
    }

    /** Waits until connected (true), or closed or out of time (false). */
    public boolean awaitConnected(java.time.Duration timeout) {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (state != State.CONNECTED) {
                if (left <= 0 || state == State.CLOSED || state == State.CLOSING) {
                    return false;
                }
                left = idle.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MqttInterruptedException("interrupted while waiting for the connection", e);
        } finally {
            lock.unlock();
        }
    }

    private void failToken(Object token, MqttException cause) {
        switch (token) {
            case DeliveryImpl d -> {
                if (d.fail(cause)) {
                    telemetry.publishFailed();
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
            if (d.qos() == Qos.EXACTLY_ONCE) {
                qos2Window.release();
            }
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
        if (s != State.CONNECTED && s != State.RECONNECTING) {
            throw new IllegalStateException("the client is not connected yet");
        }
    }

    public boolean isConnected() {
        // The connection's own flag too: a broken connection is reported (Disconnected) a moment
        // before the client's state leaves CONNECTED.
        Connection c = conn;
        return state == State.CONNECTED && c != null && !c.failed.get();
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
        int topicBytes = Topics.validateTopicName(topic);
        long size = publishSize(topicBytes, payload.length, qos.value());
        if (size > options.maxOutgoingPacketSize()) {
            throw new IllegalArgumentException("a PUBLISH of " + payload.length + " payload bytes to "
                    + Printable.quote(topic) + " would be " + size + " bytes, over the limit of "
                    + options.maxOutgoingPacketSize() + (options.maxOutgoingPacketSize() == MqttOptions.PROTOCOL_MAX_PACKET_SIZE
                    ? " that MQTT 3.1.1 sets" : " set by maxOutgoingPacketSize"));
        }
        requireOpen();
        // With a window of one, a QoS 0 message also waits for the message in flight, or it would
        // overtake it (a QoS 2 message is only passed on by the broker at PUBREL): section 4.6.
        boolean ordered = qos == Qos.AT_MOST_ONCE && options.inFlightWindow() == 1;
        if (ordered) {
            acquire(window, Qos.AT_LEAST_ONCE, topic);
        }
        try {
            return publishInWindow(topic, payload, qos, retain, wait);
        } finally {
            if (ordered) {
                window.release(); // it is queued (or failed): the next message may go behind it
            }
        }
    }

    private Delivery publishInWindow(String topic, byte[] payload, Qos qos, boolean retain, Wait wait) {
        DeliveryImpl d = new DeliveryImpl(topic, payload, retain, qos, ackTimeoutNanos);
        Semaphore slots = qos == Qos.AT_MOST_ONCE ? qos0Slots : window;
        if (qos == Qos.EXACTLY_ONCE) {
            acquire(qos2Window, qos, topic);
            try {
                acquire(slots, qos, topic);
            } catch (RuntimeException e) {
                qos2Window.release();
                throw e;
            }
        } else {
            acquire(slots, qos, topic);
        }
        boolean accepted = false;
        lock.lock();
        try {
            requireOpen();
            boolean offline = state != State.CONNECTED;
            if (offline) {
                offline = admitOffline(payload.length, topic);
            }
            if (qos == Qos.AT_MOST_ONCE) {
                qos0Queued++;
            }
            accepted = true;
            d.acceptedAt = telemetry.publishClock();
            if (offline && qos == Qos.AT_MOST_ONCE) {
                offlineQos0.addLast(d);
            } else {
                // While disconnected the session keeps a QoS 1/2 message in flight, unsent, and
                // sends it after the next CONNACK. With a store, it is recorded here first.
                session.publish(topic, payload, qos.value(), retain, d);
            }
            if (offline) {
                offlineCount++;
                offlineBytes += payload.length;
            }
            telemetry.publishAccepted(topic, qos.value(), payload.length, offline);
        } catch (java.io.UncheckedIOException e) {
            releasePermit(d); // the store could not record it: not accepted
            throw new MqttException("cannot publish to " + Printable.quote(topic) + ": " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            if (accepted) {
                releasePermit(d);
            } else {
                releaseSlots(slots, qos);
            }
            throw new MqttException("cannot publish to " + Printable.quote(topic) + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (!accepted) {
                releaseSlots(slots, qos);
            }
            throw e;
        } finally {
            lock.unlock();
        }
        return waitFor(d, wait);
    }

    private void releaseSlots(Semaphore slots, Qos qos) {
        slots.release();
        if (qos == Qos.EXACTLY_ONCE) {
            qos2Window.release();
        }
    }

    private static Delivery waitFor(DeliveryImpl d, Wait wait) {
        switch (wait) {
            case NONE -> { }
            case SENT -> d.awaitSent();
            case ACK -> d.await();
        }
        return d;
    }

    /**
     * Makes room in the offline buffer for one more message of {@code bytes}, as the offline
     * policy says. Under lock; may wait on it. Returns false if the client got connected while
     * waiting (the message then goes out normally).
     */
    private boolean admitOffline(int bytes, String topic) {
        long left = ackTimeoutNanos;
        while (state == State.RECONNECTING
                && (offlineCount + 1 > options.offlineMessages() || offlineBytes + bytes > options.offlineBytes())) {
            String full = "the offline buffer is full (" + offlineCount + " messages, " + offlineBytes
                    + " bytes; limits " + options.offlineMessages() + " and " + options.offlineBytes()
                    + ") while reconnecting to " + describeServer();
            switch (options.offlinePolicy()) {
                case FAIL -> throw new MqttException("cannot publish to " + Printable.quote(topic) + ": " + full);
                case DROP_OLDEST_QOS0 -> {
                    DeliveryImpl oldest = offlineQos0.pollFirst();
                    if (oldest == null) {
                        throw new MqttException("cannot publish to " + Printable.quote(topic) + ": " + full
                                + ", and it holds no QoS 0 message to drop");
                    }
                    offlineCount--;
                    offlineBytes -= oldest.payloadLength();
                    failToken(oldest, new MqttException("dropped from the full offline buffer to make room for a newer message"));
                }
                case BLOCK -> {
                    if (left <= 0) {
                        throw new MqttTimeoutException(full + " for " + options.ackTimeout().toMillis() + " ms");
                    }
                    try {
                        left = offlineRoom.awaitNanos(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new MqttInterruptedException("interrupted while waiting for room in the offline buffer", e);
                    }
                    requireOpen();
                }
            }
        }
        return state == State.RECONNECTING;
    }

    /** Bytes a PUBLISH would take on the wire, in long arithmetic so huge payloads cannot overflow. */
    private static long publishSize(int topicBytes, int payloadLength, int qos) {
        long remaining = 2L + topicBytes + (qos > 0 ? 2 : 0) + payloadLength;
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
            throw new MqttTimeoutException(slots == qos2Window
                    ? "the QoS 2 in-flight window of " + options.qos2InFlightWindow() + " unacknowledged messages stayed full for "
                            + options.ackTimeout().toMillis() + " ms"
                    : qos == Qos.AT_MOST_ONCE
                    ? "the queue of " + options.maxQueuedQos0() + " unwritten QoS 0 messages stayed full for "
                            + options.ackTimeout().toMillis() + " ms"
                    : "the in-flight window of " + options.inFlightWindow() + " unacknowledged messages stayed full for "
                            + options.ackTimeout().toMillis() + " ms");
        }
    }

    // ================================================================ subscribe and unsubscribe

    /** Subscribes; {@code handler} may be null for a receive-style subscription. */
    public Subscription subscribe(List<TopicFilter> filters, MessageHandler handler, Wait wait, Acknowledgement acknowledgement) {
        return subscribe(filters, handler, wait, acknowledgement, null);
    }

    /**
     * Subscribes; {@code check}, if given, sees the filters the client holds at the broker, under
     * the client lock just before the new ones are added, and may refuse by throwing.
     */
    public Subscription subscribe(List<TopicFilter> filters, MessageHandler handler, Wait wait, Acknowledgement acknowledgement,
            java.util.function.Consumer<java.util.Set<String>> check) {
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
        SubscriptionImpl sub = new SubscriptionImpl(this, filters, handler, options.subscriptionBuffer(), ackTimeoutNanos,
                acknowledgement == Acknowledgement.MANUAL);
        lock.lock();
        try {
            requireOpen();
            if (check != null) {
                check.accept(java.util.Collections.unmodifiableSet(filterUsers.keySet()));
            }
            // Routes exist before SUBSCRIBE leaves, so nothing that follows SUBACK can miss them.
            for (TopicFilter f : filters) {
                routes.add(Topics.routingFilter(f.filter()), sub);
                filterUsers.merge(f.filter(), 1, Integer::sum);
            }
            subscriptions.add(sub);
            if (handler != null) {
                handlersToJoin.add(sub);
            }
            if (state == State.CONNECTED) {
                session.subscribe(wire, sub);
            } else {
                toResubscribe.add(sub); // goes out after the reconnect
            }
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
            if (sub.routed[i] && dropRoute(sub, i)) {
                unused.add(fs.get(i).filter());
            }
        }
        subscriptions.remove(sub);
        return unused;
    }

    /**
     * Stops routing filter {@code i} of {@code sub} and drops its use of the filter. Under lock.
     *
     * @return true if no other subscription of this client uses the filter any more
     */
    private boolean dropRoute(SubscriptionImpl sub, int i) {
        sub.routed[i] = false;
        String f = sub.filters().get(i).filter();
        routes.remove(Topics.routingFilter(f), sub);
        Integer n = filterUsers.get(f);
        if (n == null || n <= 1) {
            filterUsers.remove(f);
            return true;
        }
        filterUsers.put(f, n - 1);
        return false;
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
            toResubscribe.remove(sub);
            if (!unused.isEmpty() && (state == State.CONNECTED || state == State.RECONNECTING)) {
                req = new Request("UNSUBACK for " + sub.filtersText(), unused);
                if (state == State.CONNECTED) {
                    session.unsubscribe(unused, req);
                } else {
                    toUnsubscribe.add(req); // after the reconnect; nobody waits for it
                    req = null;
                }
            }
        } catch (IllegalStateException e) {
            req = null; // every packet id in use: the filters stay at the broker, but no longer route here
        } finally {
            lock.unlock();
        }
        sub.end();
        if (sub.manualAck && sub.handlerThread() == null) {
            // Nobody may read them now, and an unacknowledged message holds back every later
            // acknowledgement of the connection (section 4.6): they count as given up. A
            // handler, by contrast, still runs through its buffer and acknowledges as it goes.
            for (Message m : sub.queue.snapshot()) {
                m.ack();
            }
        }
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
        Request req = new Request("UNSUBACK for " + filters.size() + " filter(s)", List.copyOf(filters));
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
            if (state == State.CONNECTED) {
                session.unsubscribe(filters, req);
            } else {
                toUnsubscribe.add(req);
            }
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
        Request req = new Request("PINGRESP", null);
        lock.lock();
        try {
            requireOpen();
            if (state != State.CONNECTED) {
                throw new ConnectionLostException("cannot ping: not connected, reconnecting to " + describeServer(), null);
            }
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
        /** The filters of an UNSUBSCRIBE (sent again after a reconnect), null for a ping. */
        final List<String> unsubscribeFilters;
        final long startedAt = System.nanoTime();
        volatile long doneAt;
        final Completion sent = new Completion();

        Request(String what, List<String> unsubscribeFilters) {
            this.what = what;
            this.unsubscribeFilters = unsubscribeFilters;
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
        if (c != null && token == null) {
            c.owed.incrementAndGet(); // before add: the writer may write it and count it down at once
        }
        if (c == null || !c.queue.add(packet, token)) {
            // The connection is going away. QoS 1/2 publishes and subscribes stay with the
            // session, which fails or resends them; a QoS 0 publish would be forgotten, so fail it.
            if (token instanceof DeliveryImpl d && d.qos() == Qos.AT_MOST_ONCE) {
                failToken(d, new ConnectionLostException("connection to " + describeServer()
                        + " closed before the QoS 0 PUBLISH to " + Printable.quote(d.topic()) + " was written", null));
            }
        }
    }

    @Override
    public void connected(boolean present) {
        Connection c = conn;
        c.established = true;
        sessionPresent = present;
        boolean reconnect = everConnected;
        everConnected = true;
        if (state == State.CONNECTING || state == State.RECONNECTING) {
            state = State.CONNECTED;
        }
        events.append(new ConnectionEvent.Connected(c.server.toString(), present, reconnect));
        if (reconnect && !present) {
            // The broker forgot us: every active subscription must be made again.
            events.append(new ConnectionEvent.SessionLost(c.server.toString()));
            for (SubscriptionImpl sub : subscriptions) {
                if (!toResubscribe.contains(sub)) {
                    toResubscribe.add(sub);
                }
            }
        }
        for (SubscriptionImpl sub : toResubscribe) {
            resubscribe(sub);
        }
        toResubscribe.clear();
        for (Request r : toUnsubscribe) {
            session.unsubscribe(r.unsubscribeFilters, r);
        }
        toUnsubscribe.clear();
        DeliveryImpl d;
        while ((d = offlineQos0.pollFirst()) != null) {
            session.publish(d.topic(), d.payload(), 0, d.retain(), d);
        }
        offlineCount = 0;
        offlineBytes = 0;
        offlineRoom.signalAll();
        idle.signalAll();
        c.connack.complete();
    }

    /** Sends SUBSCRIBE again for the filters of {@code sub} that still route to it. Under lock. */
    private void resubscribe(SubscriptionImpl sub) {
        List<TopicFilter> fs = sub.filters();
        List<Subscribe.Filter> wire = new ArrayList<>();
        int[] indexes = new int[fs.size()];
        for (int i = 0; i < fs.size(); i++) {
            if (sub.routed[i]) {
                indexes[wire.size()] = i;
                wire.add(new Subscribe.Filter(fs.get(i).filter(), fs.get(i).qos().value()));
            }
        }
        if (wire.isEmpty()) {
            return;
        }
        if (!sub.suback.isDone() && wire.size() == fs.size()) {
            session.subscribe(wire, sub); // its first SUBACK is still awaited
        } else {
            session.subscribe(wire, new Resubscribe(sub, java.util.Arrays.copyOf(indexes, wire.size())));
        }
    }

    /** A SUBSCRIBE sent again after a reconnect, for these filter positions of the subscription. */
    private record Resubscribe(SubscriptionImpl sub, int[] filterIndexes) {}

    @Override
    public void refused(int returnCode) {
        deferredFailure = ConnectionRefusedException.forCode(returnCode, describeServer());
    }

    @Override
    public void published(Object token) {
        DeliveryImpl d = (DeliveryImpl) token;
        if (!d.isDone()) {
            // Counted before completing (under the lock, like any failure): a thread woken by
            // the completion finds it in the metrics.
            telemetry.publishAcknowledged(d.topic(), d.qos().value(), d.sentAt);
        }
        if (d.complete()) {
            releasePermit(d);
        }
    }

    @Override
    public void received(Publish p, InboundAck ack) {
        Object targets = null;
        int count = 0;
        List<SubscriptionImpl> list = null;
        ArrayList<SubscriptionImpl> matched = matchScratch;
        matched.clear();
        routes.forEachMatch(p.topic(), matched::add);
        for (int i = 0; i < matched.size(); i++) {
            SubscriptionImpl s = matched.get(i);
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
        matched.clear();
        if (list != null) {
            targets = list;
        }
        if (targets == null && defaultSubscription != null) {
            targets = defaultSubscription;
        }
        telemetry.messageReceived(p.qos(), p.payload().length);
        long receivedAt = conn.lastReceivedAt;
        ManualAck manual = null;
        if (ack != null) {
            int manualTargets = 0;
            for (int i = 0, n = targetCount(targets); i < n && targets != null; i++) {
                manualTargets += target(targets, i).manualAck ? 1 : 0;
            }
            if (manualTargets > 0) {
                manual = new ManualAck(this, conn, ack, manualTargets);
            }
        }
        Message m = AckHandle.Messages.create(p.topic(), p.payload(), Qos.of(p.qos()), p.retain(), p.dup(),
                manual == null || !target(targets, 0).manualAck ? null : manual.copyHandle(), receivedAt);
        inbound.add(new Inbound(m, targets, ack, manual));
    }

    @Override
    public void subscribed(Object token, int[] returnCodes) {
        if (token instanceof Resubscribe r) {
            List<TopicFilter> fs = r.sub().filters();
            for (int i = 0; i < returnCodes.length; i++) {
                if (returnCodes[i] == 0x80 && r.sub().routed[r.filterIndexes()[i]]) {
                    int at = r.filterIndexes()[i];
                    String f = fs.get(at).filter();
                    LOG.log(System.Logger.Level.WARNING, () -> "after a reconnect, broker " + describeServer()
                            + " refused the subscription to " + Printable.quote(f) + " it had granted before");
                    dropRoute(r.sub(), at);
                }
            }
            return;
        }
        SubscriptionImpl sub = (SubscriptionImpl) token;
        boolean anyGranted = false;
        for (int i = 0; i < returnCodes.length; i++) {
            if (returnCodes[i] == 0x80 && sub.routed[i]) {
                dropRoute(sub, i);
            }
            anyGranted |= returnCodes[i] != 0x80;
        }
        // End a subscription with nothing granted before completing SUBACK, so the thread that
        // waits for it (and throws SubscriptionRefusedException) already sees it inactive.
        if (!anyGranted) {
            subscriptions.remove(sub);
            sub.end();
        }
        sub.onSuback(returnCodes);
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
    public void duplicateDropped(int packetId, boolean afterRelease) {
        telemetry.duplicateDropped();
        if (!afterRelease) {
            return;
        }
        // Once per connection at WARNING: a broker that does this does it in bursts.
        boolean first = conn.redeliveriesOfReleased++ == 0;
        if (first || LOG.isLoggable(System.Logger.Level.DEBUG)) {
            LOG.log(first ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, () -> "broker " + describeServer()
                    + " sent again a QoS 2 message it had already released (packet id " + packetId
                    + ", PUBLISH with DUP=1 after PUBREL); answered and not delivered twice"
                    + (first ? " (further ones on this connection are logged at DEBUG)" : ""));
        }
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
        // Batches start small and grow under load, like the buffers: idle connections are many.
        Packet[] packets = new Packet[FIRST_BATCH];
        Object[] trackers = new Object[FIRST_BATCH];
        ByteBuffer out = ByteBuffer.allocateDirect(FIRST_BUFFER);
        int n = 0;
        try {
            while (true) {
                if (n == packets.length && packets.length < WRITE_BATCH) {
                    packets = new Packet[Math.min(WRITE_BATCH, packets.length * 4)];
                    trackers = new Object[packets.length];
                }
                n = c.queue.drainTo(packets, trackers);
                if (n < 0) {
                    break;
                }
                // Group commit: the records behind these packets reach the disk before the packets
                // reach the network (one fsync for the batch, none when nothing new was recorded).
                try {
                    store.sync();
                } catch (IOException e) {
                    fatal = new MqttException("the session store " + fileStore.directory() + " failed, so the client closed: "
                            + e.getMessage(), e);
                    failUnwrittenQos0(trackers, n, fatal);
                    connectionFailed(c, fatal);
                    break;
                }
                boolean disconnect = false;
                long writing = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    Packet p = packets[i];
                    if (throttle != null && p.type() == Packet.PUBLISH && !throttle.tryAcquire()) {
                        // Paced here, not at the call, so queued, offline-buffered and resent
                        // publishes keep to the rate too; what is encoded goes out before the wait.
                        flush(c, out);
                        c.lastSentAt = System.nanoTime();
                        while (!throttle.tryAcquire(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                            if (c.failed.get()) {
                                throw new IOException("the connection ended while a publish waited for the publish throttle");
                            }
                        }
                        writing = System.nanoTime(); // what the throttle held starts its clock now
                    }
                    if (trackers[i] instanceof DeliveryImpl d && d.sentAt == 0) {
                        // The first write: the acknowledgement latency starts here, before the
                        // bytes leave (the acknowledgement may be read before this loop ends).
                        d.sentAt = writing;
                        telemetry.publishWritten(d.topic(), d.qos().value(), d.acceptedAt, writing);
                    }
                    int size = PacketEncoder.encodedSize(p);
                    if (size > out.remaining()) {
                        flush(c, out);
                        if (out.capacity() < WRITE_BUFFER) {
                            out = ByteBuffer.allocateDirect(WRITE_BUFFER);
                        }
                    }
                    if (size > out.capacity()) {
                        c.transport.write(ByteBuffer.wrap(PacketEncoder.encode(p)));
                        telemetry.wrote(size);
                    } else {
                        PacketEncoder.encode(p, out);
                    }
                    disconnect |= p.type() == Packet.DISCONNECT;
                }
                flush(c, out);
                c.lastSentAt = System.nanoTime();
                int sessionMade = 0;
                for (int i = 0; i < n; i++) {
                    packets[i] = null;
                    Object t = trackers[i];
                    trackers[i] = null;
                    if (t != null) {
                        written(t);
                    } else {
                        sessionMade++;
                    }
                }
                if (sessionMade > 0 && c.owed.addAndGet(-sessionMade) <= MAX_OWED && c.readerWaitsForWriter) {
                    LockSupport.unpark(c.reader);
                }
                if (disconnect) {
                    break; // [MQTT-3.14.4-2]: nothing may follow DISCONNECT
                }
            }
        } catch (IOException e) {
            MqttException ex = lostException(e);
            failUnwrittenQos0(trackers, n, ex);
            connectionFailed(c, ex);
        } catch (InterruptedException e) {
            connectionFailed(c, new ClientClosedException("the writer was interrupted", e));
        } catch (RuntimeException e) {
            connectionFailed(c, new MqttException("internal error in the writer: " + e, e));
        } finally {
            c.writerDone.countDown();
        }
    }

    /** Fails the QoS 0 deliveries of a batch the writer took but did not get written (at most once). */
    private void failUnwrittenQos0(Object[] trackers, int n, MqttException cause) {
        for (int i = 0; i < n; i++) {
            if (trackers[i] instanceof DeliveryImpl d && d.qos() == Qos.AT_MOST_ONCE) {
                lock.lock();
                try {
                    failToken(d, cause);
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private void flush(Connection c, ByteBuffer out) throws IOException {
        if (out.position() > 0) {
            telemetry.wrote(out.position());
            out.flip();
            c.transport.write(out);
            out.clear();
        }
    }

    private void written(Object tracker) {
        // QoS 0 has no acknowledgement: written is done, and frees its queue slot. It is marked
        // done before "sent" wakes Wait.SENT callers, so none of them can see it as only SENT.
        if (tracker instanceof DeliveryImpl d && d.qos() == Qos.AT_MOST_ONCE && d.complete()) {
            telemetry.publishAcknowledged(d.topic(), 0, 0);
            lock.lock();
            try {
                releasePermit(d);
            } finally {
                lock.unlock();
            }
        }
        if (tracker instanceof SendTracker t) {
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
        ByteBuffer buf = ByteBuffer.allocateDirect(FIRST_BUFFER);
        PacketDecoder decoder = new PacketDecoder(options.maxIncomingPacketSize());
        ArrayList<Packet> batch = new ArrayList<>();
        ArrayList<Inbound> received = new ArrayList<>();
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
                telemetry.read(r);
                boolean filled = !buf.hasRemaining();
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
                c.readerLeftover = buf.position(); // part of a packet, read but not yet decoded
                if (filled && buf.capacity() < READ_BUFFER) {
                    buf = ByteBuffer.allocateDirect(READ_BUFFER).put(buf.flip());
                }
                if (!batch.isEmpty()) {
                    if (!process(c, batch, received)) {
                        return;
                    }
                    batch.clear();
                }
                if (malformed != null) {
                    connectionFailed(c, malformed);
                    return;
                }
                awaitOwedWritten(c);
            }
        } catch (IOException e) {
            connectionFailed(c, lostException(e));
        } catch (RuntimeException e) {
            connectionFailed(c, new MqttException("internal error in the reader: " + e, e));
        } finally {
            c.readerDone.countDown();
        }
    }

    /**
     * Stops reading while more than {@link #MAX_OWED} packets the session made (acknowledgements
     * above all) wait for the writer: a broker that sends faster than it reads gets TCP
     * back-pressure instead of a growing queue here. The ping clock is not restarted meanwhile:
     * if the writer cannot get through, keep-alive rightly calls the connection dead.
     */
    private static void awaitOwedWritten(Connection c) {
        if (c.owed.get() <= MAX_OWED) {
            return;
        }
        c.readerWaitsForWriter = true;
        try {
            while (c.owed.get() > MAX_OWED && !c.failed.get()) {
                LockSupport.parkNanos(10_000_000L); // the writer unparks us after each write
            }
        } finally {
            c.readerWaitsForWriter = false;
        }
    }

    /**
     * Feeds packets to the session, then hands the messages on, acknowledging each as it goes.
     * {@code received} is this reader's own list, empty on entry and on return.
     */
    private boolean process(Connection c, List<Packet> batch, List<Inbound> received) {
        MqttException failure;
        lock.lock();
        try {
            if (conn != c || c.failed.get()) {
                return false; // read from a connection already given up: it means nothing now
            }
            for (int i = 0; i < batch.size() && deferredFailure == null; i++) {
                session.onPacket(batch.get(i));
            }
            failure = takeDeferredFailure();
            if (failure == null) {
                received.addAll(inbound);
            }
            inbound.clear();
        } finally {
            lock.unlock();
        }
        if (failure != null) {
            if (failure instanceof ConnectionRefusedException) {
                c.connack.fail(failure);
            }
            connectionFailed(c, failure);
            return false;
        }
        if (received.isEmpty()) {
            return true;
        }
        boolean live;
        try {
            live = handOffAll(c, received);
        } catch (InterruptedException e) {
            connectionFailed(c, new ClientClosedException("the reader was interrupted", e));
            live = false;
        } finally {
            received.clear();
        }
        return live;
    }

    /**
     * Hands the batch's messages to their subscriptions. Each message is put into every target
     * buffer that has room and acknowledged in the same hold of the client lock, so a connection
     * lost meanwhile finds it either with the application and acknowledged (its QoS 2 id is kept,
     * and the broker's resend is not delivered again) or not handed over at all. A full buffer is
     * waited for outside the lock, after the messages before it were acknowledged; if the
     * connection fails while the next message has not reached any subscription, it is given up
     * (the broker sends it again). A message that reached one subscription goes on to the others.
     *
     * <p>A message with manual-acknowledgement targets is acknowledged when the application says
     * so ({@link ManualAck}), not here; before handing one over, the reader waits while
     * {@link MqttOptions#maxUnacknowledged()} such messages are still unacknowledged.
     *
     * @return false if the connection failed and the reader should stop
     */
    private boolean handOffAll(Connection c, List<Inbound> inbound) throws InterruptedException {
        int n = inbound.size();
        int next = 0;
        // Targets of inbound[next] that already have it.
        int given = 0;
        while (next < n) {
            SubscriptionImpl full = null;
            lock.lock();
            try {
                while (next < n) {
                    if (given == 0 && c.failed.get()) {
                        return false;
                    }
                    if (given == 0 && state == State.CLOSING) {
                        // Closing: a message not handed over yet is not acknowledged either, so the
                        // broker keeps it for the next session instead of it being lost here.
                        return true;
                    }
                    Inbound in = inbound.get(next);
                    if (given == 0 && in.manual != null && !awaitAckRoom(c)) {
                        return false; // given up: the broker sends it again
                    }
                    int before = given;
                    given = offer(in, given);
                    if (before == 0 && given > 0 && in.ack != null) {
                        if (in.manual == null) {
                            session.acknowledge(in.ack); // the application has it
                        } else {
                            c.unacknowledged++; // the application acknowledges it (ManualAck)
                        }
                    }
                    if (given < targetCount(in)) {
                        full = target(in, given);
                        break;
                    }
                    next++;
                    given = 0;
                }
            } finally {
                lock.unlock();
            }
            if (full != null) {
                awaitRoom(c, full, given == 0);
            }
        }
        return true;
    }

    private static int targetCount(Inbound in) {
        return targetCount(in.targets);
    }

    private static int targetCount(Object t) {
        return t == null ? 1 : t instanceof SubscriptionImpl ? 1 : ((List<?>) t).size();
    }

    private static SubscriptionImpl target(Inbound in, int i) {
        return target(in.targets, i);
    }

    private static SubscriptionImpl target(Object t, int i) {
        return t instanceof SubscriptionImpl s ? s : (SubscriptionImpl) ((List<?>) t).get(i);
    }

    /**
     * Waits, under the client lock (released while waiting), until fewer than
     * {@link MqttOptions#maxUnacknowledged()} messages of this connection wait for a manual
     * acknowledgement. The reader reads nothing meanwhile: back-pressure on the broker.
     *
     * @return false if the connection failed while waiting
     */
    private boolean awaitAckRoom(Connection c) throws InterruptedException {
        if (c.unacknowledged < options.maxUnacknowledged()) {
            return true;
        }
        c.readerPaused = true;
        try {
            while (c.unacknowledged >= options.maxUnacknowledged()) {
                if (c.failed.get()) {
                    return false;
                }
                ackRoom.awaitNanos(100_000_000L);
            }
            return true;
        } finally {
            c.readerPaused = false;
            if (conn == c) {
                session.restartPingClock(System.nanoTime()); // see awaitRoom
            }
        }
    }

    /**
     * The application acknowledged every manual copy of a message: its PUBACK or PUBREC may
     * go, in arrival order (the session holds it back behind earlier unacknowledged ones).
     */
    void acknowledged(ManualAck m) {
        lock.lock();
        try {
            if (state == State.CLOSED) {
                return; // the session and its store are gone
            }
            session.acknowledge(m.ack);
            if (m.conn.unacknowledged-- == options.maxUnacknowledged() || m.conn.readerPaused) {
                ackRoom.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot of the client's metrics. Takes the client lock briefly for the gauges; recording never does. */
    public ClientMetrics metrics() {
        int inFlight;
        int offline;
        int unacked;
        List<SubscriptionImpl> subs;
        lock.lock();
        try {
            inFlight = session.publishesInFlight() + qos0Queued;
            offline = offlineCount;
            Connection c = conn;
            unacked = c == null ? 0 : c.unacknowledged;
            subs = new ArrayList<>(subscriptions);
        } finally {
            lock.unlock();
        }
        if (defaultSubscription != null) {
            subs.add(defaultSubscription);
        }
        int buffered = 0;
        for (SubscriptionImpl s : subs) {
            buffered += s.queue.size();
        }
        return telemetry.snapshot(new Telemetry.Gauges(inFlight, offline, buffered, unacked));
    }

    /**
     * Puts {@code in} into its targets from index {@code from} on, without waiting, while they
     * have room. Under the client lock (the buffers' own locks nest inside it).
     *
     * @return the number of targets that have the message now
     */
    private int offer(Inbound in, int from) {
        Object t = in.targets;
        if (t == null) {
            if (LOG.isLoggable(System.Logger.Level.DEBUG)) { // not even a lambda per message when off
                LOG.log(System.Logger.Level.DEBUG, "message on " + Printable.quote(in.message.topic())
                        + " matches no subscription and there is no default handler; acknowledged and dropped");
            }
            return 1;
        }
        int count = targetCount(in);
        Message m = in.message;
        int i = from;
        while (i < count) {
            SubscriptionImpl s = target(in, i);
            boolean manual = in.manual != null && s.manualAck;
            // Each subscription gets its own payload array, so one consumer cannot change another's.
            Message copy = i == 0 ? m : AckHandle.Messages.create(m.topic(), m.payload().clone(), m.qos(), m.retained(),
                    m.duplicate(), manual ? in.manual.copyHandle() : null, AckHandle.Messages.receivedAt(m));
            int r = s.queue.offer(copy);
            if (r == MessageQueue.FULL) {
                break;
            }
            if (r == MessageQueue.CLOSED && manual) {
                copy.ack(); // nobody will read it: its acknowledgement must not hold back the others
            }
            i++;
        }
        return i;
    }

    /**
     * Waits, without the client lock, until {@code s} has room; or, if {@code giveUp}, until the
     * connection fails. The caller then offers again under the lock; should the room be gone by
     * then (the reader of a broken connection may still be finishing a message), it waits again.
     */
    private void awaitRoom(Connection c, SubscriptionImpl s, boolean giveUp) throws InterruptedException {
        c.readerPaused = true;
        try {
            while (s.queue.isFull() && !(giveUp && c.failed.get())) {
                s.queue.awaitRoom(100_000_000L);
            }
        } finally {
            c.readerPaused = false;
            // A PINGRESP may be waiting unread behind this message: give the reader a whole
            // ping timeout from now to reach it before keep-alive may call the link dead.
            lock.lock();
            try {
                if (conn == c) {
                    session.restartPingClock(System.nanoTime());
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private void runKeepAlive(Connection c) {
        while (!c.failed.get()) {
            long wait;
            MqttException failure;
            lock.lock();
            try {
                if (state != State.CONNECTED || conn != c || c.failed.get()) {
                    // Not this connection's session any more: its clocks would mislead the next one's.
                    return;
                }
                long now = System.nanoTime();
                if (c.readerPaused && (c.readerLeftover != 0 || c.transport.bytesBuffered() != 0)) {
                    // The paused reader reads nothing, so a PINGRESP may be waiting unread: the ping
                    // clock starts again. Unless nothing at all waits: then no PINGRESP has come, and
                    // keep-alive judges the link as it would if the reader were reading.
                    session.restartPingClock(now);
                }
                // The session pings once the connection has been idle for the keep-alive interval;
                // both clocks moved back by the margin make it ping that much earlier.
                wait = session.tick(now, c.lastSentAt - keepAliveMarginNanos, c.lastReceivedAt - keepAliveMarginNanos);
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
