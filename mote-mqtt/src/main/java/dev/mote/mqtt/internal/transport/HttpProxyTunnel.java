package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.HttpProxy;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.internal.util.Printable;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * A tunnel to the broker through an HTTP proxy: a TCP connection to the proxy, then
 * {@code CONNECT host:port HTTP/1.1} (RFC 9110 section 9.3.6) with Basic credentials (RFC 7617)
 * if the options have them. Any 2xx answer opens the tunnel, and the bytes after it are the
 * broker's; TLS and WebSocket then run on top exactly as on a direct connection. The proxy's
 * answer is bounded in size ({@value #MAX_RESPONSE_HEAD} bytes) and in time (what is left of the
 * connect timeout), and the credentials never appear in a message.
 */
final class HttpProxyTunnel {
    static final int MAX_RESPONSE_HEAD = 8 * 1024;

    private HttpProxyTunnel() {}

    /** An {@code mqtt://} or {@code mqtts://} connection through the options' proxy. */
    static Transport connect(MqttOptions options, MqttOptions.Server server, dev.mote.mqtt.TlsConfig tls) throws IOException {
        HttpProxy proxy = options.httpProxy();
        Duration timeout = options.connectTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        String via = " via HTTP proxy " + proxyAddress(proxy);
        return switch (server.scheme()) {
            case "mqtt" -> TcpTransport.over(tunnel(proxy, server.host(), server.port(), deadline, timeout), server + via);
            case "mqtts" -> TlsTransport.over(tunnel(proxy, server.host(), server.port(), deadline, timeout).socket(),
                    server.host(), server.port(), tls, deadline, timeout, via);
            default -> throw new IOException("the " + server.scheme() + ":// transport cannot go through an HTTP proxy");
        };
    }

    /** A blocking channel through which bytes reach {@code host:port}: the proxy's tunnel, opened by {@code deadline}. */
    static SocketChannel tunnel(HttpProxy proxy, String host, int port, long deadline, Duration timeout) throws IOException {
        String where = "the HTTP proxy " + proxyAddress(proxy);
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            InetSocketAddress address = new InetSocketAddress(proxy.host(), proxy.port());
            if (address.isUnresolved()) {
                throw new IOException("cannot resolve the host of " + where);
            }
            int millis = millisLeft(deadline);
            try {
                ch.socket().connect(address, millis);
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("no TCP connection to " + where + " within " + millis + " ms");
            } catch (ConnectException e) {
                ConnectException c = new ConnectException("cannot reach " + where + ": " + e.getMessage());
                c.initCause(e);
                throw c;
            }
            Watchdog watchdog = Watchdog.start(deadline, () -> closeQuietly(ch));
            HttpResponseHead.Read answer;
            try {
                write(ch, request(proxy, host, port));
                answer = HttpResponseHead.read(ch::read, MAX_RESPONSE_HEAD, where);
            } catch (IOException e) {
                if (!watchdog.disarm()) {
                    throw noAnswer(where, host, port, timeout, e);
                }
                throw e;
            }
            if (!watchdog.disarm()) {
                throw noAnswer(where, host, port, timeout, null);
            }
            check(answer, proxy, host, port, where);
            return ch;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static SocketTimeoutException noAnswer(String where, String host, int port, Duration timeout, IOException cause) {
        SocketTimeoutException t = new SocketTimeoutException(where + " did not answer the CONNECT request to "
                + authority(host, port) + " within " + timeout.toMillis() + " ms of connecting");
        t.initCause(cause);
        return t;
    }

    /** The CONNECT request: the authority in the request line and in Host, and Basic credentials if any. */
    static byte[] request(HttpProxy proxy, String host, int port) {
        String authority = authority(host, port);
        StringBuilder r = new StringBuilder(160)
                .append("CONNECT ").append(authority).append(" HTTP/1.1\r\n")
                .append("Host: ").append(authority).append("\r\n");
        if (proxy.username() != null) {
            char[] password = proxy.password();
            byte[] credentials = (proxy.username() + ":" + new String(password)).getBytes(StandardCharsets.UTF_8);
            java.util.Arrays.fill(password, '\0');
            r.append("Proxy-Authorization: Basic ").append(Base64.getEncoder().encodeToString(credentials)).append("\r\n");
            java.util.Arrays.fill(credentials, (byte) 0);
        }
        return r.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Accepts a 2xx answer with nothing after it; anything else becomes an IOException that says what the proxy said. */
    static void check(HttpResponseHead.Read answer, HttpProxy proxy, String host, int port, String where) throws IOException {
        HttpResponseHead head = answer.head();
        int status = head.status();
        String said = Printable.quote(head.statusLine());
        if (status / 100 == 2) {
            if (answer.after().hasRemaining()) {
                throw new ProtocolException(where + " sent " + answer.after().remaining()
                        + " bytes after its answer to CONNECT, before the broker could have said anything (" + said + ")");
            }
            return;
        }
        if (status == 407) {
            List<String> schemes = challengeSchemes(head.headers("proxy-authenticate"));
            boolean basic = schemes.isEmpty() || schemes.contains("basic");
            if (proxy.username() == null) {
                throw new ProxyAuthenticationException(where + " requires authentication (" + said
                        + (schemes.isEmpty() ? "" : ", it asks for " + String.join(", ", schemes)) + ")"
                        + (basic ? "; give a user name and password with MqttOptions.Builder.httpProxy(host, port, user, password)"
                                : "; Mote supports Basic only"));
            }
            if (!basic) {
                throw new ProxyAuthenticationException(where + " requires authentication with " + String.join(", ", schemes)
                        + ", not Basic; Mote supports Basic only (" + said + ")");
            }
            throw new ProxyAuthenticationException(where + " refused the credentials of user "
                    + Printable.quote(proxy.username()) + " (" + said + ")");
        }
        throw new ProtocolException(where + " refused to open a tunnel to " + authority(host, port) + ": " + said);
    }

    /** The auth-scheme of each challenge in Proxy-Authenticate, lower case (RFC 9110 section 11.6.1). */
    static List<String> challengeSchemes(List<String> values) {
        List<String> schemes = new ArrayList<>();
        for (String value : values) {
            // A challenge starts with its scheme (a token followed by a space or the end); auth-params
            // (name=value) and token68 that follow it contain '=' or are not followed by a token.
            for (String part : value.split(",")) {
                String p = part.strip();
                int space = p.indexOf(' ');
                String first = space < 0 ? p : p.substring(0, space);
                if (!first.isEmpty() && first.indexOf('=') < 0 && !first.contains("\"")) {
                    String s = first.toLowerCase(Locale.ROOT);
                    if (!schemes.contains(s)) {
                        schemes.add(s);
                    }
                }
            }
        }
        return schemes;
    }

    /** A 407 from the proxy: credentials missing, refused or of a scheme Mote does not speak. */
    static final class ProxyAuthenticationException extends ProtocolException {
        ProxyAuthenticationException(String message) {
            super(message);
        }
    }

    static String authority(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    static String proxyAddress(HttpProxy proxy) {
        return authority(proxy.host(), proxy.port());
    }

    private static void write(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static int millisLeft(long deadline) {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, left));
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // gone either way
        }
    }
}
