package dev.mote.mqtt;

import dev.mote.mqtt.internal.cloud.SasToken;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a {@link CloudProfile} does: sets up the options when they are built, and checks each
 * publish and subscribe before anything is sent. Every refusal is an {@link IllegalArgumentException}
 * whose message starts with "{cloud} rule:" and says what the cloud would have done instead.
 */
final class CloudRules {
    private static final String BASIC_INGEST = "$aws/rules/";

    private CloudRules() {}

    // ---------------------------------------------------------------- building the options

    static void apply(CloudProfile profile, MqttOptions.Builder b) {
        switch (profile) {
            case CloudProfile.AwsIotCore aws -> applyAws(aws, b);
            case CloudProfile.AzureIotHub azure -> applyAzure(azure, b);
        }
    }

    private static void applyAws(CloudProfile.AwsIotCore p, MqttOptions.Builder b) {
        requireTls(p, b, "AWS IoT Core accepts MQTT over TLS only: mqtts:// (port 443 or 8883) or wss://");
        if (b.scheme.equals("mqtts")) {
            if (!b.portGiven) {
                b.port = 443;
            }
            if (b.port == 8883) {
                if (p.auth() == CloudProfile.AwsIotCore.Auth.CUSTOM_AUTHORIZER) {
                    throw rule(p, "custom authentication works on port 443 with ALPN mqtt only; port 8883 takes "
                            + "X.509 certificates (use mqtts://host without a port)");
                }
            } else if (b.transport == null) {
                // AWS tells the protocols apart on 443 by ALPN; 8883 takes certificates without it.
                TlsConfig tls = b.tls != null ? b.tls : TlsConfig.defaults();
                List<String> want = List.of(p.auth().alpn());
                if (tls.alpn().isEmpty()) {
                    b.tls = tls.withAlpn(want);
                } else if (!tls.alpn().equals(want)) {
                    throw rule(p, p.auth() + " authentication on port " + b.port + " needs ALPN " + p.auth().alpn()
                            + " alone, not " + tls.alpn() + " (leave TlsConfig.alpn unset and the profile sets it)");
                }
            }
        }
        if (b.clientId != null) {
            int bytes = b.clientId.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > p.maxClientIdBytes()) {
                throw rule(p, "a client id is at most " + p.maxClientIdBytes() + " bytes of UTF-8, this one is " + bytes);
            }
            if (b.clientId.startsWith("$")) {
                throw rule(p, "a client id starting with $ is reserved");
            }
        }
        b.keepAlive = clampKeepAlive(b.keepAlive, p.minKeepAliveSeconds(), p.maxKeepAliveSeconds());
        b.inFlightWindow = Math.min(b.inFlightWindow, p.maxInFlightQos1());
        if (b.publishThrottle == null) {
            b.publishThrottle = PublishThrottle.perSecond(p.maxPublishesPerSecond());
        } else if (b.publishThrottle.normalRate() > p.maxPublishesPerSecond()) {
            throw rule(p, "at most " + p.maxPublishesPerSecond() + " publishes per second per connection (AWS discards "
                    + "the excess), and the throttle allows " + b.publishThrottle.normalRate());
        }
        if (b.will != null) {
            checkPublish(p, b.will.topic(), b.will.payload().length, b.will.qos(), b.will.retain(), "the will");
        }
    }

    private static void applyAzure(CloudProfile.AzureIotHub p, MqttOptions.Builder b) {
        requireTls(p, b, "Azure IoT Hub accepts MQTT over TLS only: mqtts:// on port 8883 or wss:// on 443 (no port 1883)");
        if (b.clientId != null && !b.clientId.equals(p.deviceId())) {
            throw rule(p, "the client id is the device id " + p.deviceId() + ", not " + b.clientId
                    + " (leave clientId unset and the profile sets it)");
        }
        if (b.username != null || b.password != null) {
            throw rule(p, "the profile makes the user name and the password; do not set credentials");
        }
        String host = p.hostName() != null ? p.hostName() : b.host;
        b.clientId = p.deviceId();
        b.username = host + "/" + p.deviceId() + "/?api-version=" + p.apiVersion();
        if (p.deviceKey() != null) {
            if (b.passwordSupplier != null) {
                throw rule(p, "the profile makes a SAS token for each connection attempt; do not set a password supplier");
            }
            byte[] key = Base64.getDecoder().decode(p.deviceKey());
            String resource = host + "/devices/" + p.deviceId();
            Duration validity = p.sasValidity();
            b.passwordSupplier = () -> SasToken.create(resource, key,
                    Instant.now().plus(validity).getEpochSecond()).getBytes(StandardCharsets.UTF_8);
        } else if (b.tls == null && b.transport == null) {
            throw rule(p, "X.509 authentication needs a client certificate: set tls(TlsConfig.builder().clientCertificate(...)...)");
        }
        b.keepAlive = clampKeepAlive(b.keepAlive, 1, p.maxKeepAliveSeconds());
        if (b.will != null) {
            checkPublish(p, b.will.topic(), b.will.payload().length, b.will.qos(), b.will.retain(), "the will");
        }
        // IoT Hub serves MQTT over WebSocket on this path only; a wss:// URL without one gets it.
        if (b.scheme.equals("wss")) {
            b.serverUri = withDefaultPath(b.serverUri, AZURE_WEBSOCKET_PATH);
        }
        b.alternates.replaceAll(s -> s.scheme().equals("wss")
                ? new MqttOptions.Server(withDefaultPath(s.uri(), AZURE_WEBSOCKET_PATH), s.scheme(), s.host(), s.port()) : s);
    }

    static final String AZURE_WEBSOCKET_PATH = "/$iothub/websocket";

    /** {@code uri} with {@code path} if it has none (or only "/"); unchanged otherwise. */
    private static String withDefaultPath(String uri, String path) {
        java.net.URI u = java.net.URI.create(uri);
        String p = u.getRawPath();
        if (p != null && !p.isEmpty() && !p.equals("/")) {
            return uri;
        }
        return u.getScheme() + "://" + u.getRawAuthority() + path + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    }

    private static void requireTls(CloudProfile p, MqttOptions.Builder b, String what) {
        if (b.transport != null) {
            return; // the user's transport does TLS itself
        }
        if (!b.scheme.equals("mqtts") && !b.scheme.equals("wss")) {
            throw rule(p, what + ", not " + b.scheme + "://");
        }
        for (MqttOptions.Server s : b.alternates) {
            if (!s.scheme().equals("mqtts") && !s.scheme().equals("wss")) {
                throw rule(p, what + ", and the alternate " + s + " is not");
            }
        }
    }

    /** Zero and values above {@code max} become {@code max}, values below {@code min} become {@code min}, as the cloud does. */
    private static Duration clampKeepAlive(Duration keepAlive, int min, int max) {
        long s = keepAlive.toSeconds();
        return Duration.ofSeconds(s == 0 || s > max ? max : Math.max(s, min));
    }

    // ---------------------------------------------------------------- each call

    /** Checks a PUBLISH before it is queued. */
    static void checkPublish(CloudProfile profile, String topic, int payloadBytes, Qos qos, boolean retain) {
        checkPublish(profile, topic, payloadBytes, qos, retain, "a PUBLISH");
    }

    private static void checkPublish(CloudProfile profile, String topic, int payloadBytes, Qos qos,
                                     boolean retain, String what) {
        switch (profile) {
            case CloudProfile.AwsIotCore p -> {
                if (qos == Qos.EXACTLY_ONCE) {
                    throw rule(p, "QoS 0 and 1 only; " + what + " at QoS 2 gets no PUBACK from AWS and would wait forever "
                            + "(use Qos.AT_LEAST_ONCE)");
                }
                if (payloadBytes > p.maxPayloadBytes()) {
                    throw rule(p, "a payload is at most " + p.maxPayloadBytes() + " bytes; " + what + " of "
                            + payloadBytes + " bytes would be rejected");
                }
                checkAwsTopic(p, topic, "topic");
                if (retain && topic.startsWith("$")) {
                    throw rule(p, "reserved $ topics cannot be published with RETAIN: " + topic);
                }
            }
            case CloudProfile.AzureIotHub p -> {
                if (qos == Qos.EXACTLY_ONCE) {
                    throw rule(p, "QoS 0 and 1 only; " + what + " at QoS 2 makes the hub close the connection "
                            + "(use Qos.AT_LEAST_ONCE)");
                }
                if (payloadBytes > p.maxPayloadBytes()) {
                    throw rule(p, "a message is at most " + p.maxPayloadBytes() + " bytes; " + what + " of "
                            + payloadBytes + " bytes would be rejected");
                }
                if (retain) {
                    throw rule(p, "RETAIN is not kept (the hub turns it into an mqtt-retain application property); "
                            + "publish without retain");
                }
                String telemetry = p.telemetryTopic();
                if (!topic.startsWith(telemetry) && !topic.startsWith("$iothub/")) {
                    throw rule(p, "a device publishes only to its telemetry topic " + telemetry + "... or to $iothub/... "
                            + "(twin, methods), not " + topic);
                }
            }
        }
    }

    /** Checks a SUBSCRIBE before it is sent; {@code held} are the filters the client already holds. */
    static void checkSubscribe(CloudProfile profile, List<TopicFilter> filters, Set<String> held) {
        Set<String> added = new HashSet<>();
        for (TopicFilter f : filters) {
            if (!held.contains(f.filter())) {
                added.add(f.filter());
            }
        }
        switch (profile) {
            case CloudProfile.AwsIotCore p -> {
                if (filters.size() > p.maxFiltersPerSubscribe()) {
                    throw rule(p, "at most " + p.maxFiltersPerSubscribe() + " topic filters per SUBSCRIBE, this one has "
                            + filters.size() + " (split it)");
                }
                for (TopicFilter f : filters) {
                    if (f.qos() == Qos.EXACTLY_ONCE) {
                        throw rule(p, "QoS 0 and 1 only; a SUBSCRIBE at QoS 2 gets no SUBACK from AWS and would wait "
                                + "forever (filter " + f.filter() + ")");
                    }
                    checkAwsTopic(p, f.filter(), "filter");
                }
                if (held.size() + added.size() > p.maxSubscriptions()) {
                    throw rule(p, "at most " + p.maxSubscriptions() + " subscriptions per connection (beyond it AWS may "
                            + "close the connection); this client holds " + held.size() + " and this SUBSCRIBE adds "
                            + added.size());
                }
            }
            case CloudProfile.AzureIotHub p -> {
                String c2d = "devices/" + p.deviceId() + "/messages/devicebound/";
                for (TopicFilter f : filters) {
                    if (f.qos() == Qos.EXACTLY_ONCE) {
                        throw rule(p, "QoS 0 and 1 only; the hub grants a QoS 2 subscription QoS 1 (filter " + f.filter() + ")");
                    }
                    if (!f.filter().startsWith(c2d) && !f.filter().startsWith("$iothub/")) {
                        throw rule(p, "a device subscribes only to " + c2d + "# (cloud-to-device) and $iothub/... "
                                + "(twin, methods), not " + f.filter());
                    }
                }
                if (held.size() + added.size() > p.maxSubscriptions()) {
                    throw rule(p, "at most " + p.maxSubscriptions() + " subscriptions at a time; this client holds "
                            + held.size() + " and this SUBSCRIBE adds " + added.size());
                }
            }
        }
    }

    /** Size and depth of a topic or filter, not counting a {@code $aws/rules/<rule>/} Basic Ingest prefix. */
    private static void checkAwsTopic(CloudProfile.AwsIotCore p, String topic, String kind) {
        String counted = topic;
        if (topic.startsWith(BASIC_INGEST)) {
            int end = topic.indexOf('/', BASIC_INGEST.length());
            counted = end < 0 ? "" : topic.substring(end + 1);
        }
        int bytes = counted.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > p.maxTopicBytes()) {
            throw rule(p, "a " + kind + " is at most " + p.maxTopicBytes() + " bytes of UTF-8 (without a $aws/rules/<rule>/ "
                    + "prefix); this one is " + bytes);
        }
        long slashes = counted.chars().filter(c -> c == '/').count();
        if (slashes > p.maxTopicSlashes()) {
            throw rule(p, "a " + kind + " has at most " + p.maxTopicSlashes() + " slashes (without a $aws/rules/<rule>/ "
                    + "prefix); " + counted + " has " + slashes);
        }
    }

    private static IllegalArgumentException rule(CloudProfile p, String text) {
        return new IllegalArgumentException(p.name() + " rule: " + text);
    }
}
