package dev.mote.mqtt;

import dev.mote.mqtt.internal.topic.Topics;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything needed to connect: where, as whom, and how the client behaves. Immutable; made with
 * {@link #builder(String)}.
 *
 * <pre>{@code
 * MqttOptions options = MqttOptions.builder("mqtt://broker.example:1883")
 *         .clientId("sensor-17")
 *         .cleanSession(false)
 *         .keepAlive(Duration.ofSeconds(30))
 *         .build();
 * }</pre>
 */
public final class MqttOptions {

    /** The largest packet MQTT 3.1.1 can express: 1 type byte, 4 length bytes, 268,435,455 body bytes. */
    public static final int PROTOCOL_MAX_PACKET_SIZE = 1 + 4 + 268_435_455;

    private final String serverUri;
    private final String scheme;
    private final String host;
    private final int port;
    private final String clientId;
    private final String username;
    private final byte[] password;
    private final Will will;
    private final boolean cleanSession;
    private final Duration keepAlive;
    private final Duration pingTimeout;
    private final Duration connectTimeout;
    private final Duration ackTimeout;
    private final Duration closeTimeout;
    private final int inFlightWindow;
    private final int qos2InFlightWindow;
    private final int maxQueuedQos0;
    private final int maxIncomingPacketSize;
    private final int maxOutgoingPacketSize;
    private final int subscriptionBuffer;
    private final Acknowledgement acknowledgement;
    private final int maxUnacknowledged;
    private final MessageHandler defaultHandler;
    private final TlsConfig tls;
    private final MqttTransport.Factory transport;
    private final SocksProxy socksProxy;
    private final java.util.List<Server> servers;
    private final ReconnectPolicy reconnect;
    private final int offlineMessages;
    private final long offlineBytes;
    private final OfflinePolicy offlinePolicy;
    private final java.util.function.Consumer<ConnectionEvent> connectionListener;
    private final java.nio.file.Path sessionStore;
    private final HttpProxy httpProxy;
    private final java.util.Map<String, String> webSocketHeaders;
    private final CloudProfile profile;
    private final PublishThrottle publishThrottle;
    private final java.util.function.Supplier<byte[]> passwordSupplier;
    private final java.util.function.Supplier<TlsConfig> tlsPerConnection;

    private MqttOptions(Builder b) {
        this.serverUri = b.serverUri;
        this.scheme = b.scheme;
        this.host = b.host;
        this.port = b.port;
        this.clientId = b.clientId != null ? b.clientId : randomClientId();
        this.username = b.username;
        this.password = b.password;
        this.will = b.will;
        this.cleanSession = b.cleanSession;
        this.keepAlive = b.keepAlive;
        this.pingTimeout = b.pingTimeout != null ? b.pingTimeout
                : keepAlive.isZero() ? Duration.ofSeconds(30) : keepAlive.dividedBy(2);
        this.connectTimeout = b.connectTimeout;
        this.ackTimeout = b.ackTimeout;
        this.closeTimeout = b.closeTimeout;
        this.inFlightWindow = b.inFlightWindow;
        this.qos2InFlightWindow = Math.min(b.qos2InFlightWindow, b.inFlightWindow);
        this.maxQueuedQos0 = b.maxQueuedQos0;
        this.maxIncomingPacketSize = b.maxIncomingPacketSize;
        this.maxOutgoingPacketSize = b.maxOutgoingPacketSize;
        this.subscriptionBuffer = b.subscriptionBuffer;
        this.acknowledgement = b.acknowledgement;
        this.maxUnacknowledged = b.maxUnacknowledged;
        this.defaultHandler = b.defaultHandler;
        java.util.List<Server> all = new java.util.ArrayList<>();
        all.add(new Server(b.serverUri, b.scheme, b.host, b.port));
        all.addAll(b.alternates);
        this.servers = java.util.List.copyOf(all);
        this.transport = b.transport;
        this.socksProxy = b.socksProxy;
        this.tls = b.tls != null ? b.tls
                : b.anyTls() && transport == null && b.tlsPerConnection == null ? TlsConfig.defaults() : null;
        this.reconnect = b.reconnect;
        this.offlineMessages = b.offlineMessages;
        this.offlineBytes = b.offlineBytes;
        this.offlinePolicy = b.offlinePolicy;
        this.connectionListener = b.connectionListener;
        this.sessionStore = b.sessionStore;
        this.httpProxy = b.httpProxy;
        this.webSocketHeaders = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(b.webSocketHeaders));
        this.profile = b.profile;
        this.publishThrottle = b.publishThrottle;
        this.passwordSupplier = b.passwordSupplier;
        this.tlsPerConnection = b.tlsPerConnection;
    }

    /**
     * One broker address.
     *
     * @param uri    the URL as given
     * @param scheme the scheme, lower case ({@code tcp} normalised to {@code mqtt}; {@code ssl}
     *               and {@code tls} to {@code mqtts})
     * @param host   the host name or address; for {@code unix}, the socket's path
     * @param port   the port; -1 for {@code unix}
     */
    public record Server(String uri, String scheme, String host, int port) {
        @Override
        public String toString() {
            if (scheme.equals("unix")) {
                return "unix://" + host;
            }
            return scheme + "://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** The brokers to connect to: the one from {@link #builder(String)} first, then the alternates in order. */
    public java.util.List<Server> servers() {
        return servers;
    }

    /** How the client reconnects after a connection breaks. */
    public ReconnectPolicy reconnect() {
        return reconnect;
    }

    /** The most publishes buffered while disconnected. */
    public int offlineMessages() {
        return offlineMessages;
    }

    /** The most payload bytes buffered while disconnected. */
    public long offlineBytes() {
        return offlineBytes;
    }

    /** What a publish does when the offline buffer is full. */
    public OfflinePolicy offlinePolicy() {
        return offlinePolicy;
    }

    /**
     * The directory of the file-backed session store, or null when the session lives in memory
     * only; see {@link Builder#sessionStore(java.nio.file.Path)}.
     */
    public java.nio.file.Path sessionStore() {
        return sessionStore;
    }

    /** The connection listener, or null. */
    public java.util.function.Consumer<ConnectionEvent> connectionListener() {
        return connectionListener;
    }

    /** The HTTP proxy every connection tunnels through, or null to connect directly. */
    public HttpProxy httpProxy() {
        return httpProxy;
    }

    /** Extra headers of the WebSocket upgrade request ({@code ws://}, {@code wss://}), in order; empty if none. */
    public java.util.Map<String, String> webSocketHeaders() {
        return webSocketHeaders;
    }

    /** The cloud profile whose rules this client keeps, or null; see {@link Builder#profile(CloudProfile)}. */
    public CloudProfile profile() {
        return profile;
    }

    /**
     * The throttle that paces this client's PUBLISH packets, or null for none; see
     * {@link Builder#publishThrottle(PublishThrottle)}. Clients made from the same options share it.
     */
    public PublishThrottle publishThrottle() {
        return publishThrottle;
    }

    /**
     * Called before each connection attempt (the first and every reconnect) for the CONNECT
     * password, or null when the fixed {@link #password()} is used; see
     * {@link Builder#passwordSupplier(java.util.function.Supplier)}.
     */
    public java.util.function.Supplier<byte[]> passwordSupplier() {
        return passwordSupplier;
    }

    /**
     * Starts options for a broker URL: {@code mqtt://host[:port]} (default port 1883;
     * {@code tcp://} is accepted as a synonym) or {@code mqtts://host[:port]} for TLS (default
     * port 8883; {@code ssl://} and {@code tls://} are synonyms), secured as
     * {@link Builder#tls(TlsConfig)} says or else by {@link TlsConfig#defaults()}. MQTT over
     * WebSocket: {@code ws://host[:port][/path]} (default port 80) and {@code wss://host[:port][/path]}
     * (default port 443, TLS as for {@code mqtts://}); the path, and a query if any, are those of the
     * upgrade request, {@code /mqtt} when the URL has none. User info in the URL
     * ({@code mqtt://user:password@host}) sets the MQTT credentials. {@code unix:///path}
     * connects to a Unix domain socket (no host, no port; the path must be absolute).
     */
    public static Builder builder(String serverUri) {
        return new Builder(serverUri);
    }

    /** The broker URL as given (with the password, if its user info has one). */
    public String serverUri() {
        return serverUri;
    }

    /**
     * {@code url} with the password of its user info, if any, replaced by {@code <hidden>}, for
     * messages: {@code mqtt://alice:secret@host} becomes {@code mqtt://alice:<hidden>@host}.
     * Works on the text, so a URL too broken to parse is redacted as well.
     */
    static String redacted(String url) {
        int start = url.indexOf("://");
        start = start < 0 ? 0 : start + 3;
        int end = start;
        while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) {
            end++;
        }
        int at = url.lastIndexOf('@', end - 1);
        int colon = url.indexOf(':', start);
        if (at < start || colon < 0 || colon > at) {
            return url;
        }
        return url.substring(0, colon + 1) + "<hidden>" + url.substring(at);
    }

    /**
     * The URL scheme, lower case: {@code mqtt} (with {@code tcp} normalised to it),
     * {@code mqtts} (with {@code ssl} and {@code tls} normalised to it), {@code ws}, {@code wss} or
     * {@code unix}.
     */
    public String scheme() {
        return scheme;
    }

    /** The host name or address; for {@code unix://}, the socket's path. */
    public String host() {
        return host;
    }

    /** The port; -1 for {@code unix://}. */
    public int port() {
        return port;
    }

    /** The client id sent in CONNECT (generated if none was set; may be empty with a clean session). */
    public String clientId() {
        return clientId;
    }

    /** The user name, or null. */
    public String username() {
        return username;
    }

    /** A copy of the password, or null. */
    public byte[] password() {
        return password == null ? null : password.clone();
    }

    /** The will, or null. */
    public Will will() {
        return will;
    }

    /** Whether the session starts clean (CleanSession=1). */
    public boolean cleanSession() {
        return cleanSession;
    }

    /** The keep-alive interval; zero turns keep-alive off. */
    public Duration keepAlive() {
        return keepAlive;
    }

    /** How long a keep-alive PINGREQ may go unanswered before the connection counts as dead. */
    public Duration pingTimeout() {
        return pingTimeout;
    }

    /** Limit on connecting: TCP connection plus CONNECT/CONNACK. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Limit on {@link Wait#ACK} and on the {@code await} methods without a timeout. */
    public Duration ackTimeout() {
        return ackTimeout;
    }

    /** How long {@link MqttClient#close()} waits for in-flight publishes and handlers to finish. */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    /** The most QoS 1 and 2 publishes unacknowledged at once; a publish beyond it waits. */
    public int inFlightWindow() {
        return inFlightWindow;
    }

    /** The most QoS 2 publishes unacknowledged at once (within {@link #inFlightWindow()}). */
    public int qos2InFlightWindow() {
        return qos2InFlightWindow;
    }

    /** The most QoS 0 publishes queued and not yet written; a publish beyond it waits. */
    public int maxQueuedQos0() {
        return maxQueuedQos0;
    }

    /** The largest packet accepted from the broker, in bytes; a larger one closes the connection. */
    public int maxIncomingPacketSize() {
        return maxIncomingPacketSize;
    }

    /** The largest packet this client sends; a larger publish is refused at the call. */
    public int maxOutgoingPacketSize() {
        return maxOutgoingPacketSize;
    }

    /** Messages buffered per subscription before the client stops reading (back-pressure). */
    public int subscriptionBuffer() {
        return subscriptionBuffer;
    }

    /** When received QoS 1 and 2 messages are acknowledged, unless a subscription says otherwise. */
    public Acknowledgement acknowledgement() {
        return acknowledgement;
    }

    /**
     * Messages handed to manual-acknowledgement subscriptions and not yet acknowledged, per
     * connection, at which the client stops reading until an {@link Message#ack()} comes.
     */
    public int maxUnacknowledged() {
        return maxUnacknowledged;
    }

    /** Receives messages that match no subscription, or null (they are then acknowledged and dropped). */
    public MessageHandler defaultHandler() {
        return defaultHandler;
    }

    /**
     * How {@code mqtts://} connections are secured (to the main server and to any
     * {@code mqtts://} alternate): the {@link TlsConfig} given to the builder or
     * {@link TlsConfig#defaults()}; null when no server is {@code mqtts://}, with a custom
     * transport, and with {@link Builder#tlsPerConnection} (see {@link #tlsForNextConnection()}).
     */
    public TlsConfig tls() {
        return tls;
    }

    /**
     * The supplier set with {@link Builder#tlsPerConnection(java.util.function.Supplier)}, or null
     * when every connection uses {@link #tls()}.
     */
    public java.util.function.Supplier<TlsConfig> tlsPerConnection() {
        return tlsPerConnection;
    }

    /**
     * The TLS settings for the connection about to be attempted: what the
     * {@linkplain Builder#tlsPerConnection(java.util.function.Supplier) per-connection supplier}
     * returns now, else {@link #tls()}. Called by the client once per connection attempt.
     *
     * @throws IllegalStateException if the supplier fails or returns null
     */
    public TlsConfig tlsForNextConnection() {
        if (tlsPerConnection == null) {
            return tls;
        }
        TlsConfig t;
        try {
            t = tlsPerConnection.get();
        } catch (RuntimeException e) {
            throw new IllegalStateException("the per-connection TLS supplier failed: " + e.getMessage(), e);
        }
        if (t == null) {
            throw new IllegalStateException("the per-connection TLS supplier returned null");
        }
        return t;
    }

    /** The user's transport factory, or null when Mote opens TCP or TLS itself. */
    public MqttTransport.Factory transport() {
        return transport;
    }

    /** The SOCKS proxy that every server but {@code unix://} ones is reached through, or null. */
    public SocksProxy socksProxy() {
        return socksProxy;
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "MqttOptions[" + servers.get(0) + ", clientId=" + clientId
                + (username != null ? ", username=" + username : "")
                + (password != null || passwordSupplier != null ? ", password=<hidden>" : "")
                + (profile != null ? ", profile=" + profile.name() : "")
                + ", cleanSession=" + cleanSession + ", keepAlive=" + keepAlive.toSeconds() + "s"
                + ", inFlightWindow=" + inFlightWindow + (will != null ? ", will=" + will.topic() : "")
                + (acknowledgement == Acknowledgement.MANUAL ? ", manual acks (max " + maxUnacknowledged + ")" : "")
                + (tls != null && tlsPerConnection == null ? ", " + tls : "")
                + (tlsPerConnection != null ? ", TLS per connection" : "") + (transport != null ? ", custom transport" : "")
                + (socksProxy != null ? ", via " + socksProxy : "")
                + (httpProxy != null ? ", httpProxy=" + httpProxy : "")
                + (webSocketHeaders.isEmpty() ? "" : ", webSocketHeaders=" + webSocketHeaders.keySet()) + "]";
    }

    private static final char[] ID_CHARS =
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".toCharArray();

    /** 23 characters of [0-9a-zA-Z], which every broker must accept ([MQTT-3.1.3-5]). */
    private static String randomClientId() {
        SecureRandom r = new SecureRandom();
        char[] id = new char[23];
        "mote".getChars(0, 4, id, 0);
        for (int i = 4; i < id.length; i++) {
            id[i] = ID_CHARS[r.nextInt(ID_CHARS.length)];
        }
        return new String(id);
    }

    /** Builds {@link MqttOptions}; every setter checks its argument at once. */
    public static final class Builder {
        /** Not final: a cloud profile may give a WebSocket URL its path (see CloudRules). */
        String serverUri;
        final String scheme;
        final String host;
        int port;
        boolean portGiven;
        String clientId;
        String username;
        byte[] password;
        Will will;
        private boolean cleanSession = true;
        Duration keepAlive = Duration.ofSeconds(60);
        private Duration pingTimeout;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration ackTimeout = Duration.ofSeconds(60);
        private Duration closeTimeout = Duration.ofSeconds(5);
        int inFlightWindow = 1000;
        private int qos2InFlightWindow = 20;
        private int maxQueuedQos0 = 10_000;
        private int maxIncomingPacketSize = 16 * 1024 * 1024;
        private int maxOutgoingPacketSize = PROTOCOL_MAX_PACKET_SIZE;
        private int subscriptionBuffer = 10_000;
        private Acknowledgement acknowledgement = Acknowledgement.AUTOMATIC;
        private int maxUnacknowledged = 1000;
        private MessageHandler defaultHandler;
        TlsConfig tls;
        MqttTransport.Factory transport;
        private SocksProxy socksProxy;
        final java.util.List<Server> alternates = new java.util.ArrayList<>();
        private ReconnectPolicy reconnect = ReconnectPolicy.defaults();
        private int offlineMessages = 10_000;
        private long offlineBytes = 64L * 1024 * 1024;
        private OfflinePolicy offlinePolicy = OfflinePolicy.BLOCK;
        private java.util.function.Consumer<ConnectionEvent> connectionListener;
        private java.nio.file.Path sessionStore;
        private HttpProxy httpProxy;
        private java.util.Map<String, String> webSocketHeaders = java.util.Map.of();
        private CloudProfile profile;
        PublishThrottle publishThrottle;
        java.util.function.Supplier<byte[]> passwordSupplier;
        private java.util.function.Supplier<TlsConfig> tlsPerConnection;

        private Builder(String serverUri) {
            Objects.requireNonNull(serverUri, "serverUri");
            URI uri;
            try {
                uri = new URI(serverUri);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("not a valid broker URL: " + redacted(serverUri) + " (" + e.getReason() + ")");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (scheme.equals("unix")) {
                this.serverUri = serverUri;
                this.scheme = scheme;
                this.host = unixSocketPath(uri, serverUri);
                this.port = -1;
                return;
            }
            int defaultPort = switch (scheme) {
                case "mqtt", "tcp" -> 1883;
                case "mqtts", "ssl", "tls" -> 8883;
                case "ws" -> 80;
                case "wss" -> 443;
                default -> throw new IllegalArgumentException("unsupported broker URL scheme in " + redacted(serverUri)
                        + "; expected mqtt://host[:port], mqtts://host[:port], ws://host[:port][/path] or wss://host[:port][/path]");
            };
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                throw new IllegalArgumentException("broker URL has no host: " + redacted(serverUri));
            }
            this.serverUri = serverUri;
            this.scheme = switch (scheme) {
                case "tcp" -> "mqtt";
                case "ssl", "tls" -> "mqtts";
                default -> scheme;
            };
            this.host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
            this.port = uri.getPort() == -1 ? defaultPort : uri.getPort();
            this.portGiven = uri.getPort() != -1;
            if (uri.getRawUserInfo() != null) {
                String info = uri.getUserInfo();
                int colon = info.indexOf(':');
                if (colon < 0) {
                    credentials(info, (byte[]) null);
                } else {
                    credentials(info.substring(0, colon), info.substring(colon + 1).getBytes(StandardCharsets.UTF_8));
                }
            }
        }

        /**
         * The client id. Empty asks the broker to assign one, which MQTT 3.1.1 allows only with a
         * clean session. Default: a random 23-character id.
         */
        public Builder clientId(String clientId) {
            Objects.requireNonNull(clientId, "clientId");
            checkUtf8(clientId, "client id");
            this.clientId = clientId;
            return this;
        }

        /** User name and password (the password may be null; there is no password without a user name in 3.1.1). */
        public Builder credentials(String username, String password) {
            return credentials(username, password == null ? null : password.getBytes(StandardCharsets.UTF_8));
        }

        /** User name and binary password (may be null). */
        public Builder credentials(String username, byte[] password) {
            Objects.requireNonNull(username, "username (MQTT 3.1.1 has no password without a user name)");
            checkUtf8(username, "user name");
            if (password != null && password.length > 65_535) {
                throw new IllegalArgumentException("password is " + password.length + " bytes, MQTT 3.1.1 allows at most 65535");
            }
            this.username = username;
            this.password = password == null ? null : password.clone();
            return this;
        }

        /** The will message, or null for none. */
        public Builder will(Will will) {
            if (will != null) {
                Topics.validateTopicName(will.topic());
            }
            this.will = will;
            return this;
        }

        /** Clean session (default true). False resumes the broker-side session of this client id. */
        public Builder cleanSession(boolean cleanSession) {
            this.cleanSession = cleanSession;
            return this;
        }

        /** Keep-alive interval, whole seconds from 0 (off) to 65535; default 60 s. */
        public Builder keepAlive(Duration keepAlive) {
            Objects.requireNonNull(keepAlive, "keepAlive");
            if (keepAlive.isNegative() || keepAlive.toSeconds() > 65_535 || keepAlive.toNanosPart() != 0) {
                throw new IllegalArgumentException("keep-alive must be whole seconds from 0 to 65535, not " + keepAlive);
            }
            this.keepAlive = keepAlive;
            return this;
        }

        /** How long a keep-alive PINGREQ may go unanswered; default half the keep-alive. */
        public Builder pingTimeout(Duration pingTimeout) {
            this.pingTimeout = positive(pingTimeout, "pingTimeout");
            return this;
        }

        /** Limit on TCP connect plus CONNECT/CONNACK; default 10 s. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        /** Limit on {@link Wait#ACK} and on awaiting without a timeout; default 60 s. */
        public Builder ackTimeout(Duration ackTimeout) {
            this.ackTimeout = positive(ackTimeout, "ackTimeout");
            return this;
        }

        /** How long close waits for in-flight publishes and handlers; default 5 s. */
        public Builder closeTimeout(Duration closeTimeout) {
            Objects.requireNonNull(closeTimeout, "closeTimeout");
            if (closeTimeout.isNegative()) {
                throw new IllegalArgumentException("closeTimeout must not be negative");
            }
            this.closeTimeout = closeTimeout;
            return this;
        }

        /**
         * The most unacknowledged QoS 1/2 publishes at once, 1..65535; default 1000. A window of 1
         * is the ordered mode of section 4.6: each message, QoS 0 included, goes out only once the
         * one before it completed, so the broker passes them on in the order they were published.
         */
        public Builder inFlightWindow(int window) {
            this.inFlightWindow = range(window, 1, 65_535, "inFlightWindow");
            return this;
        }

        /**
         * The most QoS 2 publishes unacknowledged at once; default 20. A broker counts the QoS 2
         * messages it has received and not yet released, and MQTT 3.1.1 has no way to tell the
         * client its limit: beyond Mosquitto's default ({@code max_inflight_messages 20}) it drops
         * QoS 2 messages with a reason code a 3.1.1 client cannot see. Raise it for brokers
         * configured higher.
         */
        public Builder qos2InFlightWindow(int window) {
            this.qos2InFlightWindow = range(window, 1, 65_535, "qos2InFlightWindow");
            return this;
        }

        /** The most QoS 0 publishes waiting to be written; default 10,000. */
        public Builder maxQueuedQos0(int max) {
            this.maxQueuedQos0 = range(max, 1, Integer.MAX_VALUE, "maxQueuedQos0");
            return this;
        }

        /** The largest packet accepted from the broker, 2 bytes to the protocol maximum; default 16 MiB. */
        public Builder maxIncomingPacketSize(int bytes) {
            this.maxIncomingPacketSize = range(bytes, 2, PROTOCOL_MAX_PACKET_SIZE, "maxIncomingPacketSize");
            return this;
        }

        /** The largest packet this client will send; default the protocol maximum. */
        public Builder maxOutgoingPacketSize(int bytes) {
            this.maxOutgoingPacketSize = range(bytes, 2, PROTOCOL_MAX_PACKET_SIZE, "maxOutgoingPacketSize");
            return this;
        }

        /** Messages buffered per subscription before reading pauses; default 10,000. */
        public Builder subscriptionBuffer(int messages) {
            this.subscriptionBuffer = range(messages, 1, Integer.MAX_VALUE, "subscriptionBuffer");
            return this;
        }

        /**
         * When received QoS 1 and 2 messages are acknowledged: {@link Acknowledgement#AUTOMATIC}
         * (the default) once handed to a subscription, {@link Acknowledgement#MANUAL} once the
         * application calls {@link Message#ack()}. A subscription may choose for itself
         * ({@link MqttClient#subscribe(java.util.List, MessageHandler, Wait, Acknowledgement)}).
         */
        public Builder acknowledgement(Acknowledgement mode) {
            this.acknowledgement = Objects.requireNonNull(mode, "acknowledgement");
            return this;
        }

        /**
         * How many messages may wait for {@link Message#ack()} (manual mode) before the client
         * stops reading from the network until one is acknowledged; default 1000.
         */
        public Builder maxUnacknowledged(int messages) {
            this.maxUnacknowledged = range(messages, 1, 65_535, "maxUnacknowledged");
            return this;
        }

        /**
         * Receives messages that match no subscription, from the first moment of the connection:
         * set it for a persistent session, whose queued messages may arrive right after CONNACK.
         */
        public Builder defaultHandler(MessageHandler handler) {
            this.defaultHandler = handler;
            return this;
        }

        /**
         * How to secure the connection; needs an {@code mqtts://} or {@code wss://} URL (the main
         * one or an alternate; every such server uses it, each checked against its own host name).
         * Without it such a URL uses {@link TlsConfig#defaults()}: the JDK's trust store, host name
         * verification on. ALPN ({@link TlsConfig.Builder#alpn}) is offered to {@code mqtts://}
         * servers only, not in the TLS under a WebSocket.
         */
        public Builder tls(TlsConfig tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * Takes the TLS settings anew before every connection attempt (the first and each
         * reconnect) from {@code supplier}, instead of fixing them when the options are built: for
         * a client certificate that can be replaced while the client runs (a provisioned identity,
         * see {@link IdentityStore#tlsPerConnection()}; a rotated certificate). The supplier runs on
         * the connecting thread and should be quick; if it throws, that attempt fails with its
         * message and the reconnect policy applies. {@link MqttClient#reconnect()} makes a running
         * client use the new settings at once. Needs an {@code mqtts://} or {@code wss://} URL;
         * does not combine with {@link #tls(TlsConfig)} or {@link #transport}.
         */
        public Builder tlsPerConnection(java.util.function.Supplier<TlsConfig> supplier) {
            this.tlsPerConnection = Objects.requireNonNull(supplier, "supplier");
            return this;
        }

        /**
         * More brokers to fail over to (a cluster): on each failed connection attempt the client
         * moves to the next URL, and back to the first after the last.
         */
        public Builder alternateServers(String... serverUris) {
            for (String uri : serverUris) {
                Builder parsed = new Builder(uri);
                alternates.add(new Server(uri, parsed.scheme, parsed.host, parsed.port));
            }
            return this;
        }

        /** How to reconnect after a connection breaks; default {@link ReconnectPolicy#defaults()}. */
        public Builder reconnect(ReconnectPolicy policy) {
            this.reconnect = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Connects through your own transport instead of Mote's TCP or TLS (a proxy, a Unix domain
         * socket, a tunnel, a test pipe): see {@link MqttTransport}. The factory is called once per
         * connection with the URL's host and port and the connect timeout. Cannot be combined with
         * {@link #tls(TlsConfig)}: a transport that needs TLS does it itself.
         */
        public Builder transport(MqttTransport.Factory factory) {
            this.transport = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * Reaches every {@code mqtt://}, {@code mqtts://}, {@code ws://} and {@code wss://} server
         * through a SOCKS5 or SOCKS4a proxy (TLS runs end to end through the tunnel; the proxy
         * resolves the broker's host name). The proxy's TCP connection and handshake count against the connect timeout.
         */
        public Builder socksProxy(SocksProxy proxy) {
            this.socksProxy = Objects.requireNonNull(proxy, "proxy");
            return this;
        }

        /** A SOCKS5 proxy without authentication: {@code socksProxy(SocksProxy.socks5(host, port))}. */
        public Builder socksProxy(String host, int port) {
            return socksProxy(SocksProxy.socks5(host, port));
        }

        /** A SOCKS5 proxy with user name and password (RFC 1929): {@code socksProxy(SocksProxy.socks5(host, port, user, password))}. */
        public Builder socksProxy(String host, int port, String user, String password) {
            return socksProxy(SocksProxy.socks5(host, port, user, password));
        }

        /**
         * A SOCKS proxy from a URL: {@code socks5://[user:password@]host[:port]} or
         * {@code socks4a://[userid@]host[:port]}; see {@link SocksProxy#parse(String)}.
         */
        public Builder socksProxy(String url) {
            return socksProxy(SocksProxy.parse(url));
        }

        /**
         * Connects through an HTTP proxy (one that supports {@code CONNECT}, e.g. Squid), for every
         * transport: TCP, TLS and WebSocket run inside the proxy's tunnel. See {@link HttpProxy}.
         */
        public Builder httpProxy(String host, int port) {
            this.httpProxy = HttpProxy.of(host, port, null, null);
            return this;
        }

        /**
         * Connects through an HTTP proxy that wants Basic authentication ({@code Proxy-Authorization});
         * the proxy sees these credentials in clear. See {@link HttpProxy}.
         */
        public Builder httpProxy(String host, int port, String username, String password) {
            this.httpProxy = HttpProxy.of(host, port, Objects.requireNonNull(username, "username"), password);
            return this;
        }

        /**
         * A proxy given as a URL: {@code http://host:port} or {@code http://user:password@host:port}
         * (user and password percent-encoded) for an HTTP proxy, as {@link #httpProxy(String, int,
         * String, String)}; a {@code socks5://} or {@code socks4a://} URL is {@link #socksProxy(String)}.
         */
        public Builder proxy(String url) {
            Objects.requireNonNull(url, "url");
            if (url.strip().toLowerCase(java.util.Locale.ROOT).startsWith("socks")) {
                return socksProxy(url);
            }
            this.httpProxy = HttpProxy.parse(url);
            return this;
        }

        /**
         * Extra headers for the WebSocket upgrade request of {@code ws://} and {@code wss://}
         * connections, e.g. an {@code Authorization} header some clouds want; kept in the map's
         * order. The headers Mote writes itself ({@code Host}, {@code Upgrade}, {@code Connection},
         * {@code Sec-WebSocket-*}, {@code Content-Length}, {@code Transfer-Encoding}) cannot be
         * set. Header values are not shown by {@link MqttOptions#toString()}.
         */
        public Builder webSocketHeaders(java.util.Map<String, String> headers) {
            Objects.requireNonNull(headers, "headers");
            java.util.Map<String, String> copy = new java.util.LinkedHashMap<>();
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (java.util.Map.Entry<String, String> h : headers.entrySet()) {
                String name = Objects.requireNonNull(h.getKey(), "header name");
                String value = Objects.requireNonNull(h.getValue(), "value of header " + name);
                if (name.isEmpty() || !name.chars().allMatch(c -> c < 0x7f && TOKEN.indexOf(c) >= 0)) {
                    throw new IllegalArgumentException("not a valid HTTP header name: \"" + name + "\"");
                }
                String lower = name.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("sec-websocket-") || java.util.List.of("host", "upgrade", "connection",
                        "content-length", "transfer-encoding").contains(lower)) {
                    throw new IllegalArgumentException("the " + name + " header is written by Mote for the WebSocket upgrade and cannot be set");
                }
                if (!seen.add(lower)) {
                    throw new IllegalArgumentException("the " + name + " header is given twice");
                }
                if (value.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f || c > 0xff)) {
                    throw new IllegalArgumentException("the value of header " + name
                            + " contains a control character or a character outside ISO-8859-1");
                }
                copy.put(name, value.strip());
            }
            this.webSocketHeaders = copy;
            return this;
        }

        /**
         * Bounds the publishes accepted while disconnected (they go out, in order, after the
         * reconnect): at most {@code messages} and {@code bytes} of payload, and what a publish
         * does beyond that. Default: 10,000 messages, 64 MiB, {@link OfflinePolicy#BLOCK}.
         * QoS 1 and 2 publishes also count against the in-flight window.
         */
        public Builder offlineBuffer(int messages, long bytes, OfflinePolicy policy) {
            this.offlineMessages = range(messages, 0, Integer.MAX_VALUE, "offline buffer messages");
            if (bytes < 0) {
                throw new IllegalArgumentException("offline buffer bytes must not be negative, not " + bytes);
            }
            this.offlineBytes = bytes;
            this.offlinePolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Told of every {@link ConnectionEvent}, in order, on a virtual thread of the client's
         * (so it may block without stalling the connection).
         */
        public Builder connectionListener(java.util.function.Consumer<ConnectionEvent> listener) {
            this.connectionListener = listener;
            return this;
        }

        /**
         * Keeps the session in files in {@code directory} (created if missing), so a new process
         * can finish what a dead one left: outbound QoS 1 and 2 messages not yet acknowledged
         * (including those accepted while disconnected), whether the broker already PUBREC'd
         * them, and the inbound QoS 2 ids awaiting PUBREL. Each change is written before the
         * packet that follows from it, and forced to the disk before that packet is sent; a
         * publish that returned survives the process being killed.
         *
         * <p>{@link MqttClient#connect(MqttOptions)} locks the directory (a second client on it,
         * in any process, fails at connect) and, with {@code cleanSession(false)}, resends what it
         * holds after the CONNACK; {@link MqttClient#recoveredDeliveries()} returns handles for
         * those messages. With {@code cleanSession(true)} the held state is discarded at connect
         * ([MQTT-3.1.2-6]) and those handles are failed. QoS 0 messages are never stored.
         * Default: none (the session lives in memory).
         */
        public Builder sessionStore(java.nio.file.Path directory) {
            Objects.requireNonNull(directory, "directory");
            if (java.nio.file.Files.exists(directory) && !java.nio.file.Files.isDirectory(directory)) {
                throw new IllegalArgumentException("the session store must be a directory, and " + directory + " is a file");
            }
            this.sessionStore = directory.toAbsolutePath();
            return this;
        }

        /**
         * Keeps a cloud's rules: the profile sets what the cloud needs (port and ALPN, user name,
         * password, keep-alive, in-flight window, publish rate) when {@link #build()} runs, and
         * the client then refuses at the call, with an {@link IllegalArgumentException} naming the
         * rule, what the cloud would silently drop or punish (QoS 2, a payload or topic over its
         * limits, too many subscriptions). See {@link CloudProfile}.
         */
        public Builder profile(CloudProfile profile) {
            this.profile = Objects.requireNonNull(profile, "profile");
            return this;
        }

        /**
         * Paces every PUBLISH this client writes to the throttle's rate (waiting, never dropping);
         * see {@link PublishThrottle}. Default: none, or the rate limit of the
         * {@linkplain #profile(CloudProfile) profile}.
         */
        public Builder publishThrottle(PublishThrottle throttle) {
            this.publishThrottle = Objects.requireNonNull(throttle, "throttle");
            return this;
        }

        /**
         * A password made afresh for each connection attempt, the first and every reconnect, e.g.
         * a token that expires (an Azure IoT Hub SAS token). It replaces the password of
         * {@link #credentials(String, byte[])}, and needs a user name set there or by a profile.
         * It runs on the connecting thread before the attempt; if it throws, the attempt fails.
         */
        public Builder passwordSupplier(java.util.function.Supplier<byte[]> supplier) {
            this.passwordSupplier = Objects.requireNonNull(supplier, "supplier");
            return this;
        }

        /** Checks the combination and builds. */
        public MqttOptions build() {
            if (profile == null) {
                return checkAndBuild();
            }
            // The profile changes this builder only for this build, so building twice gives the same
            // options (each with its own publish throttle) and the builder's own settings stay as set.
            int port0 = port;
            String clientId0 = clientId;
            String username0 = username;
            java.util.function.Supplier<byte[]> supplier0 = passwordSupplier;
            Duration keepAlive0 = keepAlive;
            int window0 = inFlightWindow;
            TlsConfig tls0 = tls;
            PublishThrottle throttle0 = publishThrottle;
            String uri0 = serverUri;
            java.util.List<Server> alternates0 = new java.util.ArrayList<>(alternates);
            try {
                CloudRules.apply(profile, this);
                return checkAndBuild();
            } finally {
                port = port0;
                clientId = clientId0;
                username = username0;
                passwordSupplier = supplier0;
                keepAlive = keepAlive0;
                inFlightWindow = window0;
                tls = tls0;
                publishThrottle = throttle0;
                serverUri = uri0;
                alternates.clear();
                alternates.addAll(alternates0);
            }
        }

        private MqttOptions checkAndBuild() {
            if (passwordSupplier != null && username == null) {
                throw new IllegalArgumentException("passwordSupplier(...) needs a user name: MQTT 3.1.1 has no password without one");
            }
            if (tls != null && transport != null) {
                throw new IllegalArgumentException("tls(...) and transport(...) do not combine: with your own transport, "
                        + "Mote does not open TLS; do TLS in the transport or drop transport(...)");
            }
            if (socksProxy != null && transport != null) {
                throw new IllegalArgumentException("socksProxy(...) and transport(...) do not combine: with your own transport, "
                        + "Mote does not open the connection; reach the proxy in the transport or drop transport(...)");
            }
            if (socksProxy != null && (scheme.equals("unix") || alternates.stream().anyMatch(s -> s.scheme().equals("unix")))) {
                throw new IllegalArgumentException("socksProxy(...) does not apply to a unix:// server: "
                        + "a Unix domain socket is on this machine, not behind the proxy");
            }
            if (tlsPerConnection != null && (tls != null || transport != null || !anyTls())) {
                throw new IllegalArgumentException(tls != null ? "tls(...) and tlsPerConnection(...) do not combine: choose one"
                        : transport != null ? "tlsPerConnection(...) and transport(...) do not combine: with your own transport, Mote does not open TLS"
                        : "tlsPerConnection(...) needs an mqtts:// or wss:// URL, not " + redacted(serverUri));
            }
            if (tls != null && !anyTls()) {
                throw new IllegalArgumentException("tls(...) needs an mqtts:// or wss:// URL, not " + redacted(serverUri));
            }
            if (httpProxy != null && transport != null) {
                throw new IllegalArgumentException("httpProxy(...) and transport(...) do not combine: your own transport "
                        + "opens its own connection; tunnel through the proxy there or drop transport(...)");
            }
            if (httpProxy != null && socksProxy != null) {
                throw new IllegalArgumentException("httpProxy(...) and socksProxy(...) do not combine: a connection goes "
                        + "through one proxy; choose one");
            }
            if (httpProxy != null && (scheme.equals("unix") || alternates.stream().anyMatch(s -> s.scheme().equals("unix")))) {
                throw new IllegalArgumentException("httpProxy(...) does not apply to a unix:// server: "
                        + "a Unix domain socket is on this machine, not behind the proxy");
            }
            if (!webSocketHeaders.isEmpty() && !scheme.startsWith("ws")
                    && alternates.stream().noneMatch(s -> s.scheme().startsWith("ws"))) {
                throw new IllegalArgumentException("webSocketHeaders(...) needs a ws:// or wss:// URL, not " + redacted(serverUri));
            }
            if (!cleanSession && (clientId == null || clientId.isEmpty())) {
                throw new IllegalArgumentException(clientId == null
                        ? "a persistent session (cleanSession false) needs a client id that stays the same across connections; set clientId"
                        : "an empty client id needs cleanSession true ([MQTT-3.1.3-7])");
            }
            return new MqttOptions(this);
        }

        private boolean anyTls() {
            return isTls(scheme) || alternates.stream().anyMatch(s -> isTls(s.scheme()));
        }

        /** The path of a {@code unix:///path} URL: absolute, no host, port, query or fragment. */
        private static String unixSocketPath(URI uri, String serverUri) {
            if (uri.getRawAuthority() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("a unix:// URL names only an absolute socket path, as in "
                        + "unix:///run/mosquitto/mosquitto.sock, not " + serverUri);
            }
            String path = uri.getPath();
            if (path == null || !path.startsWith("/") || path.endsWith("/")) {
                throw new IllegalArgumentException("a unix:// URL needs the absolute path of a socket file, as in "
                        + "unix:///run/mosquitto/mosquitto.sock, not " + serverUri);
            }
            if (path.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("a Unix socket path cannot contain the character U+0000: " + serverUri);
            }
            return path;
        }

        private static boolean isTls(String scheme) {
            return scheme.equals("mqtts") || scheme.equals("wss");
        }

        /** The characters of an HTTP token (RFC 9110 section 5.6.2). */
        private static final String TOKEN =
                "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, not " + d);
            }
            return d;
        }

        private static int range(int v, int min, int max, String name) {
            if (v < min || v > max) {
                throw new IllegalArgumentException(name + " must be from " + min + " to " + max + ", not " + v);
            }
            return v;
        }

        private static void checkUtf8(String s, String what) {
            dev.mote.mqtt.internal.codec.Utf8.validate(s, what);
        }
    }
}
