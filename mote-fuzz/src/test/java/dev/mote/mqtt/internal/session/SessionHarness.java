package dev.mote.mqtt.internal.session;

import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Disconnect;
import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.Pingreq;
import dev.mote.mqtt.internal.codec.Pingresp;
import dev.mote.mqtt.internal.codec.Puback;
import dev.mote.mqtt.internal.codec.Pubcomp;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.internal.codec.Pubrec;
import dev.mote.mqtt.internal.codec.Pubrel;
import dev.mote.mqtt.internal.codec.Suback;
import dev.mote.mqtt.internal.codec.Subscribe;
import dev.mote.mqtt.internal.codec.Unsuback;
import dev.mote.mqtt.internal.codec.Unsubscribe;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The session fuzz target, apart from Jazzer: reads an input as a program of client commands and
 * broker packets, runs it against a {@link Session} the way the client runtime drives one, and
 * checks the session's promises after every step. Anything but a clean return is a finding:
 * {@link AssertionError} for a broken invariant, any other exception for a crash.
 *
 * <p>Program format, one operation after another: an opcode byte ({@code b % OPS}) followed by
 * its argument bytes; reading past the end yields zeros. See {@link #OP_NAMES} and
 * {@link SessionPrograms}, which writes the seed programs.
 *
 * <p>Checked:
 * <ul>
 *   <li>no exception out of {@code onPacket}; commands throw {@link IllegalStateException} exactly
 *       when documented (closed, not connected, every packet id in use) and nothing else;
 *   <li>never a PUBLISH at QoS 1/2 with id 0 or above 65535, never an id that is still in use,
 *       never a PUBLISH again after its PUBREC, never the same PUBLISH twice on one connection,
 *       DUP only on a resend;
 *   <li>{@code publishesInFlight()} and {@code idsInUse()} equal what is outstanding;
 *   <li>every token handed back at most once (by an event, by {@code connectionLost} or by
 *       {@code close}), only by the event its broker packet calls for, and, after the final
 *       {@code close}, every token handed back exactly once;
 *   <li>packets other than CONNECT and DISCONNECT go out only while connected;
 *   <li>{@code tick} never asks to be called again in zero or negative time.
 * </ul>
 * A violation, a refused CONNACK and a dead keep-alive are answered with {@code connectionLost},
 * as the client does.
 */
public final class SessionHarness {

    static final int PUBLISH = 0;
    static final int SUBSCRIBE = 1;
    static final int UNSUBSCRIBE = 2;
    static final int PING = 3;
    static final int ACKNOWLEDGE = 4;
    static final int TICK = 5;
    static final int RECONNECT = 6;
    static final int BROKER_CONNACK = 7;
    static final int BROKER_PUBLISH = 8;
    static final int BROKER_PUBACK = 9;
    static final int BROKER_PUBREC = 10;
    static final int BROKER_PUBREL = 11;
    static final int BROKER_PUBCOMP = 12;
    static final int BROKER_SUBACK = 13;
    static final int BROKER_UNSUBACK = 14;
    static final int BROKER_PINGRESP = 15;
    static final int BROKER_CLIENT_ONLY = 16;
    static final int PUBLISH_BURST = 17;
    static final int DISCONNECT = 18;
    static final int OPS = 19;

    static final String[] OP_NAMES = {"publish", "subscribe", "unsubscribe", "ping", "acknowledge", "tick",
        "reconnect", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBACK", "UNSUBACK",
        "PINGRESP", "client-only packet", "publish burst", "disconnect"};

    static final String[] TOPICS = {"a/b", "t", "", "a/+", "x/#", "\u20AC/\uD83D\uDE00"};
    static final String[] FILTERS = {"a/#", "+/b", "t", "$share/g/x"};
    static final int[] KEEP_ALIVE_SECONDS = {0, 1, 5, 60};
    static final int[] CONNACK_CODES = {0, 0, 0, 0, 1, 3, 5, 255};
    static final int[] SUBACK_CODES = {0, 1, 2, Suback.FAILURE};
    static final long[] TICK_STEPS = {0, 1_000_000L, 100_000_000L, 1_000_000_000L, 5_000_000_000L,
        30_000_000_000L, 61_000_000_000L, 120_000_000_000L};
    static final long PING_TIMEOUT = 3_000_000_000L;
    /** Publishes one program may issue at most, bursts included, so one input stays fast. */
    static final int MAX_PUBLISHES = 70_000;

    private static final String[] PUBLISH_KINDS = {"publish0", "publish1", "publish2"};

    private SessionHarness() {}

    /** Runs {@code program} and checks everything; throws on a finding. */
    public static void run(byte[] program) {
        if (program == null) {
            return;
        }
        new Run(program).execute();
    }

    /** What the harness knows of one token it passed in. */
    private static final class Token {
        final String kind; // "publish0", "publish1", "publish2", "subscribe", "unsubscribe", "ping"
        final int seq;
        int id;
        int filters;
        boolean tracked;
        boolean returned;
        boolean pubrecReceived;
        boolean everSent;
        int sentOnConnection = -1;

        Token(String kind, int seq) {
            this.kind = kind;
            this.seq = seq;
        }

        boolean isTrackedPublish() {
            return kind.equals("publish1") || kind.equals("publish2");
        }

        @Override
        public String toString() {
            return kind + "#" + seq + (id != 0 ? "(id " + id + ")" : "");
        }
    }

    private static final class Run implements SessionListener {
        private final byte[] in;
        private int pos;
        private final Session session = new Session(this, Connect.LEVEL_3_1_1);
        private final List<Token> tracked = new ArrayList<>();
        private final Map<Integer, Token> inUse = new HashMap<>();
        private int outstandingPublishes;
        private int seq;
        private int publishes;
        private final List<InboundAck> acks = new ArrayList<>();
        private final int[] knownIds = new int[64];
        private int knownCount;
        private int connection;
        private int lastPingSeqReturned = -1;
        /** The broker packet being handled, or null during a command. */
        private Packet current;
        private boolean mustReset;
        /** Where the clock starts: close to overflow, so time arithmetic must be by difference. */
        private long now = Long.MAX_VALUE - 40_000_000_000L;
        private long lastSentAt = now;
        private long lastReceivedAt = now;
        private final StringBuilder trace = new StringBuilder();

        Run(byte[] in) {
            this.in = in;
        }

        private int next() {
            return pos < in.length ? in[pos++] & 0xFF : 0;
        }

        void execute() {
            try {
                connect(true, 60);
                while (pos < in.length) {
                    int op = next() % OPS;
                    trace.append(OP_NAMES[op]).append(' ');
                    step(op);
                    if (mustReset) {
                        mustReset = false;
                        connectionLost();
                    }
                    checkCounts();
                }
                trace.append("close");
                session.close(this::closeReturned);
                checkCounts();
                for (Token t : tracked) {
                    if (!t.returned) {
                        fail("token " + t + " was never handed back, not even by close");
                    }
                }
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\n  program: " + trace, e.getCause());
            }
        }

        private void step(int op) {
            switch (op) {
                case PUBLISH -> publish(next());
                case SUBSCRIBE -> subscribe(next());
                case UNSUBSCRIBE -> unsubscribe(next());
                case PING -> ping();
                case ACKNOWLEDGE -> {
                    int b = next();
                    if (!acks.isEmpty()) {
                        session.acknowledge(acks.get(b % acks.size()));
                    }
                }
                case TICK -> tick(next());
                case RECONNECT -> {
                    int b = next();
                    connectionLost();
                    connect((b & 1) != 0, KEEP_ALIVE_SECONDS[b >>> 1 & 3]);
                }
                case BROKER_CONNACK -> {
                    int b = next();
                    deliver(new Connack((b & 1) != 0, CONNACK_CODES[b >>> 1 & 7]));
                }
                case BROKER_PUBLISH -> {
                    int b = next();
                    int qos = b & 3;
                    if (qos == 3) {
                        qos = 1;
                    }
                    int id = qos == 0 ? 0 : pickId();
                    if (id != 0) {
                        remember(id);
                    }
                    String topic = TOPICS[(b >>> 4) % TOPICS.length];
                    deliver(new Publish(topic, new byte[] {(byte) b}, qos, (b & 4) != 0, qos > 0 && (b & 8) != 0, id));
                }
                case BROKER_PUBACK -> deliver(new Puback(pickId()));
                case BROKER_PUBREC -> deliver(new Pubrec(pickId()));
                case BROKER_PUBREL -> deliver(new Pubrel(pickId()));
                case BROKER_PUBCOMP -> deliver(new Pubcomp(pickId()));
                case BROKER_SUBACK -> {
                    int id = pickId();
                    int n = 1 + (next() & 3);
                    int[] codes = new int[n];
                    for (int i = 0; i < n; i++) {
                        codes[i] = SUBACK_CODES[next() & 3];
                    }
                    deliver(new Suback(id, codes));
                }
                case BROKER_UNSUBACK -> deliver(new Unsuback(pickId()));
                case BROKER_PINGRESP -> deliver(Pingresp.INSTANCE);
                case BROKER_CLIENT_ONLY -> {
                    int b = next() % 5;
                    deliver(switch (b) {
                        case 0 -> new Connect(4, "broker?", true, 10, null, null, 0, false, null, null);
                        case 1 -> new Subscribe(1, List.of(new Subscribe.Filter("a", 0)));
                        case 2 -> new Unsubscribe(1, List.of("a"));
                        case 3 -> Pingreq.INSTANCE;
                        default -> Disconnect.INSTANCE;
                    });
                }
                case PUBLISH_BURST -> {
                    // Only 0xFF asks for enough QoS 1 publishes to use up every packet id: that
                    // costs milliseconds, so mutated programs should not do it by accident.
                    int b = next();
                    int n = b == 0xFF ? 65_536 : 1 + (b & 0x3F);
                    for (int i = 0; i < n && publishes < MAX_PUBLISHES; i++) {
                        if (!publish(1)) {
                            break;
                        }
                    }
                }
                case DISCONNECT -> session.disconnect();
                default -> throw new IllegalStateException("opcode " + op);
            }
        }

        // ------------------------------------------------------------ commands

        private void track(Token t) {
            t.tracked = true;
            tracked.add(t);
        }

        private void untrack(Token t) {
            t.tracked = false;
            tracked.remove(tracked.size() - 1);
        }

        private void connect(boolean clean, int keepAlive) {
            Connect c = new Connect(4, "fuzz", clean, keepAlive, null, null, 0, false, null, null);
            boolean closed = session.state() == Session.State.CLOSED;
            connection++;
            try {
                session.connect(c, PING_TIMEOUT);
            } catch (IllegalStateException e) {
                if (!closed) {
                    fail("connect threw " + e + " in state " + session.state());
                }
                return;
            }
            if (closed) {
                fail("connect succeeded on a closed session");
            }
        }

        private void connectionLost() {
            session.connectionLost(this::lostReturned);
        }

        /** One publish command; false if it was refused (so a burst stops). */
        private boolean publish(int b) {
            if (publishes >= MAX_PUBLISHES) {
                return false;
            }
            publishes++;
            int qos = b & 3;
            if (qos == 3) {
                qos = 2;
            }
            Token t = new Token(PUBLISH_KINDS[qos], seq++);
            Session.State state = session.state();
            String expected = state == Session.State.CLOSED ? "the session is closed"
                    : qos == 0 && state != Session.State.CONNECTED ? "not connected"
                    : qos > 0 && session.idsInUse() >= 65_535 ? "all 65535 packet identifiers are in use"
                    : null;
            if (qos > 0) {
                // Tracked before the call: the session may send (and so report) it at once.
                track(t);
            }
            int id;
            try {
                id = session.publish(TOPICS[(b >>> 2) % 2], new byte[] {(byte) b}, qos, (b & 16) != 0, t);
            } catch (IllegalStateException e) {
                if (qos > 0) {
                    untrack(t);
                }
                expectRefusal("publish", expected, e);
                return false;
            }
            expectRefusal("publish", expected, null);
            if (qos == 0) {
                if (id != 0) {
                    fail("QoS 0 publish returned packet id " + id);
                }
                return true;
            }
            takeId(t, id);
            outstandingPublishes++;
            return true;
        }

        private void subscribe(int b) {
            int n = 1 + (b & 3);
            List<Subscribe.Filter> filters = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                filters.add(new Subscribe.Filter(FILTERS[(b + i) % FILTERS.length], i % 3));
            }
            Token t = new Token("subscribe", seq++);
            t.filters = n;
            String expected = requireConnected();
            track(t);
            int id;
            try {
                id = session.subscribe(filters, t);
            } catch (IllegalStateException e) {
                untrack(t);
                expectRefusal("subscribe", expected, e);
                return;
            }
            expectRefusal("subscribe", expected, null);
            takeId(t, id);
        }

        private void unsubscribe(int b) {
            Token t = new Token("unsubscribe", seq++);
            String expected = requireConnected();
            track(t);
            int id;
            try {
                id = session.unsubscribe(List.of(FILTERS[b % FILTERS.length]), t);
            } catch (IllegalStateException e) {
                untrack(t);
                expectRefusal("unsubscribe", expected, e);
                return;
            }
            expectRefusal("unsubscribe", expected, null);
            takeId(t, id);
        }

        private void ping() {
            Token t = new Token("ping", seq++);
            Session.State state = session.state();
            String expected = state == Session.State.CLOSED ? "the session is closed"
                    : state != Session.State.CONNECTED ? "not connected" : null;
            track(t);
            try {
                session.ping(t);
            } catch (IllegalStateException e) {
                untrack(t);
                expectRefusal("ping", expected, e);
                return;
            }
            expectRefusal("ping", expected, null);
        }

        private String requireConnected() {
            Session.State state = session.state();
            return state == Session.State.CLOSED ? "the session is closed"
                    : state != Session.State.CONNECTED ? "not connected"
                    : session.idsInUse() >= 65_535 ? "all 65535 packet identifiers are in use"
                    : null;
        }

        private void expectRefusal(String command, String expected, IllegalStateException got) {
            if (expected == null && got != null) {
                fail(command + " threw " + got + " in state " + session.state() + " with "
                        + session.idsInUse() + " ids in use");
            }
            if (expected != null && got == null) {
                fail(command + " was accepted but should have been refused with \"" + expected + "\"");
            }
            if (expected != null && !expected.equals(got.getMessage())) {
                fail(command + " was refused with \"" + got.getMessage() + "\", expected \"" + expected + "\"");
            }
        }

        private void takeId(Token t, int id) {
            if (id < 1 || id > 65_535) {
                fail(t.kind + " got packet id " + id);
            }
            Token holder = inUse.get(id);
            if (holder != null && holder != t) {
                fail(t + " got packet id " + id + ", still in use by " + holder);
            }
            if (t.id != 0 && t.id != id) {
                fail(t + " was sent with id " + t.id + " but the command returned " + id);
            }
            t.id = id;
            inUse.put(id, t);
            remember(id);
        }

        private void tick(int b) {
            now += TICK_STEPS[b & 7] * (1 + (b >>> 3));
            long wait = session.tick(now, lastSentAt, lastReceivedAt);
            if (wait <= 0) {
                fail("tick asked to be called again in " + wait + " ns");
            }
        }

        // ------------------------------------------------------------ broker packets

        private void deliver(Packet p) {
            lastReceivedAt = now;
            if (p instanceof Pubrec r && session.state() == Session.State.CONNECTED
                    && inUse.get(r.packetId()) instanceof Token t && t.kind.equals("publish2")) {
                // The session answers with PUBREL and must never send this PUBLISH again.
                t.pubrecReceived = true;
            }
            current = p;
            try {
                session.onPacket(p);
            } finally {
                current = null;
            }
        }

        private int pickId() {
            int b = next();
            if (b < 0x80 && knownCount > 0) {
                return knownIds[b % Math.min(knownCount, knownIds.length)];
            }
            return 1 + (((b & 0x7F) << 8 | next()) % 65_535);
        }

        private void remember(int id) {
            knownIds[knownCount++ % knownIds.length] = id;
        }

        // ------------------------------------------------------------ the listener

        @Override
        public void send(Packet packet, Object token) {
            Session.State state = session.state();
            boolean allowed = packet instanceof Connect ? state == Session.State.CONNECTING
                    : packet instanceof Disconnect || state == Session.State.CONNECTED;
            if (!allowed) {
                fail("sent " + packet + " in state " + state);
            }
            lastSentAt = now;
            switch (packet) {
                case Publish p when p.qos() > 0 -> {
                    Token t = (Token) token;
                    if (p.packetId() < 1 || p.packetId() > 65_535) {
                        fail("sent a QoS " + p.qos() + " PUBLISH with packet id " + p.packetId());
                    }
                    if (t == null || !t.isTrackedPublish() || t.returned) {
                        fail("sent " + p + " for token " + t + ", which is not an outstanding publish");
                    }
                    if (t.pubrecReceived) {
                        fail("sent " + p + " again after its PUBREC [MQTT-4.3.3-1]");
                    }
                    if (t.sentOnConnection == connection) {
                        fail("sent " + p + " twice on one connection");
                    }
                    if (p.dup() && !t.everSent) {
                        fail("sent " + p + " with DUP on its first transmission");
                    }
                    if (t.id != 0 && t.id != p.packetId()) {
                        fail("sent " + p + " but " + t + " has id " + t.id);
                    }
                    Token holder = inUse.get(p.packetId());
                    if (holder != null && holder != t) {
                        fail("sent " + p + " with an id in use by " + holder);
                    }
                    t.sentOnConnection = connection;
                    t.everSent = true;
                }
                case Publish p -> {
                    if (p.packetId() != 0 || p.dup()) {
                        fail("sent a QoS 0 " + p);
                    }
                }
                case Subscribe s -> checkIdSent(s.packetId(), token, "subscribe");
                case Unsubscribe u -> checkIdSent(u.packetId(), token, "unsubscribe");
                case Pubrel r -> {
                    Token t = inUse.get(r.packetId());
                    if (t == null || !t.kind.equals("publish2") || !t.pubrecReceived) {
                        fail("sent " + r + " but id " + r.packetId() + " is " + t);
                    }
                }
                case Puback a -> checkRange(a.packetId(), packet);
                case Pubrec a -> checkRange(a.packetId(), packet);
                case Pubcomp a -> checkRange(a.packetId(), packet);
                default -> { }
            }
        }

        private void checkIdSent(int id, Object token, String kind) {
            Token t = (Token) token;
            if (t == null || !t.kind.equals(kind) || t.returned) {
                fail("sent a " + kind + " with id " + id + " for token " + t);
            }
            checkRange(id, kind);
            Token holder = inUse.get(id);
            if (holder != null && holder != t) {
                fail("sent a " + kind + " with id " + id + ", in use by " + holder);
            }
            t.id = id;
        }

        private void checkRange(int id, Object what) {
            if (id < 1 || id > 65_535) {
                fail("sent " + what + " with packet id " + id);
            }
        }

        @Override
        public void connected(boolean sessionPresent) {
            if (!(current instanceof Connack c) || c.returnCode() != 0 || c.sessionPresent() != sessionPresent) {
                fail("connected(" + sessionPresent + ") while handling " + current);
            }
        }

        @Override
        public void refused(int returnCode) {
            if (!(current instanceof Connack c) || c.returnCode() != returnCode || returnCode == 0) {
                fail("refused(" + returnCode + ") while handling " + current);
            }
            mustReset = true;
        }

        @Override
        public void published(Object token) {
            Token t = give(token, "published");
            int id = t.id;
            boolean ok = t.kind.equals("publish1") ? current instanceof Puback a && a.packetId() == id
                    : t.kind.equals("publish2") && current instanceof Pubcomp c && c.packetId() == id && t.pubrecReceived;
            if (!ok) {
                fail("published(" + t + ") while handling " + current);
            }
            release(t);
        }

        @Override
        public void received(Publish publish, InboundAck ack) {
            if (current != publish) {
                fail("received " + publish + " while handling " + current);
            }
            if (publish.topic().isEmpty() || publish.topic().contains("+") || publish.topic().contains("#")) {
                fail("received an invalid topic " + publish);
            }
            if (publish.qos() == 0 ? ack != null
                    : ack == null || ack.packetId() != publish.packetId() || ack.qos() != publish.qos()) {
                fail("received " + publish + " with acknowledgement " + ack);
            }
            if (ack != null) {
                acks.add(ack);
            }
        }

        @Override
        public void subscribed(Object token, int[] returnCodes) {
            Token t = give(token, "subscribed");
            if (!t.kind.equals("subscribe") || !(current instanceof Suback s) || s.packetId() != t.id
                    || returnCodes.length != t.filters) {
                fail("subscribed(" + t + ", " + returnCodes.length + " codes) while handling " + current);
            }
            release(t);
        }

        @Override
        public void unsubscribed(Object token) {
            Token t = give(token, "unsubscribed");
            if (!t.kind.equals("unsubscribe") || !(current instanceof Unsuback u) || u.packetId() != t.id) {
                fail("unsubscribed(" + t + ") while handling " + current);
            }
            release(t);
        }

        @Override
        public void pong(Object token) {
            if (!(current instanceof Pingresp)) {
                fail("pong while handling " + current);
            }
            if (token == null) {
                return;
            }
            Token t = give(token, "pong");
            if (!t.kind.equals("ping")) {
                fail("pong(" + t + ")");
            }
            if (t.seq < lastPingSeqReturned) {
                fail("pong(" + t + ") after a later ping was answered");
            }
            lastPingSeqReturned = t.seq;
        }

        @Override
        public void violation(String description) {
            if (current == null || description == null || description.isEmpty()) {
                fail("violation \"" + description + "\" while handling " + current);
            }
            mustReset = true;
        }

        @Override
        public void dead(String description) {
            if (current != null || description == null || description.isEmpty()) {
                fail("dead \"" + description + "\" while handling " + current);
            }
            mustReset = true;
        }

        private void lostReturned(Object token) {
            Token t = give(token, "connectionLost");
            if (t.isTrackedPublish()) {
                fail("connectionLost gave up " + t + "; publishes must stay in flight");
            }
            release(t);
        }

        private void closeReturned(Object token) {
            release(give(token, "close"));
        }

        private Token give(Object token, String how) {
            if (!(token instanceof Token t) || !t.tracked) {
                fail(how + " handed back " + token + ", which was never tracked");
                return null;
            }
            if (t.returned) {
                fail(how + " handed back " + t + " a second time");
            }
            t.returned = true;
            return t;
        }

        private void release(Token t) {
            if (t.id != 0 && inUse.get(t.id) == t) {
                inUse.remove(t.id);
            }
            if (t.isTrackedPublish()) {
                outstandingPublishes--;
            }
        }

        private void checkCounts() {
            if (session.publishesInFlight() < 0 || session.publishesInFlight() != outstandingPublishes) {
                fail("publishesInFlight() is " + session.publishesInFlight() + " but " + outstandingPublishes
                        + " publishes are outstanding");
            }
            if (session.idsInUse() != inUse.size()) {
                fail("idsInUse() is " + session.idsInUse() + " but " + inUse.size() + " ids are outstanding");
            }
        }

        private void fail(String what) {
            throw new AssertionError(what);
        }

    }
}
