package dev.mote.it.socks;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small SOCKS5 and SOCKS4a proxy for tests, on a free port of 127.0.0.1, written from RFC 1928,
 * RFC 1929 and the SOCKS4a description. It records every CONNECT it is asked for (version, address
 * type, host as sent, port, user), can insist on a user name and password, refuse every login or
 * answer every CONNECT with a given failure code, resolves host names itself (with aliases only it
 * knows, to prove the client did not resolve them), and then relays bytes both ways.
 *
 * <p>It speaks whichever version the client starts with: a first byte 5 is SOCKS5, 4 is SOCKS4(a).
 */
public final class TestSocksProxy implements AutoCloseable {

    /**
     * One CONNECT request as the proxy received it.
     *
     * @param version     5 or 4
     * @param addressType SOCKS5's ATYP (1 IPv4, 3 name, 4 IPv6); for SOCKS4, 1 for an address, 3 for a 4a name
     * @param host        the name, or the address in text form
     * @param port        the port
     * @param user        the SOCKS5 user name or the SOCKS4 user id; null if none was sent
     */
    public record Request(int version, int addressType, String host, int port, String user) {}

    private final ServerSocket server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, String> aliases = new ConcurrentHashMap<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile String user;
    private volatile String password;
    private volatile boolean refuseLogin;
    private volatile int failWith;
    private volatile boolean closed;

    private TestSocksProxy(ServerSocket server) {
        this.server = server;
        Thread.ofVirtual().name("test-socks-acceptor").start(this::acceptLoop);
    }

    /** Starts a proxy that needs no authentication. */
    public static TestSocksProxy start() throws IOException {
        return new TestSocksProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    }

    /** SOCKS5 clients must log in with this user name and password (RFC 1929). */
    public TestSocksProxy requireLogin(String user, String password) {
        this.user = user;
        this.password = password;
        return this;
    }

    /** Every SOCKS5 login is refused (status 1), whatever the user name and password. */
    public TestSocksProxy refuseLogin() {
        this.refuseLogin = true;
        return this;
    }

    /** Every CONNECT is answered with this reply code (SOCKS5 1..8, SOCKS4 91..93) instead of connecting; 0 to connect. */
    public TestSocksProxy failWith(int code) {
        this.failWith = code;
        return this;
    }

    /** The proxy resolves {@code name} to {@code host} (a name nobody else can resolve, e.g. under .invalid). */
    public TestSocksProxy alias(String name, String host) {
        aliases.put(name, host);
        return this;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The CONNECT requests received so far, in order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Closes every connection it carries (both sides), as a proxy restart would; keeps accepting new ones. */
    public void dropConnections() {
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        dropConnections();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            open.add(client);
            Thread.ofVirtual().name("test-socks-" + client.getPort()).start(() -> serve(client));
        }
    }

    private void serve(Socket client) {
        Socket target = null;
        try {
            client.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(client.getInputStream());
            OutputStream out = client.getOutputStream();
            int version = in.readUnsignedByte();
            target = switch (version) {
                case 5 -> socks5(in, out);
                case 4 -> socks4(in, out);
                default -> null;
            };
            if (target == null) {
                return;
            }
            client.setSoTimeout(0);
            relay(client, target);
        } catch (IOException e) {
            // the client went away or spoke nonsense: drop it
        } finally {
            closeQuietly(client);
            if (target != null) {
                closeQuietly(target);
            }
        }
    }

