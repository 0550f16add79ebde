package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.SocksProxy;
import dev.mote.mqtt.internal.util.Printable;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.IDN;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A TCP connection to the broker through a SOCKS5 (RFC 1928, with RFC 1929 user name and
 * password) or SOCKS4a proxy, for {@code mqtt://} and, with TLS on top, {@code mqtts://}.
 *
 * <p>Why by hand and not with {@link java.net.Proxy}: the JDK's SOCKS support lives in
 * {@code java.net.Socket} only, not in {@link SocketChannel}, which every other Mote transport is
 * built on; whether it resolves the broker's name itself or lets the proxy do it is decided
 * inside the JDK and cannot be chosen; and its handshake is bounded only per read. The client side
 * of both protocols is a few fixed-size messages, so here it is written out: the broker's host
 * name always goes to the proxy (remote resolution), every byte of every reply is checked, the
 * whole exchange (proxy connection included) ends within the connect timeout, and each failure
 * says in words what the proxy did.
 *
 * <p>The handshake reads through the channel's socket adaptor so that {@code SO_TIMEOUT} bounds
 * each read; it reads exactly the bytes of each reply and never more, so nothing the broker sends
 * can be swallowed. The writes are a few hundred bytes into an empty socket buffer.
 */
final class Socks {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    private static final int V5 = 0x05;
    private static final int METHOD_NONE = 0x00;
    private static final int METHOD_USER_PASSWORD = 0x02;
    private static final int METHOD_NO_ACCEPTABLE = 0xFF;
    private static final int CMD_CONNECT = 0x01;
    private static final int ATYP_IPV4 = 0x01;
    private static final int ATYP_DOMAIN = 0x03;
    private static final int ATYP_IPV6 = 0x04;

    private final SocksProxy proxy;
    private final String label;
    private final String broker;
    private final long deadline;
    private final Duration timeout;

    private Socks(SocksProxy proxy, String host, int port, long deadline, Duration timeout) {
        this.proxy = proxy;
        this.label = (proxy.version() == SocksProxy.Version.SOCKS5 ? "SOCKS5" : "SOCKS4a") + " proxy "
                + hostPort(proxy.host(), proxy.port());
        this.broker = hostPort(host, port);
        this.deadline = deadline;
        this.timeout = timeout;
    }

    /** Connects to {@code server} (mqtt:// or mqtts://) through the options' SOCKS proxy, all within the connect timeout. */
    static Transport connect(MqttOptions options, MqttOptions.Server server, dev.mote.mqtt.TlsConfig tls) throws IOException {
        SocksProxy proxy = options.socksProxy();
        Duration timeout = options.connectTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        String via = " via " + proxy;
        return switch (server.scheme()) {
            case "mqtt" -> TcpTransport.over(tunnel(proxy, server.host(), server.port(), deadline, timeout), server + via);
            case "mqtts" -> TlsTransport.over(tunnel(proxy, server.host(), server.port(), deadline, timeout).socket(),
                    server.host(), server.port(), tls, deadline, timeout, via);
            default -> throw new IOException("the " + server.scheme() + ":// transport cannot go through a SOCKS proxy");
        };
    }

    /**
     * Opens a TCP connection to the proxy and asks it to connect to {@code host:port}; returns the
     * channel, in blocking mode, carrying the broker's bytes from then on. Closes it on failure.
     */
    static SocketChannel tunnel(SocksProxy proxy, String host, int port, long deadline, Duration timeout) throws IOException {
        return new Socks(proxy, host, port, deadline, timeout).open(host, port);
    }

    private SocketChannel open(String host, int port) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            InetSocketAddress address = new InetSocketAddress(proxy.host(), proxy.port());
            if (address.isUnresolved()) {
                throw new UnknownHostException("cannot resolve the host of the " + label);
            }
            Socket socket = ch.socket();
            int millis = millisLeft();
            try {
                socket.connect(address, millis);
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("no TCP connection to the " + label + " within " + millis + " ms");
            } catch (IOException e) {
                ConnectException c = new ConnectException("the " + label + " is not reachable: " + e.getMessage());
                c.initCause(e);
                throw c;
            }
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            if (proxy.version() == SocksProxy.Version.SOCKS5) {
                socks5(socket, in, out, host, port);
            } else {
                socks4a(socket, in, out, host, port);
            }
            socket.setSoTimeout(0);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- SOCKS5, RFC 1928 and 1929

    private void socks5(Socket socket, InputStream in, OutputStream out, String host, int port) throws IOException {
        boolean withPassword = proxy.user() != null;
        // Section 3: version, number of methods, methods.
        send(out, withPassword ? new byte[] {V5, 2, METHOD_NONE, METHOD_USER_PASSWORD} : new byte[] {V5, 1, METHOD_NONE},
                "greeting");
        byte[] choice = firstReply(socket, in, 2, "answer to the greeting");
        if (choice[0] != V5) {
            throw new IOException(hostPort(proxy.host(), proxy.port()) + " is not a SOCKS5 proxy (replied version "
                    + hex(choice[0]) + looksLike(choice[0]) + ")");
        }
        int method = choice[1] & 0xFF;
        String offered = withPassword ? "no authentication, user name/password" : "no authentication";
        if (method == METHOD_NO_ACCEPTABLE) {
            throw new IOException("the " + label + " accepts none of the authentication methods offered (" + offered + ")"
                    + (withPassword ? "" : "; it may need a user name and password"));
        }
        if (method == METHOD_USER_PASSWORD && withPassword) {
            authenticate(socket, in, out);
        } else if (method != METHOD_NONE) {
            throw new IOException("the " + label + " chose authentication method " + hex(choice[1])
                    + ", which was not offered (" + offered + ")");
        }

        // Section 4: version, CONNECT, reserved, the broker's address, its port.
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.write(V5);
        request.write(CMD_CONNECT);
        request.write(0x00);
        byte[] ipv4 = ipv4(host);
        if (ipv4 != null) {
            request.write(ATYP_IPV4);
            request.writeBytes(ipv4);
        } else if (host.indexOf(':') >= 0) {
            request.write(ATYP_IPV6);
            request.writeBytes(ipv6(host));
        } else {
            byte[] name = hostName(host);
            request.write(ATYP_DOMAIN);
            request.write(name.length);
            request.writeBytes(name);
        }
        request.write(port >> 8);
        request.write(port & 0xFF);
        send(out, request.toByteArray(), "CONNECT request");

        // Section 6: version, reply, reserved, bound address type; then the address and port.
        byte[] reply = read(socket, in, 4, "reply to CONNECT");
        if (reply[0] != V5) {
            throw new IOException("the " + label + " sent an invalid reply to CONNECT (version " + hex(reply[0]) + ", expected 0x05)");
        }
        int code = reply[1] & 0xFF;
        if (code != 0) {
            throw new ConnectException(socks5Failure(code));
        }
        if (reply[2] != 0) {
            throw new IOException("the " + label + " sent an invalid reply to CONNECT (reserved byte " + hex(reply[2])
                    + ", expected 0x00)");
        }
        int addressLength = switch (reply[3]) {
            case ATYP_IPV4 -> 4;
            case ATYP_IPV6 -> 16;
            case ATYP_DOMAIN -> {
                int n = read(socket, in, 1, "reply to CONNECT")[0] & 0xFF;
                if (n == 0) {
                    throw new IOException("the " + label + " sent an invalid reply to CONNECT (an empty bound host name)");
                }
                yield n;
            }
            default -> throw new IOException("the " + label + " sent an invalid reply to CONNECT (address type "
                    + hex(reply[3]) + ", expected 0x01, 0x03 or 0x04)");
        };
        read(socket, in, addressLength + 2, "reply to CONNECT"); // BND.ADDR and BND.PORT: not needed for CONNECT
    }

    /** RFC 1929: version 1, user name, password; the answer is version and status. */
    private void authenticate(Socket socket, InputStream in, OutputStream out) throws IOException {
        byte[] user = proxy.user().getBytes(StandardCharsets.UTF_8);
        byte[] password = proxy.password().getBytes(StandardCharsets.UTF_8);
        byte[] request = new byte[3 + user.length + password.length];
        request[0] = 0x01;
        request[1] = (byte) user.length;
        System.arraycopy(user, 0, request, 2, user.length);
        request[2 + user.length] = (byte) password.length;
        System.arraycopy(password, 0, request, 3 + user.length, password.length);
        try {
            send(out, request, "user name and password");
        } finally {
            java.util.Arrays.fill(request, (byte) 0);
        }
        byte[] answer = read(socket, in, 2, "answer to the user name and password");
        // RFC 1929 says version 0x01; some proxies answer with the SOCKS version 0x05 instead.
        if (answer[0] != 0x01 && answer[0] != V5) {
            throw new IOException("the " + label + " sent an invalid answer to the user name and password (version "
                    + hex(answer[0]) + ", expected 0x01)");
        }
        if (answer[1] != 0) {
            throw new IOException("the " + label + " refused the user name or password (user "
                    + Printable.quote(proxy.user()) + ")");
        }
    }

    private String socks5Failure(int code) {
        String meaning = switch (code) {
            case 1 -> "general SOCKS server failure";
            case 2 -> "connection not allowed by ruleset";
            case 3 -> "network unreachable";
            case 4 -> "host unreachable";
            case 5 -> "connection refused";
            case 6 -> "TTL expired";
            case 7 -> "command not supported";
            case 8 -> "address type not supported";
            default -> "unassigned reply code";
        };
        String what = switch (code) {
            case 2 -> " will not connect to broker ";
            case 7, 8 -> " cannot handle the request to connect to broker ";
            default -> " could not reach broker ";
        };
        return "the " + label + what + broker + ": " + meaning + " (reply " + code + ")";
    }

    // ---------------------------------------------------------------- SOCKS4a

    /**
     * SOCKS4: version 4, CONNECT, port, IPv4 address, user id, NUL. SOCKS4a: the address
     * 0.0.0.1 (0.0.0.x, x not 0, means "the name follows") and the host name with a NUL after
     * the user id. The reply is 8 bytes: version 0, code 90 to 93, and a port and address to ignore.
     */
    private void socks4a(Socket socket, InputStream in, OutputStream out, String host, int port) throws IOException {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.write(0x04);
        request.write(0x01);
        request.write(port >> 8);
        request.write(port & 0xFF);
        byte[] ipv4 = ipv4(host);
        if (ipv4 == null && host.indexOf(':') >= 0) {
            throw new IOException("SOCKS4a cannot carry the IPv6 address of broker " + broker
                    + "; use a host name or a SOCKS5 proxy");
        }
        request.writeBytes(ipv4 != null ? ipv4 : new byte[] {0, 0, 0, 1});
        if (proxy.user() != null) {
            request.writeBytes(proxy.user().getBytes(StandardCharsets.UTF_8));
        }
        request.write(0x00);
        if (ipv4 == null) {
            request.writeBytes(hostName(host));
            request.write(0x00);
        }
        send(out, request.toByteArray(), "CONNECT request");
        byte[] reply = firstReply(socket, in, 8, "reply to CONNECT");
        if (reply[0] != 0x00) {
            throw new IOException(hostPort(proxy.host(), proxy.port()) + " is not a SOCKS4 proxy (replied version "
                    + hex(reply[0]) + ", expected 0x00" + looksLike(reply[0]) + ")");
        }
        int code = reply[1] & 0xFF;
        switch (code) {
            case 90 -> { }
            case 91 -> throw new ConnectException("the " + label + " could not reach broker " + broker
                    + ": request rejected or failed (reply 91)");
            case 92 -> throw new IOException("the " + label + " refused to connect to broker " + broker
                    + ": it could not reach the identd on this machine (reply 92)");
            case 93 -> throw new IOException("the " + label + " refused to connect to broker " + broker
                    + ": the identd on this machine reports a different user id (reply 93)");
            default -> throw new IOException("the " + label + " sent an invalid reply to CONNECT (code " + code
                    + ", expected 90 to 93)");
        }
    }

    // ---------------------------------------------------------------- helpers

    private void send(OutputStream out, byte[] bytes, String what) throws IOException {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new IOException("the " + label + " broke the connection while the " + what + " was sent (" + e.getMessage() + ")", e);
        }
    }

    /** Reads exactly {@code n} bytes within what is left of the connect timeout. */
    private byte[] read(Socket socket, InputStream in, int n, String what) throws IOException {
        byte[] b = new byte[n];
        int got = 0;
        while (got < n) {
            socket.setSoTimeout(millisLeft());
            int r;
            try {
                r = in.read(b, got, n - got);
            } catch (SocketTimeoutException e) {
                SocketTimeoutException t = new SocketTimeoutException("the " + label + " sent no " + what + " within "
                        + timeout.toMillis() + " ms (the connect timeout)");
                t.initCause(e);
                throw t;
            } catch (IOException e) {
                throw new IOException("the " + label + " broke the connection instead of sending its " + what + " ("
                        + e.getMessage() + ")", e);
            }
            if (r < 0) {
                throw new EOFException("the " + label + " closed the connection instead of sending its " + what
                        + (got > 0 ? " (after " + got + " of " + n + " bytes)" : ""));
            }
            got += r;
        }
        return b;
    }

    /** {@link #read} for the proxy's first reply: a server that closes or resets instead may be no SOCKS proxy at all. */
    private byte[] firstReply(Socket socket, InputStream in, int n, String what) throws IOException {
        try {
            return read(socket, in, n, what);
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            String hint = "; is it a " + (proxy.version() == SocksProxy.Version.SOCKS5 ? "SOCKS5" : "SOCKS4a") + " proxy?";
            IOException x = e instanceof EOFException ? new EOFException(e.getMessage() + hint) : new IOException(e.getMessage() + hint);
            x.initCause(e);
            throw x;
        }
    }

    private int millisLeft() throws SocketTimeoutException {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
            throw new SocketTimeoutException("the handshake with the " + label + " did not finish within "
                    + timeout.toMillis() + " ms (the connect timeout)");
        }
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    /** The four bytes of a dotted IPv4 literal, or null if {@code host} is not one. */
    static byte[] ipv4(String host) {
        var m = IPV4.matcher(host);
        if (!m.matches()) {
            return null;
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            int v = Integer.parseInt(m.group(i + 1));
            if (v > 255) {
                return null;
            }
            b[i] = (byte) v;
        }
        return b;
    }

    /** The sixteen bytes of an IPv6 literal (parsed, never looked up: it contains a colon). */
    private byte[] ipv6(String host) throws IOException {
        byte[] b = InetAddress.getByName(host).getAddress();
        if (b.length != 16) {
            throw new IOException("not an IPv6 address: " + host);
        }
        return b;
    }

    /** The host name as ASCII (international names in their xn-- form), 1 to 255 bytes. */
    private byte[] hostName(String host) throws IOException {
        String ascii;
        try {
            ascii = IDN.toASCII(host, IDN.ALLOW_UNASSIGNED);
        } catch (IllegalArgumentException e) {
            throw new IOException("the broker host " + Printable.quote(host) + " is not a valid host name: " + e.getMessage());
        }
        byte[] name = ascii.getBytes(StandardCharsets.US_ASCII);
        if (name.length == 0 || name.length > 255) {
            throw new IOException("the broker host name is " + name.length + " bytes; a SOCKS request carries 1 to 255");
        }
        return name;
    }

    private static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static String hex(byte b) {
        return String.format("0x%02x", b & 0xFF);
    }

    /** A hint when the first byte of a reply says what else the server is. */
    private String looksLike(byte first) {
        boolean v5 = proxy.version() == SocksProxy.Version.SOCKS5;
        return switch (first) {
            case 'H' -> "; it looks like an HTTP server";
            case 0x15, 0x16 -> "; it looks like a TLS server";
            case 0x00, 0x04 -> v5 ? "; it looks like a SOCKS4 proxy" : "";
            case 0x05 -> v5 ? "" : "; it looks like a SOCKS5 proxy";
            default -> "";
        };
    }
}
