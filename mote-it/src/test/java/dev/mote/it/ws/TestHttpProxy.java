package dev.mote.it.ws;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small HTTP CONNECT proxy on 127.0.0.1 for the tests, written the way a real one behaves: it
 * parses {@code CONNECT host:port HTTP/1.1} and its headers, checks Basic credentials when it has
 * some ({@code 407} with {@code Proxy-Authenticate: Basic} otherwise), refuses any method but
 * CONNECT ({@code 405}) and any target outside 127.0.0.1/localhost ({@code 403}), connects to the
 * target ({@code 502} if it cannot), answers {@code 200 Connection established}, and relays bytes
 * both ways until either side closes. It records every request head and the first bytes the
 * client sent through each tunnel.
 */
final class TestHttpProxy implements AutoCloseable {
    private static final Pattern CONNECT = Pattern.compile("CONNECT (\\S+):(\\d+) HTTP/1\\.[01]");

    private final ServerSocket server;
    private final String expectedAuthorization;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<byte[]> tunnelStarts = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger tunnels = new AtomicInteger();

    /** A proxy that lets everyone in. */
    TestHttpProxy() throws IOException {
        this(null, null);
    }

    /** A proxy that wants these Basic credentials (both null: none). */
    TestHttpProxy(String user, String password) throws IOException {
        this.expectedAuthorization = user == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("test-proxy-accept").start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Every request head received, in order. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    /** For each tunnel, the first bytes the client sent through it (up to 4 KiB of its first read). */
    List<byte[]> tunnelStarts() {
        return List.copyOf(tunnelStarts);
    }

    /** Tunnels opened (200 answered). */
    int tunnels() {
        return tunnels.get();
    }

    /** Closes every tunnel (both sides) as a proxy restart would; keeps accepting new ones. */
    void dropTunnels() {
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                open.add(client);
                Thread.ofVirtual().name("test-proxy-conn").start(() -> serve(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            String head = readHead(in);
            if (head == null) {
                client.close();
                return;
            }
            requests.add(head);
            String[] lines = head.split("\r\n");
            Matcher m = CONNECT.matcher(lines[0]);
            if (!m.matches()) {
                answer(client, "405 Method Not Allowed");
                return;
            }
            String authorization = null;
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0 && lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("proxy-authorization")) {
                    authorization = lines[i].substring(colon + 1).trim();
                }
            }
            if (expectedAuthorization != null && !expectedAuthorization.equals(authorization)) {
                out.write(("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"mote-test\"\r\n"
                        + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                client.close();
                return;
            }
            String host = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
            if (!host.equals("127.0.0.1") && !host.equals("localhost")) {
                answer(client, "403 Forbidden");
                return;
            }
            Socket target = new Socket();
            open.add(target);
            try {
                target.connect(new InetSocketAddress(host, Integer.parseInt(m.group(2))), 2000);
            } catch (IOException e) {
                answer(client, "502 Bad Gateway");
                target.close();
                return;
            }
            out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            tunnels.incrementAndGet();
            Thread.ofVirtual().name("test-proxy-down").start(() -> relay(target, client, false));
            relay(client, target, true);
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    private void relay(Socket from, Socket to, boolean record) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            boolean first = true;
            while ((n = in.read(buf)) >= 0) {
                if (record && first) {
                    tunnelStarts.add(java.util.Arrays.copyOf(buf, Math.min(n, 4096)));
                    first = false;
                }
                out.write(buf, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void answer(Socket client, String status) throws IOException {
        client.getOutputStream().write(("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        client.getOutputStream().flush();
        client.close();
    }

    /** The request head, up to the blank line, read byte by byte so nothing of the tunnel is taken. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int c = in.read();
            if (c < 0 || b.size() > 16 * 1024) {
                return null;
            }
            b.write(c);
            matched = c == end[matched] ? matched + 1 : c == '\r' ? 1 : 0;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // gone
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            closeQuietly(s);
        }
    }
}
