package dev.mote.mqtt;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * A SOCKS proxy to reach the broker through: SOCKS5 (RFC 1928), optionally with a user name and
 * password (RFC 1929), or SOCKS4a. Give it to {@link MqttOptions.Builder#socksProxy(SocksProxy)}
 * (or use the builder's shorter {@code socksProxy(...)} methods); every {@code mqtt://} and
 * {@code mqtts://} server is then reached through it, TLS running end to end through the tunnel.
 *
 * <p>The broker's host name is always sent to the proxy, which resolves it (remote resolution:
 * {@code socks5h} in curl's terms); only the proxy's own host name is resolved locally. An IP
 * address in the broker URL is sent as an address.
 *
 * <p>{@link #toString()} never shows the password.
 */
public final class SocksProxy {

    /** The protocol spoken with the proxy. */
    public enum Version {
        /** SOCKS5, RFC 1928; no authentication or user name/password (RFC 1929). */
        SOCKS5,
        /** SOCKS4a: SOCKS4 with the host name sent to the proxy; an optional user id, no password. */
        SOCKS4A
    }

    /** The port SOCKS proxies listen on by convention, used when a URL names none. */
    public static final int DEFAULT_PORT = 1080;

    private final Version version;
    private final String host;
    private final int port;
    private final String user;
    private final String password;

    private SocksProxy(Version version, String host, int port, String user, String password) {
        this.version = version;
        this.host = checkHost(host);
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("SOCKS proxy port must be from 1 to 65535, not " + port);
        }
        this.port = port;
        this.user = user;
        this.password = password;
        if (version == Version.SOCKS5 && user != null) {
            // RFC 1929: ULEN and PLEN are one byte each, from 1 to 255.
            checkLength(user, "user name");
            checkLength(Objects.requireNonNull(password, "password"), "password");
        }
        if (version == Version.SOCKS4A && user != null) {
            if (user.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("a SOCKS4a user id cannot contain the character U+0000");
            }
            if (user.getBytes(StandardCharsets.UTF_8).length > 255) {
                throw new IllegalArgumentException("the SOCKS4a user id is longer than 255 bytes");
            }
        }
    }

    /** A SOCKS5 proxy that needs no authentication. */
    public static SocksProxy socks5(String host, int port) {
        return new SocksProxy(Version.SOCKS5, host, port, null, null);
    }

    /**
     * A SOCKS5 proxy with user name and password authentication (RFC 1929; each 1 to 255 bytes
     * of UTF-8). The proxy may still choose no authentication.
     */
    public static SocksProxy socks5(String host, int port, String user, String password) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        return new SocksProxy(Version.SOCKS5, host, port, user, password);
    }

    /** A SOCKS4a proxy, with an empty user id. */
    public static SocksProxy socks4a(String host, int port) {
        return new SocksProxy(Version.SOCKS4A, host, port, null, null);
    }

    /** A SOCKS4a proxy with a user id (SOCKS4 has no passwords). */
    public static SocksProxy socks4a(String host, int port, String userId) {
        return new SocksProxy(Version.SOCKS4A, host, port, Objects.requireNonNull(userId, "userId"), null);
    }

    /**
     * Parses a proxy URL: {@code socks5://[user:password@]host[:port]} ({@code socks://} and
     * {@code socks5h://} are synonyms) or {@code socks4a://[userid@]host[:port]}; the port
     * defaults to 1080. User name and password are percent-decoded.
     *
     * @throws IllegalArgumentException if the URL is not one of these; the message never contains the password
     */
    public static SocksProxy parse(String url) {
        Objects.requireNonNull(url, "url");
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid SOCKS proxy URL: " + redact(url));
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        Version version = switch (scheme) {
            case "socks5", "socks5h", "socks" -> Version.SOCKS5;
            case "socks4a" -> Version.SOCKS4A;
            case "socks4" -> throw new IllegalArgumentException("SOCKS4 without the 'a' resolves the broker's name locally, "
                    + "which Mote does not do; use socks4a://" + (uri.getRawAuthority() == null ? "" : redact(uri.getRawAuthority())));
            default -> throw new IllegalArgumentException("unsupported SOCKS proxy URL " + redact(url)
                    + "; expected socks5://[user:password@]host[:port] or socks4a://[userid@]host[:port]");
        };
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("SOCKS proxy URL has no host: " + redact(url));
        }
        if ((uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("a SOCKS proxy URL has only a host and a port: " + redact(url));
        }
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
        String info = uri.getUserInfo();
        if (info == null) {
            return new SocksProxy(version, host, port, null, null);
        }
        int colon = info.indexOf(':');
        if (version == Version.SOCKS4A) {
            if (colon >= 0) {
                throw new IllegalArgumentException("SOCKS4a has a user id but no password: " + redact(url));
            }
            return new SocksProxy(version, host, port, info, null);
        }
        if (colon < 0) {
            throw new IllegalArgumentException("SOCKS5 proxy URL has a user name but no password: " + redact(url));
        }
        return new SocksProxy(version, host, port, info.substring(0, colon), info.substring(colon + 1));
    }

    /** The SOCKS protocol version spoken to the proxy. */
    public Version version() {
        return version;
    }

    /** The proxy's host name or address (resolved locally). */
    public String host() {
        return host;
    }

    /** The proxy's port. */
    public int port() {
        return port;
    }

    /** The SOCKS5 user name or SOCKS4a user id, or null. */
    public String user() {
        return user;
    }

    /** The SOCKS5 password, or null. */
    public String password() {
        return password;
    }

    /** {@code socks5://user@host:port}, without the password. */
    @Override
    public String toString() {
        return (version == Version.SOCKS5 ? "socks5://" : "socks4a://") + (user != null ? user + "@" : "")
                + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SocksProxy p && version == p.version && host.equals(p.host) && port == p.port
                && Objects.equals(user, p.user) && Objects.equals(password, p.password);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, host, port, user);
    }

    private static String checkHost(String host) {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("SOCKS proxy host is empty");
        }
        return host;
    }

    private static void checkLength(String s, String what) {
        int n = s.getBytes(StandardCharsets.UTF_8).length;
        if (n < 1 || n > 255) {
            throw new IllegalArgumentException("the SOCKS5 " + what + " must be 1 to 255 bytes of UTF-8 (RFC 1929), not " + n);
        }
    }

    /** The URL with any password replaced, for messages. */
    private static String redact(String url) {
        int at = url.lastIndexOf('@');
        if (at < 0) {
            return url;
        }
        int start = url.indexOf("//");
        start = start < 0 || start > at ? 0 : start + 2;
        int colon = url.indexOf(':', start);
        return colon >= 0 && colon < at ? url.substring(0, colon) + ":<hidden>" + url.substring(at) : url;
    }
}