    private Socket socks5(DataInputStream in, OutputStream out) throws IOException {
        byte[] methods = readN(in, in.readUnsignedByte());
        boolean needLogin = user != null || refuseLogin;
        int wanted = needLogin ? 0x02 : 0x00;
        if (!contains(methods, wanted)) {
            out.write(new byte[] {5, (byte) 0xFF});
            return null;
        }
        out.write(new byte[] {5, (byte) wanted});
        String loggedIn = null;
        if (needLogin) {
            if (in.readUnsignedByte() != 1) {
                return null;
            }
            String u = new String(readN(in, in.readUnsignedByte()), StandardCharsets.UTF_8);
            String p = new String(readN(in, in.readUnsignedByte()), StandardCharsets.UTF_8);
            boolean ok = !refuseLogin && u.equals(user) && p.equals(password);
            out.write(new byte[] {1, (byte) (ok ? 0 : 1)});
            if (!ok) {
                return null;
            }
            loggedIn = u;
        }
        byte[] head = readN(in, 4);
        if (head[0] != 5 || head[1] != 1 || head[2] != 0) {
            out.write(new byte[] {5, 7, 0, 1, 0, 0, 0, 0, 0, 0});
            return null;
        }
        int atyp = head[3];
        String host = switch (atyp) {
            case 1 -> InetAddress.getByAddress(readN(in, 4)).getHostAddress();
            case 4 -> InetAddress.getByAddress(readN(in, 16)).getHostAddress();
            case 3 -> new String(readN(in, in.readUnsignedByte()), StandardCharsets.US_ASCII);
            default -> null;
        };
        if (host == null) {
            out.write(new byte[] {5, 8, 0, 1, 0, 0, 0, 0, 0, 0});
            return null;
        }
        int port = in.readUnsignedShort();
        requests.add(new Request(5, atyp, host, port, loggedIn));
        int code = failWith;
        Socket target = null;
        if (code == 0) {
            try {
                target = connect(host, port);
            } catch (UnknownHostException e) {
                code = 4; // host unreachable
            } catch (IOException e) {
                code = 5; // connection refused
            }
        }
        if (code != 0) {
            out.write(new byte[] {5, (byte) code, 0, 1, 0, 0, 0, 0, 0, 0});
            return null;
        }
        byte[] bound = target.getLocalAddress().getAddress();
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        reply.write(5);
        reply.write(0);
        reply.write(0);
        reply.write(bound.length == 4 ? 1 : 4);
        reply.writeBytes(bound);
        reply.write(target.getLocalPort() >> 8);
        reply.write(target.getLocalPort() & 0xFF);
        out.write(reply.toByteArray());
        return target;
    }

    private Socket socks4(DataInputStream in, OutputStream out) throws IOException {
        if (in.readUnsignedByte() != 1) {
            return null;
        }
        int port = in.readUnsignedShort();
        byte[] ip = readN(in, 4);
        String userId = readNulTerminated(in);
        boolean named = ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0;
        String host = named ? readNulTerminated(in) : InetAddress.getByAddress(ip).getHostAddress();
        requests.add(new Request(4, named ? 3 : 1, host, port, userId.isEmpty() ? null : userId));
        int code = failWith;
        Socket target = null;
        if (code == 0) {
            try {
                target = connect(host, port);
            } catch (IOException e) {
                code = 91;
            }
        }
        out.write(new byte[] {0, (byte) (code == 0 ? 90 : code), 0, 0, 0, 0, 0, 0});
        return code == 0 ? target : null;
    }

    /** Resolves (aliases first) and connects, trying every address of the name. */
    private Socket connect(String host, int port) throws IOException {
        String real = aliases.getOrDefault(host, host);
        IOException last = null;
        for (InetAddress a : InetAddress.getAllByName(real)) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(a, port), 2_000);
                s.setTcpNoDelay(true);
                open.add(s);
                return s;
            } catch (IOException e) {
                closeQuietly(s);
                last = e;
            }
        }
        throw last != null ? last : new UnknownHostException(host);
    }

    /** Copies both ways until either side ends, then closes both. */
    private void relay(Socket client, Socket target) throws IOException {
        Thread up = Thread.ofVirtual().start(() -> copy(client, target));
        copy(target, client);
        closeQuietly(client);
        closeQuietly(target);
        try {
            up.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void copy(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // one side is gone
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static byte[] readN(DataInputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    private static String readNulTerminated(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != 0) {
            if (c < 0) {
                throw new EOFException();
            }
            if (b.size() > 1024) {
                throw new IOException("too long");
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static boolean contains(byte[] methods, int method) {
        for (byte m : methods) {
            if ((m & 0xFF) == method) {
                return true;
            }
        }
        return false;
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // gone
        }
    }
}
