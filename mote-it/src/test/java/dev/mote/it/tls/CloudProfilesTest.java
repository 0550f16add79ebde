package dev.mote.it.tls;

import dev.mote.it.Await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.CloudProfile;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.TlsConfig;
import dev.mote.mqtt.TopicFilter;
import dev.mote.mqtt.Wait;
import dev.mote.mqtt.internal.tls.TestPki;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cloud profiles against a real Mosquitto behind TLS front ends: AWS IoT Core's ALPN, rate
 * pacing and call-site rules; Azure IoT Hub's user name and a SAS token made afresh per attempt.
 */
class CloudProfilesTest extends AwsFrontEndFixture {
    private static final String KEY = Base64.getEncoder().encodeToString("a device key of thirty-two bytes".getBytes(StandardCharsets.US_ASCII));

    static ConnectRecordingFrontEnd azure;

    @BeforeAll
    static void startAzureFrontEnd() throws Exception {
        azure = new ConnectRecordingFrontEnd(pki.serverP12, TestPki.P12_PASSWORD, broker.plain);
    }

    @AfterAll
    static void stopAzureFrontEnd() throws Exception {
        if (azure != null) {
            azure.close(); // before the broker, which the superclass stops
        }
    }

    private static MqttClient plainClient(String id) {
        return MqttClient.connect(MqttOptions.builder("mqtt://127.0.0.1:" + broker.plain).clientId(id).build());
    }

    private static MqttOptions.Builder awsOptions(String clientId) {
        return MqttOptions.builder("mqtts://localhost:" + frontEnd.port()).clientId(clientId)
                .tls(TlsConfig.builder().trustPem(pki.caCert).clientCertificate(pki.clientRsaCert, pki.clientRsaPkcs1Key).build());
    }


    @Test
    void awsPacesPublishesTo100PerSecondAndDropsNone() throws Exception {
        int n = 330;
        long[] arrivals = new long[n];
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger count = new AtomicInteger();
        try (MqttClient sub = plainClient("aws-rate-sub");
             Subscription s = sub.subscribe("aws/rate", Qos.AT_LEAST_ONCE, m -> {
                 int i = count.getAndIncrement();
                 if (i < n) {
                     arrivals[i] = System.nanoTime();
                 }
                 seen.add(Integer.parseInt(m.payloadAsString()));
             });
             MqttClient pub = MqttClient.connect(awsOptions("aws-rate").profile(CloudProfile.awsIotCore()).build())) {
            assertTrue(s.isActive());
            assertEquals(Optional.of("x-amzn-mqtt-ca"), pub.alpnProtocol());
            assertTrue(frontEnd.sniNames.contains("localhost"), "SNI names the host: " + frontEnd.sniNames);
            assertEquals(100, pub.options().inFlightWindow());
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                // Wait.NONE: the calls run ahead; the writer paces, and the window bounds the queue.
                pub.publish("aws/rate", Integer.toString(i).getBytes(StandardCharsets.US_ASCII), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            }
            Await.until(Duration.ofSeconds(20), () -> count.get() >= n, () -> "all " + n + " messages at the subscriber, got " + count.get());
            assertEquals(n, seen.size(), "every message arrived, none dropped");
            // Past the initial burst (10), the rest should come at 100/s.
            double seconds = (arrivals[n - 1] - arrivals[10]) / 1e9;
            double rate = (n - 1 - 10) / seconds;
            System.out.printf("AWS profile pacing: %d messages in %.2f s after the burst, %.1f/s (all in %.2f s)%n",
                    n - 11, seconds, rate, (arrivals[n - 1] - start) / 1e9);
            assertTrue(rate >= 85 && rate <= 115, "the paced rate is " + rate + "/s, expected 100/s +- 15 %");
        }
    }

    @Test
    void awsRulesFailAtTheCallNamingTheRule() throws Exception {
        try (MqttClient c = MqttClient.connect(awsOptions("aws-rules").profile(CloudProfile.awsIotCore().withMaxSubscriptions(3)).build())) {
            IllegalArgumentException qos2 = assertThrows(IllegalArgumentException.class,
                    () -> c.publish("aws/t", "x", Qos.EXACTLY_ONCE));
            assertTrue(qos2.getMessage().startsWith("AWS IoT Core rule: QoS 0 and 1 only"), qos2.getMessage());
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                    () -> c.publish("aws/t", new byte[128 * 1024 + 1], Qos.AT_LEAST_ONCE));
            assertTrue(big.getMessage().contains("a payload is at most 131072 bytes"), big.getMessage());
            IllegalArgumentException deep = assertThrows(IllegalArgumentException.class,
                    () -> c.publish("a/b/c/d/e/f/g/h/i", "x", Qos.AT_MOST_ONCE));
            assertTrue(deep.getMessage().contains("at most 7 slashes"), deep.getMessage());
            List<TopicFilter> nine = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                nine.add(TopicFilter.of("aws/f" + i, Qos.AT_LEAST_ONCE));
            }
            IllegalArgumentException many = assertThrows(IllegalArgumentException.class, () -> c.subscribe(nine, null, Wait.ACK));
            assertTrue(many.getMessage().contains("at most 8 topic filters per SUBSCRIBE"), many.getMessage());
            Subscription a = c.subscribe("aws/s1", Qos.AT_LEAST_ONCE);
            c.subscribe("aws/s2", Qos.AT_LEAST_ONCE);
            c.subscribe("aws/s3", Qos.AT_LEAST_ONCE);
            IllegalArgumentException limit = assertThrows(IllegalArgumentException.class, () -> c.subscribe("aws/s4", Qos.AT_LEAST_ONCE));
            assertTrue(limit.getMessage().contains("at most 3 subscriptions per connection"), limit.getMessage());
            a.close();
            c.subscribe("aws/s4", Qos.AT_LEAST_ONCE).close(); // room again once one is closed

