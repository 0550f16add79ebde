package dev.mote.cli;

import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.TlsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * Where and how to connect, shared by {@code pub}, {@code sub} and {@code bench}: the options of
 * mosquitto_pub/mosquitto_sub with the same letters, plus {@code --connect-timeout}.
 */
final class BrokerOptions {
    private static final Pattern URL = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://([^/]*)(?:/(.*))?", Pattern.DOTALL);

    @Option(names = {"-h", "--host"}, paramLabel = "HOST", description = "Broker host (default localhost).")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT",
            description = "Broker port (default 1883, or 8883 with TLS).")
    Integer port;

    @Option(names = {"-L", "--url"}, paramLabel = "URL",
            description = "Broker as a URL instead of -h/-p: mqtt(s)://[user[:password]@]host[:port][/topic], "
                    + "or MQTT over WebSocket ws(s)://host[:port][/path] (the path is the WebSocket's, default /mqtt; "
                    + "the topic then comes from -t).")
    String url;

    @Option(names = {"-u", "--username"}, paramLabel = "USER", description = "User name.")
    String username;

    @Option(names = {"-k", "--keepalive"}, paramLabel = "SECONDS", defaultValue = "60",
            description = "Keep-alive interval, 0 (off) to 65535 (default ${DEFAULT-VALUE}).")
    int keepAlive;

    @Option(names = {"-V", "--protocol-version"}, paramLabel = "VERSION",
            description = "MQTT protocol version: only mqttv311 (the default) is supported.")
    String protocolVersion;

    @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long to wait for the TCP/TLS connection and CONNACK (default ${DEFAULT-VALUE}).")
    double connectTimeout;

    @Option(names = "--cafile", paramLabel = "FILE",
            description = "Trust the CA certificates in this PEM file (enables TLS) instead of the JDK's trust store.")
    Path cafile;

    @Option(names = "--cert", paramLabel = "FILE", description = "Client certificate chain, PEM (mutual TLS; needs --key).")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "Client private key, PEM: PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted.")
    Path key;

    @Option(names = "--insecure",
            description = "Do not check that the broker's certificate names the host (the chain is still checked). Test rigs only.")
    boolean insecure;

    @Option(names = {"--alpn", "--tls-alpn"}, paramLabel = "PROTOCOL",
            description = "Offer this ALPN protocol in the TLS handshake (repeatable), e.g. x-amzn-mqtt-ca.")
    List<String> alpn = new ArrayList<>();

    @Option(names = {"-d", "--debug"}, description = "Print connection events, and stack traces with errors.")
    boolean debug;

    /**
     * The broker URL for the library, and the topic a {@code -L} URL carried.
     *
     * @param serverUri scheme://[userinfo@]host[:port]
     * @param topic     the URL's path without the leading slash, or null
     */
    record Endpoint(String serverUri, String topic) {
    }

    /** Checks -V, -L against -h/-p and the TLS options, and works out the broker URL. */
    Endpoint endpoint() {
        checkProtocolVersion();
        boolean tls = cafile != null || cert != null || key != null || insecure || !alpn.isEmpty();
        if (url != null) {
            if (host != null || port != null) {
                throw CliException.usage("-L/--url cannot be combined with -h or -p: put the host and port in the URL");
            }
            Matcher m = URL.matcher(url);
            if (!m.matches()) {
                throw CliException.usage("-L needs a URL like mqtt://host[:port][/topic], not '" + url + "'");
            }
            String scheme = m.group(1).toLowerCase(Locale.ROOT);
            if (tls && !isTls(scheme)) {
                throw CliException.usage("TLS options (--cafile, --cert, --key, --insecure, --alpn) need an mqtts:// or wss:// URL, not "
                        + url);
            }
            if (scheme.equals("ws") || scheme.equals("wss") || scheme.equals("unix")) {
                // The path is the WebSocket upgrade request's (default /mqtt) or the socket's: the URL goes to the library whole.
                return new Endpoint(url, null);
            }
            String topic = m.group(3) == null || m.group(3).isEmpty() ? null : m.group(3);
            return new Endpoint(scheme + "://" + m.group(2), topic);
        }
        if (port != null && (port < 1 || port > 65_535)) {
            throw CliException.usage("invalid port " + port + ": must be from 1 to 65535");
        }
        String h = host == null ? "localhost" : host;
        if (h.isEmpty()) {
            throw CliException.usage("-h needs a host name or address");
        }
        if (h.indexOf(':') >= 0 && !h.startsWith("[")) {
            h = "[" + h + "]"; // IPv6 literal
        }
        return new Endpoint((tls ? "mqtts://" : "mqtt://") + h + (port == null ? "" : ":" + port), null);
    }

    private void checkProtocolVersion() {
        if (protocolVersion == null) {
            return;
        }
        switch (protocolVersion.toLowerCase(Locale.ROOT)) {
            case "mqttv311", "311" -> { }
            case "mqttv5", "5", "mqttv31", "31" -> throw CliException.usage("protocol version " + protocolVersion
                    + " is not supported: Mote speaks MQTT 3.1.1 only (-V mqttv311)");
            default -> throw CliException.usage("invalid protocol version '" + protocolVersion
                    + "' (-V accepts mqttv311; Mote speaks MQTT 3.1.1 only)");
        }
    }

    /**
     * Options for the library, checked: everything wrong with them is a usage error (exit 2)
     * raised before any connection is made.
     *
     * @param endpoint from {@link #endpoint()}
     * @param password the password option of the command, or null
     */
    MqttOptions.Builder builder(Endpoint endpoint, String password) {
        if (keepAlive < 0 || keepAlive > 65_535) {
            throw CliException.usage("invalid keep-alive " + keepAlive + ": must be from 0 (off) to 65535 seconds");
        }
        if (!(connectTimeout > 0) || connectTimeout > 3600) {
            throw CliException.usage("--connect-timeout must be more than 0 and at most 3600 seconds");
        }
        if ((cert == null) != (key == null)) {
            throw CliException.usage(cert == null ? "--key needs --cert" : "--cert needs --key");
        }
        MqttOptions.Builder b;
        try {
            b = MqttOptions.builder(endpoint.serverUri());
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        try {
            if (username != null) {
                b.credentials(username, password);
            } else if (password != null) {
                throw CliException.usage("a password (-P/--pw) needs a user name (-u): MQTT 3.1.1 has no password without one");
            }
            b.keepAlive(Duration.ofSeconds(keepAlive));
            b.connectTimeout(Duration.ofNanos(Math.round(connectTimeout * 1e9)));
            if (isTls(endpoint.serverUri().substring(0, endpoint.serverUri().indexOf(':')).toLowerCase(Locale.ROOT))) {
                b.tls(tls());
            }
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        return b;
    }

    private static boolean isTls(String scheme) {
        return switch (scheme) {
            case "mqtts", "ssl", "tls", "wss" -> true;
            default -> false;
        };
    }

    private TlsConfig tls() {
        TlsConfig.Builder t = TlsConfig.builder();
        if (cafile != null) {
            t.trustPem(cafile);
        }
        if (cert != null) {
            t.clientCertificate(cert, key);
        }
        if (insecure) {
            t.dangerouslyDisableHostnameVerification();
        }
        if (!alpn.isEmpty()) {
            t.alpn(alpn.toArray(String[]::new));
        }
        return t.build();
    }
}
