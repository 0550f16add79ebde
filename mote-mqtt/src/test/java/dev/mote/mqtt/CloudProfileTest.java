package dev.mote.mqtt;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.cloud.SasToken;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class CloudProfileTest {
    private static final String AWS_URL = "mqtts://abc123-ats.iot.eu-west-1.amazonaws.com";
    private static final CloudProfile.AwsIotCore AWS = CloudProfile.awsIotCore();
    private static final String KEY = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    private static final CloudProfile.AzureIotHub AZURE = CloudProfile.azureIotHub("dev1", KEY);

    private static void refused(String rule, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(rule), "the message names the rule \"" + rule + "\": " + e.getMessage());
    }

    private static byte[] bytes(int n) {
        return new byte[n];
    }

    // ---------------------------------------------------------------- AWS: options

    @Test
    void awsCertificateAuthUsesPort443WithAlpnAndTheLimits() {
        MqttOptions o = MqttOptions.builder(AWS_URL).clientId("sensor-17").profile(AWS).build();
        assertEquals(443, o.port());
        assertEquals(List.of("x-amzn-mqtt-ca"), o.tls().alpn());
        assertEquals(100, o.inFlightWindow(), "at most 100 QoS 1 in flight");
        assertEquals(100, o.publishThrottle().normalRate());
        assertEquals(AWS, o.profile());
        assertTrue(o.toString().contains("profile=AWS IoT Core"), o.toString());
    }

    @Test
    void awsCustomAuthUsesAlpnMqttAndPort8883TakesNoAlpn() {
        MqttOptions custom = MqttOptions.builder(AWS_URL).profile(AWS.withAuth(CloudProfile.AwsIotCore.Auth.CUSTOM_AUTHORIZER)).build();
        assertEquals(List.of("mqtt"), custom.tls().alpn());
        MqttOptions on8883 = MqttOptions.builder(AWS_URL + ":8883").profile(AWS).build();
        assertEquals(8883, on8883.port());
        assertEquals(List.of(), on8883.tls().alpn());
        refused("AWS IoT Core rule: custom authentication works on port 443",
                () -> MqttOptions.builder(AWS_URL + ":8883").profile(AWS.withAuth(CloudProfile.AwsIotCore.Auth.CUSTOM_AUTHORIZER)).build());
        refused("needs ALPN x-amzn-mqtt-ca alone", () -> MqttOptions.builder(AWS_URL)
                .tls(TlsConfig.builder().alpn("h2").build()).profile(AWS).build());
    }

    @Test
    void awsNeedsTls() {
        refused("AWS IoT Core rule: AWS IoT Core accepts MQTT over TLS only", () -> MqttOptions.builder("mqtt://host").profile(AWS).build());
        refused("the alternate", () -> MqttOptions.builder(AWS_URL).alternateServers("mqtt://backup").profile(AWS).build());
    }

    @Test
    void awsKeepAliveIsClampedTo30To1200() {
        assertEquals(30, MqttOptions.builder(AWS_URL).keepAlive(Duration.ofSeconds(5)).profile(AWS).build().keepAlive().toSeconds());
        assertEquals(1200, MqttOptions.builder(AWS_URL).keepAlive(Duration.ZERO).profile(AWS).build().keepAlive().toSeconds());
        assertEquals(1200, MqttOptions.builder(AWS_URL).keepAlive(Duration.ofSeconds(3000)).profile(AWS).build().keepAlive().toSeconds());
        assertEquals(60, MqttOptions.builder(AWS_URL).profile(AWS).build().keepAlive().toSeconds());
    }

    @Test
    void awsClientIdThrottleAndWillAreChecked() {
        refused("a client id is at most 128 bytes", () -> MqttOptions.builder(AWS_URL).clientId("x".repeat(129)).profile(AWS).build());
        refused("a client id starting with $ is reserved", () -> MqttOptions.builder(AWS_URL).clientId("$me").profile(AWS).build());
        refused("at most 100 publishes per second", () -> MqttOptions.builder(AWS_URL)
                .publishThrottle(PublishThrottle.perSecond(500)).profile(AWS).build());
        PublishThrottle slower = PublishThrottle.perSecond(50);
        assertEquals(slower, MqttOptions.builder(AWS_URL).publishThrottle(slower).profile(AWS).build().publishThrottle());
        refused("QoS 0 and 1 only; the will at QoS 2", () -> MqttOptions.builder(AWS_URL)
                .will(new Will("w/t", new byte[0], Qos.EXACTLY_ONCE, false)).profile(AWS).build());
        assertEquals(500, MqttOptions.builder(AWS_URL).profile(AWS.withMaxPublishesPerSecond(500)).build().publishThrottle().normalRate());
    }

    // ---------------------------------------------------------------- AWS: each call

    @Test
    void awsPublishRules() {
        refused("AWS IoT Core rule: QoS 0 and 1 only; a PUBLISH at QoS 2 gets no PUBACK",
                () -> CloudRules.checkPublish(AWS, "a/b", 1, Qos.EXACTLY_ONCE, false));
        assertDoesNotThrow(() -> CloudRules.checkPublish(AWS, "a/b", 128 * 1024, Qos.AT_LEAST_ONCE, false));
        refused("AWS IoT Core rule: a payload is at most 131072 bytes; a PUBLISH of 131073 bytes",
                () -> CloudRules.checkPublish(AWS, "a/b", 128 * 1024 + 1, Qos.AT_LEAST_ONCE, false));
        assertDoesNotThrow(() -> CloudRules.checkPublish(AWS, "t".repeat(256), 1, Qos.AT_MOST_ONCE, false));
        refused("a topic is at most 256 bytes of UTF-8", () -> CloudRules.checkPublish(AWS, "t".repeat(257), 1, Qos.AT_MOST_ONCE, false));
        assertDoesNotThrow(() -> CloudRules.checkPublish(AWS, "1/2/3/4/5/6/7/8", 1, Qos.AT_MOST_ONCE, false));
        refused("a topic has at most 7 slashes", () -> CloudRules.checkPublish(AWS, "1/2/3/4/5/6/7/8/9", 1, Qos.AT_MOST_ONCE, false));
        // The Basic Ingest prefix does not count against size or depth.
        assertDoesNotThrow(() -> CloudRules.checkPublish(AWS, "$aws/rules/MyRule/1/2/3/4/5/6/7/8", 1, Qos.AT_MOST_ONCE, false));
        assertDoesNotThrow(() -> CloudRules.checkPublish(AWS, "$aws/rules/MyRule/" + "t".repeat(256), 1, Qos.AT_MOST_ONCE, false));
        refused("reserved $ topics cannot be published with RETAIN",
                () -> CloudRules.checkPublish(AWS, "$aws/things/t/shadow/update", 1, Qos.AT_LEAST_ONCE, true));
    }

    @Test
    void awsSubscribeRules() {
        List<TopicFilter> eight = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            eight.add(TopicFilter.of("f/" + i, Qos.AT_LEAST_ONCE));
        }
        assertDoesNotThrow(() -> CloudRules.checkSubscribe(AWS, eight, Set.of()));
        List<TopicFilter> nine = new ArrayList<>(eight);
        nine.add(TopicFilter.of("f/8", Qos.AT_LEAST_ONCE));
        refused("AWS IoT Core rule: at most 8 topic filters per SUBSCRIBE, this one has 9", () -> CloudRules.checkSubscribe(AWS, nine, Set.of()));
        refused("a SUBSCRIBE at QoS 2 gets no SUBACK", () -> CloudRules.checkSubscribe(AWS, List.of(TopicFilter.of("a/#", Qos.EXACTLY_ONCE)), Set.of()));
        refused("a filter has at most 7 slashes", () -> CloudRules.checkSubscribe(AWS, List.of(TopicFilter.of("1/2/3/4/5/6/7/8/#", Qos.AT_MOST_ONCE)), Set.of()));
        Set<String> held = new java.util.HashSet<>();
        for (int i = 0; i < 49; i++) {
            held.add("h/" + i);
        }
        assertDoesNotThrow(() -> CloudRules.checkSubscribe(AWS, List.of(TopicFilter.of("new/1", Qos.AT_LEAST_ONCE)), held));
        assertDoesNotThrow(() -> CloudRules.checkSubscribe(AWS, List.of(TopicFilter.of("h/1", Qos.AT_LEAST_ONCE),
                TopicFilter.of("new/1", Qos.AT_LEAST_ONCE)), held), "a filter already held does not count again");
        refused("at most 50 subscriptions per connection (beyond it AWS may close the connection); this client holds 49 and this SUBSCRIBE adds 2",
                () -> CloudRules.checkSubscribe(AWS, List.of(TopicFilter.of("new/1", Qos.AT_LEAST_ONCE), TopicFilter.of("new/2", Qos.AT_LEAST_ONCE)), held));
    }

    // ---------------------------------------------------------------- Azure

    @Test
    void azureGivesAWebSocketUrlWithoutAPathIotHubsPath() {
        MqttOptions.Builder b = MqttOptions.builder("wss://contoso.azure-devices.net").profile(AZURE)
                .alternateServers("wss://backup.azure-devices.net:443/", "wss://other.azure-devices.net/custom?x=1");
        MqttOptions o = b.build();
        assertEquals("wss://contoso.azure-devices.net/$iothub/websocket", o.servers().get(0).uri());
        assertEquals("wss://backup.azure-devices.net:443/$iothub/websocket", o.servers().get(1).uri());
        assertEquals("wss://other.azure-devices.net/custom?x=1", o.servers().get(2).uri(), "a path given is kept");
        assertEquals(o.servers(), b.build().servers(), "building again gives the same");
        assertEquals("mqtts://contoso.azure-devices.net", MqttOptions.builder("mqtts://contoso.azure-devices.net").profile(AZURE)
                .build().servers().get(0).uri(), "mqtts:// has no path to add");
    }

    @Test
    void azureSetsClientIdUserNameAndAFreshSasPasswordPerAttempt() {
        MqttOptions o = MqttOptions.builder("mqtts://contoso.azure-devices.net").profile(AZURE).build();
        assertEquals("dev1", o.clientId());
        assertEquals("contoso.azure-devices.net/dev1/?api-version=2021-04-12", o.username());
        assertEquals(8883, o.port());
        assertNull(o.password());
        assertNotNull(o.passwordSupplier());
        long before = Instant.now().plus(Duration.ofHours(1)).getEpochSecond();
        String token = new String(o.passwordSupplier().get(), StandardCharsets.UTF_8);
        long after = Instant.now().plus(Duration.ofHours(1)).getEpochSecond();
        long se = Long.parseLong(token.substring(token.indexOf("&se=") + 4));
        assertTrue(se >= before && se <= after, "expires an hour after the attempt: " + se);
        assertEquals(SasToken.create("contoso.azure-devices.net/devices/dev1", Base64.getDecoder().decode(KEY), se), token);
        assertTrue(token.startsWith("SharedAccessSignature sr=contoso.azure-devices.net%2Fdevices%2Fdev1&sig="), token);
        assertFalse(o.toString().contains(KEY) || o.toString().contains("SharedAccessSignature"), o.toString());
        assertFalse(AZURE.toString().contains(KEY), AZURE.toString());
    }

    @Test
    void aBuilderWithAProfileBuildsTheSameOptionsTwiceEachWithItsOwnThrottle() {
        MqttOptions.Builder aws = MqttOptions.builder(AWS_URL).clientId("twice").keepAlive(Duration.ofSeconds(5)).profile(AWS);
        MqttOptions a = aws.build();
        MqttOptions b = aws.build();
        assertEquals(a.toString(), b.toString());
        assertTrue(a.publishThrottle() != b.publishThrottle(), "each options its own bucket");
        assertEquals(30, b.keepAlive().toSeconds());
        MqttOptions.Builder azure = MqttOptions.builder("mqtts://contoso.azure-devices.net").profile(AZURE);
        assertEquals(azure.build().username(), azure.build().username(), "the second build is not refused for credentials");
    }

    @Test
    void azureHostNameCanBeGivenAndKeepAliveIsCapped() {
        MqttOptions o = MqttOptions.builder("mqtts://127.0.0.1:18883").keepAlive(Duration.ofSeconds(1500))
                .profile(AZURE.withHostName("contoso.azure-devices.net")).build();
        assertEquals("contoso.azure-devices.net/dev1/?api-version=2021-04-12", o.username());
        assertEquals(1177, o.keepAlive().toSeconds());
        assertEquals(1177, MqttOptions.builder("mqtts://h").keepAlive(Duration.ZERO).profile(AZURE).build().keepAlive().toSeconds());
    }

    @Test
    void azureBuildRules() {
        refused("Azure IoT Hub rule: Azure IoT Hub accepts MQTT over TLS only", () -> MqttOptions.builder("mqtt://h").profile(AZURE).build());
        refused("the client id is the device id dev1, not other", () -> MqttOptions.builder("mqtts://h").clientId("other").profile(AZURE).build());
        refused("do not set credentials", () -> MqttOptions.builder("mqtts://h").credentials("u", "p").profile(AZURE).build());
        refused("X.509 authentication needs a client certificate", () -> MqttOptions.builder("mqtts://h").profile(CloudProfile.azureIotHubX509("dev1")).build());
        MqttOptions x509 = MqttOptions.builder("mqtts://h").tls(TlsConfig.defaults()).profile(CloudProfile.azureIotHubX509("dev1")).build();
        assertNull(x509.passwordSupplier());
        assertNull(x509.password());
        refused("not Base64", () -> CloudProfile.azureIotHub("dev1", "not base64!"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CloudProfile.azureIotHub("dev1", "sekret%%"));
        assertFalse(e.getMessage().contains("sekret"), "the key is not in the message");
        refused("only to its telemetry topic", () -> MqttOptions.builder("mqtts://h")
                .will(new Will("elsewhere", new byte[0], Qos.AT_LEAST_ONCE, false)).profile(AZURE).build());
    }

    @Test
    void azureCallRules() {
        refused("Azure IoT Hub rule: QoS 0 and 1 only; a PUBLISH at QoS 2 makes the hub close the connection",
                () -> CloudRules.checkPublish(AZURE, AZURE.telemetryTopic(), 1, Qos.EXACTLY_ONCE, false));
        refused("a message is at most 262144 bytes",
                () -> CloudRules.checkPublish(AZURE, AZURE.telemetryTopic(), 256 * 1024 + 1, Qos.AT_LEAST_ONCE, false));
        refused("RETAIN is not kept", () -> CloudRules.checkPublish(AZURE, AZURE.telemetryTopic(), 1, Qos.AT_LEAST_ONCE, true));
        refused("a device publishes only to its telemetry topic devices/dev1/messages/events/",
                () -> CloudRules.checkPublish(AZURE, "sensors/t", 1, Qos.AT_LEAST_ONCE, false));
        assertDoesNotThrow(() -> CloudRules.checkPublish(AZURE, "$iothub/twin/GET/?$rid=1", 0, Qos.AT_MOST_ONCE, false));
        refused("the hub grants a QoS 2 subscription QoS 1",
                () -> CloudRules.checkSubscribe(AZURE, List.of(TopicFilter.of(AZURE.cloudToDeviceFilter(), Qos.EXACTLY_ONCE)), Set.of()));
        refused("a device subscribes only to devices/dev1/messages/devicebound/#",
                () -> CloudRules.checkSubscribe(AZURE, List.of(TopicFilter.of("devices/other/messages/devicebound/#", Qos.AT_LEAST_ONCE)), Set.of()));
        refused("at most 5 subscriptions at a time; this client holds 5 and this SUBSCRIBE adds 1",
                () -> CloudRules.checkSubscribe(AZURE, List.of(TopicFilter.of("$iothub/methods/POST/#", Qos.AT_MOST_ONCE)),
                        Set.of("$iothub/a", "$iothub/b", "$iothub/c", "$iothub/d", "$iothub/e")));
    }

    @Test
    void azureTopicHelpers() {
        assertEquals("devices/dev1/messages/events/", AZURE.telemetryTopic());
        assertEquals("devices/dev1/messages/devicebound/#", AZURE.cloudToDeviceFilter());
        Map<String, String> props = new LinkedHashMap<>();
        props.put("$.ct", "application/json;charset=utf-8");
        props.put("room", "kitchen 2");
        assertEquals("devices/dev1/messages/events/$.ct=application%2Fjson%3Bcharset%3Dutf-8&room=kitchen%202",
                AZURE.telemetryTopic(props));
    }
}