            // Two held, room for one: of ten subscribes started together exactly one gets it.
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicInteger granted = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
            List<Thread> racers = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String filter = "aws/race" + i;
                racers.add(Thread.ofVirtual().start(() -> {
                    try {
                        go.await();
                        c.subscribe(filter, Qos.AT_LEAST_ONCE);
                        granted.incrementAndGet();
                    } catch (IllegalArgumentException e) {
                        refused.incrementAndGet();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            go.countDown();
            for (Thread t : racers) {
                t.join();
            }
            assertEquals(1, granted.get(), "the limit holds for subscribes made at the same time");
            assertEquals(9, refused.get());
            assertTrue(c.isConnected(), "refused calls sent nothing that could upset the connection");
        }
    }

    @Test
    void azureSendsDeviceUserNameAndAFreshSasTokenOnEveryAttempt() throws Exception {
        CloudProfile.AzureIotHub hub = CloudProfile.azureIotHub("dev-1", KEY).withHostName("contoso.azure-devices.net");
        MqttOptions options = MqttOptions.builder("mqtts://localhost:" + azure.port())
                .tls(TlsConfig.builder().trustPem(pki.caCert).build())
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(200)))
                .profile(hub).build();
        int before = azure.connects.size();
        try (MqttClient sub = plainClient("azure-sub");
             Subscription telemetry = sub.subscribe("devices/dev-1/messages/events/#", Qos.AT_LEAST_ONCE);
             MqttClient device = MqttClient.connect(options)) {
            assertEquals("dev-1", device.clientId());
            ConnectRecordingFrontEnd.Credentials first = azure.connects.get(before);
            assertEquals("contoso.azure-devices.net/dev-1/?api-version=2021-04-12", first.username());
            long se1 = checkToken(first.password());

            // A token is valid from its attempt: make sure the next attempt falls in a later second.
            Await.until(Duration.ofSeconds(3), () -> Instant.now().getEpochSecond() + 3600 > se1, () -> "the clock passing a second");
            azure.cut();
            Await.until(Duration.ofSeconds(10), () -> azure.connects.size() > before + 1 && device.isConnected(), () -> "the reconnect");
            ConnectRecordingFrontEnd.Credentials second = azure.connects.get(before + 1);
            long se2 = checkToken(second.password());
            assertTrue(se2 > se1, "the reconnect's token expires later: " + se1 + " then " + se2);
            assertNotEquals(first.password(), second.password(), "a new SAS token per connection attempt");

            device.publish(hub.telemetryTopic(java.util.Map.of("k", "v 1")), "21.5", Qos.AT_LEAST_ONCE);
            Message m = telemetry.receive(Duration.ofSeconds(10));
            assertEquals("devices/dev-1/messages/events/k=v%201", m.topic());
            IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                    () -> device.publish("sensors/kitchen", "x", Qos.AT_LEAST_ONCE));
            assertTrue(wrong.getMessage().startsWith("Azure IoT Hub rule: a device publishes only to its telemetry topic"),
                    wrong.getMessage());
            assertTrue(!device.options().toString().contains("SharedAccessSignature"), "no token in toString");
        }
    }

    /** Checks a token's signature independently of Mote and returns its expiry. */
    private static long checkToken(String token) throws Exception {
        String prefix = "SharedAccessSignature sr=contoso.azure-devices.net%2Fdevices%2Fdev-1&sig=";
        assertTrue(token.startsWith(prefix), token.substring(0, Math.min(60, token.length())));
        long se = Long.parseLong(token.substring(token.indexOf("&se=") + 4));
        long now = Instant.now().getEpochSecond();
        assertTrue(se > now + 3500 && se <= now + 3600, "valid for an hour from the attempt: " + se);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(KEY), "HmacSHA256"));
        String sig = Base64.getEncoder().encodeToString(
                mac.doFinal(("contoso.azure-devices.net%2Fdevices%2Fdev-1\n" + se).getBytes(StandardCharsets.UTF_8)));
        assertEquals(prefix + URLEncoder.encode(sig, StandardCharsets.UTF_8) + "&se=" + se, token);
        return se;
    }
}
