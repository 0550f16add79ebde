package dev.mote.it.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP relay between a client and a broker that a test can disturb: hold the bytes of one
 * direction (they queue up and flow on {@link #pass}), drop them (black hole), or cut every
 * connection at once with a TCP reset, which to the broker is the abnormal disconnect that
 * triggers a will, and to the client a lost connection.
 *
 * <p>The client connects to {@link #uri()} instead of the broker's. Every accepted connection is
 * relayed to the broker by two threads, one per direction.
 */
public final class FaultProxy implements AutoCloseable {

    /** A direction of traffic. */
    public enum Direction {
        /** Client to broker (CONNECT, PUBLISH, PUBACK, ... sent by the client). */
        UPSTREAM,
        /** Broker to client (CONNACK, PUBLISH, PUBACK, ... sent by the broker). */
        DOWNSTREAM
    }

    private enum Mode { PASS, HOLD, DROP }

    /** -Dmote.it.proxy.trace=true prints every relayed chunk with a timestamp (short ones in hex). */
    private static final boolean TRACE = Boolean.getBoolean("mote.it.proxy.trace");

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final Thread acceptor;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Mode[] modes = {Mode.PASS, Mode.PASS};
    private final AtomicLong[] relayed = {new AtomicLong(), new AtomicLong()};
    private final AtomicLong[] dropped = {new AtomicLong(), new AtomicLong()};
    private final List<List<Long>> arrivals = List.of(new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>());
    private volatile boolean closed;

    private FaultProxy(String targetHost, int targetPort) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        try {
            this.server = new ServerSocket(0, 50, InetAddress.getByName(Net.LOOPBACK));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the proxy's listening socket", e);
        }
        this.acceptor = Thread.ofPlatform().daemon().name("fault-proxy-accept-" + server.getLocalPort()).start(this::accept);
    }

    /** A proxy in front of {@code broker}, passing everything until told otherwise. */
    public static FaultProxy to(Broker broker) {
        return new FaultProxy(broker.host(), broker.port());
    }

    /** A proxy in front of any TCP address. */
    public static FaultProxy to(String host, int port) {
        return new FaultProxy(host, port);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The URL a client uses to reach the broker through this proxy. */
    public String uri() {
        return "mqtt://" + Net.LOOPBACK + ":" + port();
    }

    // ---------------------------------------------------------------- faults

    /** Lets bytes in {@code d} flow again (held ones first). */
    public FaultProxy pass(Direction d) {
        return set(d, Mode.PASS);
    }

    /** Holds bytes in {@code d}: nothing is lost, it waits until {@link #pass}. */
    public FaultProxy hold(Direction d) {
        return set(d, Mode.HOLD);
    }

    /** Drops every byte in {@code d} from now on (a black hole); the connection stays open. */
    public FaultProxy drop(Direction d) {
        return set(d, Mode.DROP);
    }

    private FaultProxy set(Direction d, Mode m) {
        lock.lock();
        try {
            modes[d.ordinal()] = m;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return this;
    }

    /**
     * Resets every relayed connection at once (TCP RST to both ends, nothing more is relayed);
     * new connections are still accepted, and relayed with the current modes.
     */
    public void cut() {
        for (Link l : links) {
            l.abort();
        }
        links.clear();
    }

    /**
     * Ends every relayed connection in order (FIN both ways): to the client it looks as if the
     * broker closed the connection, to the broker as if the client went away without DISCONNECT.
     */
    public void end() {
        for (Link l : links) {
            l.end(); // the sockets stay in the list; close() releases them
        }
    }

    /** Connections accepted so far. */
    public int connectionsAccepted() {
        return accepted;
    }

    /** Bytes relayed in {@code d} so far, over all connections. */
    public long relayed(Direction d) {
        return relayed[d.ordinal()].get();
    }

    /**
     * When each chunk of bytes in {@code d} arrived at the proxy ({@link System#nanoTime()}),
     * whatever then became of it; a chunk is what one read returned, usually one write of the sender.
     */
    public List<Long> arrivals(Direction d) {
        return List.copyOf(arrivals.get(d.ordinal()));
    }

    /** Bytes dropped in {@code d} so far. */
    public long dropped(Direction d) {
        return dropped[d.ordinal()].get();
    }

    /** Stops accepting and resets every connection. */
    @Override
    public void close() {
        closed = true;
        set(Direction.UPSTREAM, Mode.PASS); // releases held pumps so they can notice the close
        set(Direction.DOWNSTREAM, Mode.PASS);
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        cut();
    }

    @Override
    public String toString() {
        return "FaultProxy[" + port() + " -> " + targetHost + ":" + targetPort + ", up " + modes[0] + ", down " + modes[1] + "]";
    }

    // ---------------------------------------------------------------- relaying

    private volatile int accepted;

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted++;
            Socket upstream = new Socket();
            try {
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                upstream.connect(new InetSocketAddress(targetHost, targetPort), 5_000);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(upstream);
                continue;
            }
            Link link = new Link(client, upstream);
            links.add(link);
            if (closed) {
                link.abort();
                return;
            }
            link.start();
        }
    }

    /** One relayed connection. */
    private final class Link {
        final Socket client;
        final Socket broker;
        volatile boolean aborted;
        volatile boolean ended;

        Link(Socket client, Socket broker) {
            this.client = client;
            this.broker = broker;
        }

        void start() {
            String name = "fault-proxy-" + port() + "-" + client.getPort();
            Thread.ofPlatform().daemon().name(name + "-up").start(() -> pump(client, broker, Direction.UPSTREAM));
            Thread.ofPlatform().daemon().name(name + "-down").start(() -> pump(broker, client, Direction.DOWNSTREAM));
        }

        private void pump(Socket from, Socket to, Direction d) {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    arrivals.get(d.ordinal()).add(System.nanoTime());
                    Mode m = awaitNotHeld(d, this);
                    if (aborted) {
                        return;
                    }
                    if (ended) {
                        continue; // ended by end(): whatever still comes is not relayed
                    }
                    if (m == Mode.DROP) {
                        dropped[d.ordinal()].addAndGet(n);
                        continue;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    relayed[d.ordinal()].addAndGet(n);
                    if (TRACE) {
                        System.out.printf("%tT.%<tL proxy %d %s %d bytes%s%n", System.currentTimeMillis(), port(), d, n,
                                n <= 8 ? " " + java.util.HexFormat.ofDelimiter(" ").formatHex(buf, 0, n) : "");
                    }
                }
                // An orderly end on one side is passed on as an orderly end on the other, unless
                // this direction is a black hole, where nothing gets through, not even the end.
                if (!aborted && !ended && modeOf(d) != Mode.DROP) {
                    to.shutdownOutput();
                }
            } catch (IOException e) {
                abort();
            } catch (InterruptedException e) {
                abort();
            }
        }

        /** Sends FIN both ways: each side sees the other close the connection in order. */
        void end() {
            ended = true;
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            for (Socket s : new Socket[] {client, broker}) {
                try {
                    s.shutdownOutput();
                } catch (IOException e) {
                    // already closed
                }
            }
        }

        /** Resets both sockets: SO_LINGER 0 makes close send RST instead of FIN. */
        void abort() {
            aborted = true;
            lock.lock();
            try {
                changed.signalAll(); // a pump holding bytes for this link stops waiting
            } finally {
                lock.unlock();
            }
            for (Socket s : new Socket[] {client, broker}) {
                try {
                    s.setSoLinger(true, 0);
                } catch (SocketException e) {
                    // already closed
                }
                closeQuietly(s);
            }
        }
    }

    private Mode awaitNotHeld(Direction d, Link link) throws InterruptedException {
        lock.lock();
        try {
            while (modes[d.ordinal()] == Mode.HOLD && !closed && !link.aborted && !link.ended) {
                changed.await();
            }
            return modes[d.ordinal()];
        } finally {
            lock.unlock();
        }
    }

    private Mode modeOf(Direction d) {
        lock.lock();
        try {
            return modes[d.ordinal()];
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
