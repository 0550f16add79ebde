package dev.mote.mqtt;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * The known rules of a cloud MQTT service, kept by the client so that the application learns at
 * the call, from an {@link IllegalArgumentException} naming the rule, what the cloud would
 * otherwise silently drop or punish (a QoS 2 publish, a payload or topic over the limit, one
 * subscription too many). Applied with {@link MqttOptions.Builder#profile(CloudProfile)}:
 *
 * <pre>{@code
 * MqttClient aws = MqttClient.connect(MqttOptions.builder("mqtts://abc123-ats.iot.eu-west-1.amazonaws.com")
 *         .clientId("sensor-17").tls(TlsConfig.builder().clientCertificate(cert, key).build())
 *         .profile(CloudProfile.awsIotCore()).build());
 * }</pre>
 *
 * <p>Every limit is a record component, so a changed quota needs no new release: copy the record
 * with another value. The defaults are the documented values at the dates given; check the live
 * quota pages before relying on a number.
 */
public sealed interface CloudProfile permits CloudProfile.AwsIotCore, CloudProfile.AzureIotHub {

    /** The service's name, as it appears in error messages. */
    String name();

    /**
     * AWS IoT Core with X.509 certificate authentication and the documented limits (sources: the
     * AWS IoT developer guide, {@code protocols.md} and {@code mqtt.md}, 2023 copy; AWS IoT
     * quotas, 2019 copy, matching an undated copy of the live message-broker quota table; AWS IoT
     * C SDK constants).
     */
    static AwsIotCore awsIotCore() {
        return new AwsIotCore(AwsIotCore.Auth.CERTIFICATE, 128 * 1024, 100, 100, 30, 1200, 8, 50, 256, 7, 128);
    }

    /**
     * Azure IoT Hub for a device that authenticates with a SAS token made from its symmetric key
     * (Microsoft's "Communicate with an IoT hub using the MQTT protocol", 2025-03-19). The token
     * is valid for one hour and made afresh on every connection attempt.
     *
     * @param deviceId  the device id, which is also the MQTT client id
     * @param deviceKey the device's primary or secondary key, Base64 as the portal shows it
     */
    static AzureIotHub azureIotHub(String deviceId, String deviceKey) {
        return new AzureIotHub(deviceId, deviceKey, null, Duration.ofHours(1), AzureIotHub.API_VERSION, 1177, 256 * 1024, 5);
    }

    /**
     * Azure IoT Hub for a device that authenticates with an X.509 client certificate (set it with
     * {@link TlsConfig.Builder#clientCertificate}); no password is sent.
     */
    static AzureIotHub azureIotHubX509(String deviceId) {
        return new AzureIotHub(deviceId, null, null, Duration.ofHours(1), AzureIotHub.API_VERSION, 1177, 256 * 1024, 5);
    }

    /**
     * AWS IoT Core's rules.
     *
     * @param auth                   how the device authenticates; decides the ALPN protocol on port 443
     * @param maxPayloadBytes        the largest PUBLISH payload (128 KB; a larger one is rejected)
     * @param maxPublishesPerSecond  PUBLISH packets per second per connection (100; AWS discards the
     *                               excess, so the client paces its writer to it, waiting, never dropping)
     * @param maxInFlightQos1        unacknowledged QoS 1 publishes (100; beyond it AWS accepts no
     *                               more), the cap of the in-flight window
     * @param minKeepAliveSeconds    the shortest keep-alive AWS honours (30); a shorter one is raised to it
     * @param maxKeepAliveSeconds    the longest (1200); a longer one, or 0, is lowered to it, as AWS does
     * @param maxFiltersPerSubscribe topic filters in one SUBSCRIBE (8)
     * @param maxSubscriptions       subscriptions per connection (50; AWS may close the connection beyond)
     * @param maxTopicBytes          UTF-8 bytes of a topic or filter (256), without a
     *                               {@code $aws/rules/<rule>/} Basic Ingest prefix
     * @param maxTopicSlashes        slashes in a topic or filter (7), without that prefix
     * @param maxClientIdBytes       UTF-8 bytes of the client id (128)
     */
    record AwsIotCore(Auth auth, int maxPayloadBytes, int maxPublishesPerSecond, int maxInFlightQos1,
                      int minKeepAliveSeconds, int maxKeepAliveSeconds, int maxFiltersPerSubscribe,
                      int maxSubscriptions, int maxTopicBytes, int maxTopicSlashes, int maxClientIdBytes)
            implements CloudProfile {

        /** How a device authenticates to AWS IoT Core over MQTT. */
        public enum Auth {
            /** An X.509 client certificate: ALPN {@code x-amzn-mqtt-ca} on port 443, no ALPN on 8883. */
            CERTIFICATE("x-amzn-mqtt-ca"),
            /** A custom authorizer (token in the user name): port 443 with ALPN {@code mqtt} only. */
            CUSTOM_AUTHORIZER("mqtt");

            private final String alpn;

            Auth(String alpn) {
                this.alpn = alpn;
            }

            /** The ALPN protocol AWS expects for this authentication on port 443. */
            public String alpn() {
                return alpn;
            }
        }

        /** Checks the components: an invalid one is an {@link IllegalArgumentException} naming it. */
        public AwsIotCore {
            Objects.requireNonNull(auth, "auth");
            positive(maxPayloadBytes, "maxPayloadBytes");
            positive(maxPublishesPerSecond, "maxPublishesPerSecond");
            if (maxInFlightQos1 < 1 || maxInFlightQos1 > 65_535) {
                throw new IllegalArgumentException("maxInFlightQos1 must be from 1 to 65535, not " + maxInFlightQos1);
            }
            if (minKeepAliveSeconds < 1 || maxKeepAliveSeconds > 65_535 || minKeepAliveSeconds > maxKeepAliveSeconds) {
                throw new IllegalArgumentException("keep-alive bounds must satisfy 1 <= min <= max <= 65535, not "
                        + minKeepAliveSeconds + ".." + maxKeepAliveSeconds);
            }
            positive(maxFiltersPerSubscribe, "maxFiltersPerSubscribe");
            positive(maxSubscriptions, "maxSubscriptions");
            positive(maxTopicBytes, "maxTopicBytes");
            if (maxTopicSlashes < 0) {
                throw new IllegalArgumentException("maxTopicSlashes must not be negative, not " + maxTopicSlashes);
            }
            positive(maxClientIdBytes, "maxClientIdBytes");
        }

        @Override
        public String name() {
            return "AWS IoT Core";
        }

        /** This profile with another authentication (and so another ALPN protocol on port 443). */
        public AwsIotCore withAuth(Auth auth) {
            return new AwsIotCore(auth, maxPayloadBytes, maxPublishesPerSecond, maxInFlightQos1, minKeepAliveSeconds,
                    maxKeepAliveSeconds, maxFiltersPerSubscribe, maxSubscriptions, maxTopicBytes, maxTopicSlashes, maxClientIdBytes);
        }

        /** This profile with another publish-rate limit (e.g. a raised account quota, or a lower one to leave room). */
        public AwsIotCore withMaxPublishesPerSecond(int perSecond) {
            return new AwsIotCore(auth, maxPayloadBytes, perSecond, maxInFlightQos1, minKeepAliveSeconds,
                    maxKeepAliveSeconds, maxFiltersPerSubscribe, maxSubscriptions, maxTopicBytes, maxTopicSlashes, maxClientIdBytes);
        }

        /** This profile with another payload limit. */
        public AwsIotCore withMaxPayloadBytes(int bytes) {
            return new AwsIotCore(auth, bytes, maxPublishesPerSecond, maxInFlightQos1, minKeepAliveSeconds,
                    maxKeepAliveSeconds, maxFiltersPerSubscribe, maxSubscriptions, maxTopicBytes, maxTopicSlashes, maxClientIdBytes);
        }

        /** This profile with another subscription limit per connection. */
        public AwsIotCore withMaxSubscriptions(int subscriptions) {
            return new AwsIotCore(auth, maxPayloadBytes, maxPublishesPerSecond, maxInFlightQos1, minKeepAliveSeconds,
                    maxKeepAliveSeconds, maxFiltersPerSubscribe, subscriptions, maxTopicBytes, maxTopicSlashes, maxClientIdBytes);
        }
    }

    /**
     * Azure IoT Hub's rules, and how a device signs in: client id = device id, user name
     * {@code {hub host}/{device id}/?api-version=...}, and either a SAS token made from the
     * device key for every connection attempt or an X.509 client certificate.
     *
     * @param deviceId            the device id, also the client id
     * @param deviceKey           the device key in Base64, or null for X.509 authentication; never
     *                            shown by {@link #toString()}
     * @param hostName            the hub's host name for the user name and the token, e.g.
     *                            {@code contoso.azure-devices.net}, or null to take the broker URL's host
     * @param sasValidity         how long each SAS token is valid from its connection attempt (1 h)
     * @param apiVersion          the {@code api-version} of the user name ({@value #API_VERSION})
     * @param maxKeepAliveSeconds the longest usable keep-alive (1177: the hub waits 1.5 times the
     *                            client's value but at most 1767 s); a longer one, or 0, is lowered to it
     * @param maxPayloadBytes     the largest message (256 KB)
     * @param maxSubscriptions    subscriptions at a time (5)
     */
    record AzureIotHub(String deviceId, String deviceKey, String hostName, Duration sasValidity, String apiVersion,
                       int maxKeepAliveSeconds, int maxPayloadBytes, int maxSubscriptions) implements CloudProfile {

        /** The api-version Microsoft's MQTT page recommends (2025-03-19). */
        public static final String API_VERSION = "2021-04-12";

        /** Checks the components: an invalid one is an {@link IllegalArgumentException} naming it. */
        public AzureIotHub {
            Objects.requireNonNull(deviceId, "deviceId");
            if (deviceId.isEmpty() || deviceId.getBytes(StandardCharsets.UTF_8).length > 128) {
                throw new IllegalArgumentException("an Azure IoT Hub device id is 1 to 128 bytes, not "
                        + deviceId.getBytes(StandardCharsets.UTF_8).length);
            }
            if (deviceKey != null) {
                try {
                    if (Base64.getDecoder().decode(deviceKey).length == 0) {
                        throw new IllegalArgumentException("the device key is empty");
                    }
                } catch (IllegalArgumentException e) {
                    // The key itself is secret: say what is wrong, never what it is.
                    throw new IllegalArgumentException("the Azure IoT Hub device key is not Base64 (copy the primary or "
                            + "secondary key as the portal shows it)");
                }
            }
            if (hostName != null && hostName.isEmpty()) {
                throw new IllegalArgumentException("hostName must not be empty (null takes the broker URL's host)");
            }
            Objects.requireNonNull(sasValidity, "sasValidity");
            if (sasValidity.toSeconds() < 1) {
                throw new IllegalArgumentException("sasValidity must be at least one second, not " + sasValidity);
            }
            Objects.requireNonNull(apiVersion, "apiVersion");
            if (maxKeepAliveSeconds < 1 || maxKeepAliveSeconds > 65_535) {
                throw new IllegalArgumentException("maxKeepAliveSeconds must be from 1 to 65535, not " + maxKeepAliveSeconds);
            }
            positive(maxPayloadBytes, "maxPayloadBytes");
            positive(maxSubscriptions, "maxSubscriptions");
        }

        @Override
        public String name() {
            return "Azure IoT Hub";
        }

        /** This profile for the hub at {@code hostName} (e.g. {@code contoso.azure-devices.net}), whatever the URL's host. */
        public AzureIotHub withHostName(String hostName) {
            return new AzureIotHub(deviceId, deviceKey, hostName, sasValidity, apiVersion, maxKeepAliveSeconds, maxPayloadBytes, maxSubscriptions);
        }

        /** This profile with SAS tokens valid for {@code validity} from each connection attempt. */
        public AzureIotHub withSasValidity(Duration validity) {
            return new AzureIotHub(deviceId, deviceKey, hostName, validity, apiVersion, maxKeepAliveSeconds, maxPayloadBytes, maxSubscriptions);
        }

        /** The topic to publish telemetry to: {@code devices/{id}/messages/events/}. */
        public String telemetryTopic() {
            return "devices/" + deviceId + "/messages/events/";
        }

        /**
         * The telemetry topic with a property bag: each name and value URL-encoded (a system
         * property's leading {@code $} kept), joined as {@code name=value&...}, in the map's order;
         * e.g. {@code Map.of("$.ct", "application/json;charset=utf-8")} gives
         * {@code devices/{id}/messages/events/$.ct=application%2Fjson%3Bcharset%3Dutf-8}.
         */
        public String telemetryTopic(java.util.Map<String, String> properties) {
            StringBuilder t = new StringBuilder(telemetryTopic());
            boolean first = true;
            for (java.util.Map.Entry<String, String> p : properties.entrySet()) {
                if (!first) {
                    t.append('&');
                }
                first = false;
                t.append(dev.mote.mqtt.internal.cloud.SasToken.encodeUriComponent(p.getKey()).replace("%24", "$")).append('=')
                        .append(dev.mote.mqtt.internal.cloud.SasToken.encodeUriComponent(p.getValue()));
            }
            return t.toString();
        }

        /** The filter for cloud-to-device messages: {@code devices/{id}/messages/devicebound/#}. */
        public String cloudToDeviceFilter() {
            return "devices/" + deviceId + "/messages/devicebound/#";
        }

        /** Never shows the device key. */
        @Override
        public String toString() {
            return "AzureIotHub[deviceId=" + deviceId + (deviceKey != null ? ", SAS from device key <hidden>" : ", X.509")
                    + (hostName != null ? ", hostName=" + hostName : "") + ", sasValidity=" + sasValidity.toSeconds() + " s"
                    + ", apiVersion=" + apiVersion + ", maxKeepAlive=" + maxKeepAliveSeconds + " s, maxPayload="
                    + maxPayloadBytes + " bytes, maxSubscriptions=" + maxSubscriptions + "]";
        }
    }

    private static void positive(int v, String name) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be positive, not " + v);
        }
    }
}
