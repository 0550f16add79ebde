package dev.mote.mqtt.internal.config;

import dev.mote.mqtt.OfflinePolicy;
import dev.mote.mqtt.Qos;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * THE table of configuration keys: adding a key is one line here (plus its row in
 * {@code docs/config.md}, which a test checks). Keys are applied in this order.
 */
public final class ConfigKeys {
    private ConfigKeys() {}

    /** How a key's value is written, which decides its variants. */
    public enum Type {
        TEXT, BOOLEAN, INTEGER, LONG, DURATION, PATH, LIST,
        /** Not shown in messages; also {@code <name>File} (a file holding it) and {@code <name>Env} (a variable holding it). */
        SECRET,
        /** A PEM file's path; also {@code <name>Env}, a variable holding the PEM text. */
        PEM,
        /** Like {@link #PEM}, and the content is secret (a private key). */
        SECRET_PEM,
        /** Text that may hold a password (a URL): never shown in messages. */
        URL
    }

    /** One key: its name as written in files and URLs, how it is written, what it sets. */
    public record Key(String name, Type type, String summary, BiConsumer<ConfigDraft, ConfigValue> apply) {
        /** The names it can be given under: the name, plus {@code File}/{@code Env} variants for secrets and PEM. */
        public List<String> variants() {
            return switch (type) {
                case SECRET -> List.of(name, name + "File", name + "Env");
                case PEM, SECRET_PEM -> List.of(name, name + "Env");
                default -> List.of(name);
            };
        }

        /** Whether a bad value may be quoted in a message. */
        boolean quotable() {
            return type != Type.SECRET && type != Type.SECRET_PEM && type != Type.URL;
        }
    }

    private static Key key(String name, Type type, String summary, BiConsumer<ConfigDraft, ConfigValue> apply) {
        return new Key(name, type, summary, apply);
    }

    /** The URL key; the loader reads it before the others, since everything else is set on its builder. */
    public static final String URL_KEY = "url";

