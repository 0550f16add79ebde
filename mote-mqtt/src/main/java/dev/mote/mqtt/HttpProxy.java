package dev.mote.mqtt;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * An HTTP proxy that every connection goes through, set with
 * {@link MqttOptions.Builder#httpProxy(String, int)}, {@link MqttOptions.Builder#httpProxy(String,
 * int, String, String)} or {@link MqttOptions.Builder#proxy(String)}. Mote opens a TCP connection
 * to the proxy and asks it for a tunnel to the broker with {@code CONNECT host:port HTTP/1.1}
 * (RFC 9110 section 9.3.6), with Basic credentials ({@code Proxy-Authorization}, RFC 7617) if
 * given; MQTT, TLS or WebSocket then run inside the tunnel. Immutable.
 *
 * <p>The connection to the proxy itself is plain TCP: the proxy, and anyone on the path to it,
 * sees the Basic credentials (base64 is no encryption). TLS to the broker ({@code mqtts://},
 * {@code wss://}) runs end to end through the tunnel, so the proxy sees only the host and port.
 * {@link #toString()} never shows the password.
 */
public final class HttpProxy {
    private final String host;
    private final int port;
    private final String username;
    private final char[] password;

    private HttpProxy(String host, int port, String username, char[] password) {
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
    }

    static HttpProxy of(String host, int port, String username, String password) {
        Objects.requireNonNull(host, "host");
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.isEmpty() || h.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@' || c >= 0x7f)) {
            throw new IllegalArgumentException("not a valid HTTP proxy host: \"" + host + "\"");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("HTTP proxy port must be from 1 to 65535, not " + port);
        }
        if (username == null) {
            if (password != null) {
                throw new IllegalArgumentException("an HTTP proxy password needs a user name");
            }
            return new HttpProxy(h, port, null, null);
        }
        Objects.requireNonNull(password, "password (use an empty string for none)");
        // RFC 7617 section 2: the user-id cannot contain a colon, and neither part control characters.
        if (username.indexOf(':') >= 0) {
            throw new IllegalArgumentException("an HTTP proxy user name cannot contain ':' (RFC 7617)");
        }
        if (hasControl(username)) {
            throw new IllegalArgumentException("the HTTP proxy user name contains a control character");
        }
        if (hasControl(password)) {
            throw new IllegalArgumentException("the HTTP proxy password contains a control character");
        }
        return new HttpProxy(h, port, username, password.toCharArray());
    }

    /** {@code http://[user[:password]@]host:port}, user and password percent-decoded. */
    static HttpProxy parse(String url) {
        Objects.requireNonNull(url, "url");
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid proxy URL (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http")) {
            throw new IllegalArgumentException("unsupported proxy URL scheme \"" + scheme
                    + "\"; expected http://[user:password@]host:port (an HTTP proxy that supports CONNECT), "
                    + "socks5://[user:password@]host[:port] or socks4a://[userid@]host[:port]");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("the proxy URL has no host; expected http://[user:password@]host:port");
        }
        if (uri.getPort() == -1) {
            throw new IllegalArgumentException("the proxy URL has no port; expected http://[user:password@]host:port");
        }
        if ((uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("a proxy URL has no path, query or fragment; expected http://[user:password@]host:port");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getUserInfo();
            int colon = info.indexOf(':');
            user = colon < 0 ? info : info.substring(0, colon);
            password = colon < 0 ? "" : info.substring(colon + 1);
        }
        return of(uri.getHost(), uri.getPort(), user, password);
    }

    private static boolean hasControl(String s) {
        return s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
    }

    /** The proxy's host name or address (an IPv6 address without brackets). */
    public String host() {
        return host;
    }

    /** The proxy's port. */
    public int port() {
        return port;
    }

    /** The user name for Basic authentication, or null if none was given. */
    public String username() {
        return username;
    }

    /** A copy of the password, or null if no user name was given. */
    public char[] password() {
        return password == null ? null : password.clone();
    }

    /** {@code http://user:<hidden>@host:port}; never the password. */
    @Override
    public String toString() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "http://" + (username != null ? username + ":<hidden>@" : "") + h + ":" + port;
    }
}
