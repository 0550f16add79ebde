package dev.mote.it.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.mqtt.AwsFleetProvisioning;
import dev.mote.mqtt.ConnectionEvent;
import dev.mote.mqtt.DeviceIdentity;
import dev.mote.mqtt.IdentityStore;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.ProvisioningException;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.internal.tls.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fleet provisioning by claim against Mosquitto requiring client certificates, with a responder
 * playing the AWS provisioning topics: the device connects with its claim certificate, gets a
 * certificate (from a CSR made on the device, or keys made by "AWS"), registers its thing, stores
 * the identity, and is then seen by the broker under the new certificate.
 */
class FleetProvisioningTest {
    private static final String TEMPLATE = "SensorTemplate";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;
    static TestPki pki;
    static CloudMosquitto broker;
    static AwsProvisioningResponder responder;
    static String claimCert;
    static String claimKey;
    static String ca;

    @TempDir
    Path storeDir;
    MqttClient observer;
    Subscription devices;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(TestPki.available(), "openssl is not installed");
        assumeTrue(CloudMosquitto.available(), "mosquitto is not installed");
        pki = new TestPki(dir.resolve("pki"));
        Path key = pki.dir.resolve("claim.key");
        pki.openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key.toString());
        Path csr = pki.dir.resolve("claim.csr");
        pki.openssl("req", "-new", "-config", pki.dir.resolve("req.cnf").toString(), "-key", key.toString(),
                "-subj", "/CN=claim-batch-7", "-out", csr.toString());
        Path cert = pki.dir.resolve("claim.pem");
        pki.openssl("x509", "-req", "-in", csr.toString(), "-CA", pki.caCert.toString(), "-CAkey", pki.caKey.toString(),
                "-set_serial", "77", "-days", "30", "-sha256", "-extfile", pki.dir.resolve("client.ext").toString(),
                "-out", cert.toString());
        claimCert = Files.readString(cert);
        claimKey = Files.readString(key);
        ca = Files.readString(pki.caCert);
        broker = new CloudMosquitto(pki);
        responder = new AwsProvisioningResponder(pki, dir.resolve("responder"), broker.plain, TEMPLATE);
    }

    @AfterAll
    static void stop() {
        if (responder != null) {
            responder.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void observe() {
        observer = MqttClient.connect(MqttOptions.builder("mqtt://127.0.0.1:" + broker.plain).build());
        devices = observer.subscribe("dev/#", Qos.AT_LEAST_ONCE);
    }

    @AfterEach
    void stopObserving() {
        if (observer != null) {
            observer.close();
        }
    }

    private static DeviceIdentity claim(String clientId) {
        return new DeviceIdentity("localhost", broker.tls, clientId, ca, claimCert, claimKey, List.of());
    }

    /**
     * Publishes {@code denied} (which the broker drops unless it knows the client by that CN) then
     * {@code allowed}; returns the topics the observer got up to and including {@code allowed}.
     */
    private List<String> publishBoth(MqttClient device, String denied, String allowed) {
        device.publish(denied, "x", Qos.AT_LEAST_ONCE);
        device.publish(allowed, "x", Qos.AT_LEAST_ONCE);
        java.util.ArrayList<String> seen = new java.util.ArrayList<>();
        Message m;
        while ((m = devices.receive(Duration.ofSeconds(10))) != null) {
            seen.add(m.topic());
            if (m.topic().equals(allowed)) {
                return seen;
            }
        }
        throw new AssertionError("the observer did not get " + allowed + "; got " + seen);
    }

    @Test
    void csrMadeOnTheDeviceThenRegisterThingThenConnectWithTheNewCertificate() throws Exception {
        IdentityStore store = IdentityStore.inDirectory(storeDir.resolve("id"));
        int before = responder.payloads.size();
        DeviceIdentity permanent = AwsFleetProvisioning.provision(claim("sensor-0042"), TEMPLATE,
                Map.of("SerialNumber", "0042"), store, AwsFleetProvisioning.KeyOrigin.GENERATED_ON_DEVICE, TIMEOUT);

        assertEquals("sensor-0042", permanent.clientId(), "the client id is the thing name");
        assertEquals(permanent, store.require());
        List<String> sent = responder.payloads.subList(before, responder.payloads.size());
        assertEquals(2, sent.size(), sent.toString());
        assertTrue(sent.get(0).startsWith("$aws/certificates/create-from-csr/json {"), sent.get(0));
        assertTrue(sent.get(0).contains("BEGIN CERTIFICATE REQUEST"));
        assertTrue(sent.get(1).startsWith("$aws/provisioning-templates/" + TEMPLATE + "/provision/json {"), sent.get(1));
        assertTrue(sent.get(1).contains("\"SerialNumber\": \"0042\""), sent.get(1));
        assertFalse(String.join("\n", sent).contains("PRIVATE KEY"), "the private key never travels");
        assertFalse(permanent.privateKeyPem().equals(claimKey));

        try (MqttClient device = MqttClient.connect(store.optionsBuilder().connectTimeout(Duration.ofSeconds(10)).build())) {
            assertEquals("sensor-0042", device.clientId());
            List<String> seen = publishBoth(device, "dev/claim-batch-7/old", "dev/sensor-0042/hello");
            assertEquals(List.of("dev/sensor-0042/hello"), seen, "the broker knows the device by its new certificate only");
        }
    }

    @Test
    void keysFromAwsAndARunningClientReconnectsWithTheReplacedIdentity() throws Exception {
        IdentityStore store = IdentityStore.inDirectory(storeDir.resolve("id"));
        store.save(claim("sensor-0043"));
        responder.createKeysCommonName = "sensor-0043";
        try (MqttClient device = MqttClient.connect(store.optionsBuilder().connectTimeout(Duration.ofSeconds(10)).build())) {
            assertEquals(List.of("dev/claim-batch-7/marker"), publishBoth(device, "dev/sensor-0043/early", "dev/claim-batch-7/marker"),
                    "connected with the claim certificate");

            AwsFleetProvisioning p = new AwsFleetProvisioning(device, TEMPLATE, TIMEOUT);
            AwsFleetProvisioning.NewCertificate cert = p.createKeysAndCertificate();
            assertNotNull(cert.certificateId());
            assertTrue(cert.privateKeyPem().contains("PRIVATE KEY"));
            assertFalse(cert.toString().contains(cert.ownershipToken()), "the token stays out of toString");
            AwsFleetProvisioning.Registration reg = p.registerThing(cert.ownershipToken(), Map.of("SerialNumber", "0043"));
            assertEquals("sensor-0043", reg.thingName());
            assertEquals(Map.of("telemetryTopic", "dev/sensor-0043/telemetry"), reg.deviceConfiguration());

            store.save(store.require().withCertificate(cert.certificatePem(), cert.privateKeyPem()));
            while (device.nextConnectionEvent(Duration.ZERO) != null) {
                // drop the events of the first connection
            }
            assertTrue(device.reconnect());
            assertTrue(device.awaitConnected(Duration.ofSeconds(10)), "reconnected");
            ConnectionEvent e;
            boolean reconnected = false;
            while ((e = device.nextConnectionEvent(Duration.ofSeconds(1))) != null) {
                reconnected |= e instanceof ConnectionEvent.Connected c && c.reconnect();
            }
            assertTrue(reconnected, "a Connected event for the reconnect");
            assertEquals(List.of("dev/sensor-0043/after"), publishBoth(device, "dev/claim-batch-7/late", "dev/sensor-0043/after"),
                    "after reconnect() the broker knows the device by its new certificate");
        }
    }

    @Test
    void rejectionsCarryAwsStatusAndErrorCodes() {
        try (MqttClient device = MqttClient.connect(claim("sensor-0044").optionsBuilder().build())) {
            AwsFleetProvisioning p = new AwsFleetProvisioning(device, TEMPLATE, TIMEOUT);

            ProvisioningException bogus = assertThrows(ProvisioningException.class,
                    () -> p.registerThing("not-a-token", Map.of("SerialNumber", "0044")));
            assertEquals(400, bogus.statusCode());
            assertEquals(AwsProvisioningResponder.INVALID_TOKEN, bogus.errorCode());
            assertEquals("the certificate ownership token is not valid", bogus.errorMessage());
            assertEquals("RegisterThing", bogus.operation());
            assertFalse(bogus.timedOut());
            assertFalse(bogus.getMessage().contains("not-a-token"), "the token is not echoed");

            AwsFleetProvisioning.NewCertificate cert = p.createCertificateFromCsr();
            responder.expireTokens();
            ProvisioningException expired = assertThrows(ProvisioningException.class,
                    () -> p.registerThing(cert.ownershipToken(), Map.of("SerialNumber", "0044")));
            assertEquals(400, expired.statusCode());
            assertEquals("the certificate ownership token has expired", expired.errorMessage());

            AwsFleetProvisioning.NewCertificate fresh = p.createCertificateFromCsr();
            ProvisioningException noParams = assertThrows(ProvisioningException.class,
                    () -> p.registerThing(fresh.ownershipToken(), Map.of()));
            assertEquals("InvalidParameters", noParams.errorCode());

            responder.rejectNext(403, "Forbidden", "not allowed by the claim policy");
            ProvisioningException forbidden = assertThrows(ProvisioningException.class, p::createKeysAndCertificate);
            assertEquals(403, forbidden.statusCode());
            assertEquals("Forbidden", forbidden.errorCode());
            assertEquals("CreateKeysAndCertificate", forbidden.operation());
            assertTrue(device.isConnected(), "a rejection leaves the connection up");
        }
    }

    @Test
    void noAnswerIsATimeout() {
        try (MqttClient device = MqttClient.connect(claim("sensor-0045").optionsBuilder().build())) {
            AwsFleetProvisioning p = new AwsFleetProvisioning(device, "TemplateNobodyServes", Duration.ofMillis(800));
            ProvisioningException e = assertThrows(ProvisioningException.class,
                    () -> p.registerThing("token", Map.of("SerialNumber", "1")));
            assertTrue(e.timedOut());
            assertEquals(-1, e.statusCode());
            assertNull(e.errorCode());
            assertTrue(e.getMessage().contains("$aws/provisioning-templates/TemplateNobodyServes/provision/json/accepted"),
                    e.getMessage());
        }
    }
}