    public static final List<Key> KEYS = List.of(
            key(URL_KEY, Type.URL, "broker URL: mqtt://, mqtts://, ws://, wss://, unix://", (d, v) -> { }),
            key("alternateServers", Type.LIST, "more broker URLs to fail over to, comma-separated",
                    (d, v) -> {
                        d.builder.alternateServers(v.list().toArray(String[]::new));
                        d.tlsUrl |= v.list().stream().anyMatch(ConfigKeys::isTlsUrl);
                    }),
            key("profile", Type.TEXT, "cloud rules to keep: aws, aws-custom-auth or azure", (d, v) -> d.profile = v),
            key("azureDeviceKey", Type.SECRET, "Azure IoT Hub device key (Base64) for SAS tokens; without it azure means X.509",
                    (d, v) -> d.azureDeviceKey = v),
            key("clientId", Type.TEXT, "client id sent in CONNECT (the device id for azure)", (d, v) -> {
                        d.builder.clientId(v.text());
                        d.clientId = v.text();
                    }),
            key("username", Type.TEXT, "MQTT user name", (d, v) -> d.username = v.text()),
            key("password", Type.SECRET, "MQTT password (needs a user name)", (d, v) -> {
                        d.password = v.secret();
                        d.passwordGiven = v;
                    }),
            key("cleanSession", Type.BOOLEAN, "true or false", (d, v) -> d.builder.cleanSession(v.bool())),
            key("keepAlive", Type.DURATION, "keep-alive interval, whole seconds, 0 = off",
                    (d, v) -> d.builder.keepAlive(v.duration())),
            key("pingTimeout", Type.DURATION, "how long a PINGREQ may go unanswered",
                    (d, v) -> d.builder.pingTimeout(v.duration())),
            key("connectTimeout", Type.DURATION, "limit on connecting", (d, v) -> d.builder.connectTimeout(v.duration())),
            key("ackTimeout", Type.DURATION, "limit on waiting for an acknowledgement",
                    (d, v) -> d.builder.ackTimeout(v.duration())),
            key("closeTimeout", Type.DURATION, "how long close waits", (d, v) -> d.builder.closeTimeout(v.duration())),
            key("inFlightWindow", Type.INTEGER, "most unacknowledged QoS 1/2 publishes",
                    (d, v) -> d.builder.inFlightWindow(v.integer())),
            key("qos2InFlightWindow", Type.INTEGER, "most unacknowledged QoS 2 publishes",
                    (d, v) -> d.builder.qos2InFlightWindow(v.integer())),
            key("maxQueuedQos0", Type.INTEGER, "most unwritten QoS 0 publishes",
                    (d, v) -> d.builder.maxQueuedQos0(v.integer())),
            key("maxIncomingPacketSize", Type.INTEGER, "largest packet accepted, bytes",
                    (d, v) -> d.builder.maxIncomingPacketSize(v.integer())),
            key("maxOutgoingPacketSize", Type.INTEGER, "largest packet sent, bytes",
                    (d, v) -> d.builder.maxOutgoingPacketSize(v.integer())),
            key("subscriptionBuffer", Type.INTEGER, "messages buffered per subscription",
                    (d, v) -> d.builder.subscriptionBuffer(v.integer())),
            key("reconnect", Type.BOOLEAN, "reconnect after a broken connection", (d, v) -> d.reconnect = v.bool()),
            key("reconnectMinDelay", Type.DURATION, "backoff cap of the first reconnect attempt",
                    (d, v) -> d.reconnectMinDelay = d.remember(v, v.duration())),
            key("reconnectMaxDelay", Type.DURATION, "largest backoff cap", (d, v) -> d.reconnectMaxDelay = d.remember(v, v.duration())),
            key("reconnectMaxAttempts", Type.INTEGER, "attempts before giving up, 0 = no limit",
                    (d, v) -> d.reconnectMaxAttempts = d.remember(v, v.integer())),
            key("offlineMessages", Type.INTEGER, "most publishes buffered while disconnected",
                    (d, v) -> d.offlineMessages = d.remember(v, v.integer())),
            key("offlineBytes", Type.LONG, "most payload bytes buffered while disconnected",
                    (d, v) -> d.offlineBytes = d.remember(v, v.longValue())),
            key("offlinePolicy", Type.TEXT, "BLOCK, FAIL or DROP_OLDEST_QOS0",
                    (d, v) -> d.offlinePolicy = v.enumValue(OfflinePolicy.class)),
            key("sessionStore", Type.PATH, "directory of the file-backed session store",
                    (d, v) -> d.builder.sessionStore(v.path())),
            key("ca", Type.PEM, "PEM file of CA certificates to trust (replaces the JDK's)", (d, v) -> d.ca = v),
            key("cert", Type.PEM, "PEM file of the client certificate chain", (d, v) -> d.cert = v),
            key("key", Type.SECRET_PEM, "PEM file of the client's private key", (d, v) -> d.key = v),
            key("pkcs12", Type.PATH, "PKCS#12 file with the client certificate and key", (d, v) -> d.pkcs12 = v),
            key("pkcs12Password", Type.SECRET, "password of the PKCS#12 file", (d, v) -> d.pkcs12Password = v),
            key("alpn", Type.LIST, "ALPN protocols to offer, comma-separated", (d, v) -> d.alpn = v),
            key("dangerouslyDisableHostnameVerification", Type.BOOLEAN, "test rigs only",
                    (d, v) -> d.noHostnameVerification = v.bool() ? v : null),
            key("proxy", Type.URL, "http://, socks5:// or socks4a:// proxy URL", (d, v) -> d.builder.proxy(v.text())),
            key("willTopic", Type.TEXT, "topic of the will", (d, v) -> d.willTopic = v),
            key("willPayload", Type.TEXT, "payload of the will, UTF-8", (d, v) -> d.willPayload = d.remember(v, v.text())),
            key("willQos", Type.INTEGER, "QoS of the will, 0 to 2", (d, v) -> d.willQos = d.remember(v, qos(v))),
            key("willRetain", Type.BOOLEAN, "whether the will is retained", (d, v) -> d.willRetain = d.remember(v, v.bool())));

    /** Whether a URL's scheme is one that runs over TLS. */
    static boolean isTlsUrl(String url) {
        String u = url.strip().toLowerCase(Locale.ROOT);
        return u.startsWith("mqtts:") || u.startsWith("ssl:") || u.startsWith("tls:") || u.startsWith("wss:");
    }

    private static Qos qos(ConfigValue v) {
        int q = v.integer();
        if (q < 0 || q > 2) {
            throw v.error("expected 0, 1 or 2, not " + q);
        }
        return Qos.values()[q];
    }

    private static final Map<String, Key> BY_VARIANT = new LinkedHashMap<>();

    static {
        for (Key k : KEYS) {
            for (String v : k.variants()) {
                if (BY_VARIANT.put(v, k) != null) {
                    throw new ExceptionInInitializerError("configuration key " + v + " is defined twice");
                }
            }
        }
    }

    /** The key a name (or one of its variants) belongs to, or null. */
    public static Key find(String name) {
        return BY_VARIANT.get(name);
    }

    /** Every name a key can be given under, in table order. */
    public static List<String> allNames() {
        return List.copyOf(BY_VARIANT.keySet());
    }

    /** The environment variable for a name: {@code keepAlive} is {@code MOTE_KEEP_ALIVE}. */
    public static String envName(String name) {
        StringBuilder sb = new StringBuilder("MOTE_");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isUpperCase(c) && i > 0) {
                sb.append('_');
            }
            sb.append(Character.toUpperCase(c));
        }
        return sb.toString().toUpperCase(Locale.ROOT);
    }
}
