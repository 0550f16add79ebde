package dev.mote.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.config.ConfigKeys;
import dev.mote.mqtt.internal.tls.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MqttConfigTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    @Test
    void urlQuerySetsOptions() {
        MqttOptions o = MqttConfig.fromUrl("mqtt://alice@broker.example:1884?clientId=s%2F1&keepAlive=30s&cleanSession=false"
                + "&connectTimeout=500ms&reconnectMinDelay=1s&reconnectMaxDelay=2m&inFlightWindow=7&offlinePolicy=fail").build();
        assertEquals("broker.example", o.host());
        assertEquals(1884, o.port());
        assertEquals("s/1", o.clientId());
        assertEquals("alice", o.username());
        assertEquals(Duration.ofSeconds(30), o.keepAlive());
        assertFalse(o.cleanSession());
        assertEquals(Duration.ofMillis(500), o.connectTimeout());
        assertEquals(Duration.ofSeconds(1), o.reconnect().minDelay());
        assertEquals(Duration.ofMinutes(2), o.reconnect().maxDelay());
        assertEquals(7, o.inFlightWindow());
        assertEquals(OfflinePolicy.FAIL, o.offlinePolicy());
        assertEquals("mqtt://alice@broker.example:1884", o.serverUri());
    }

    @Test
    void urlQueryAlpnAndWillAndProxy() {
        MqttOptions o = MqttConfig.fromUrl("mqtts://host.example:443?alpn=x-amzn-mqtt-ca,mqtt&willTopic=dev/1/status"
                + "&willPayload=gone&willQos=1&willRetain=true&proxy=socks5://proxy.example:1080").build();
        assertEquals(List.of("x-amzn-mqtt-ca", "mqtt"), o.tls().alpn());
        assertEquals("dev/1/status", o.will().topic());
        assertEquals(Qos.AT_LEAST_ONCE, o.will().qos());
        assertTrue(o.will().retain());
        assertEquals("gone", new String(o.will().payload(), StandardCharsets.UTF_8));
        assertEquals("proxy.example", o.socksProxy().host());
    }

    @Test
    void jsonFileWithLists() throws Exception {
        Path f = write("mote.json", """
                {
                  "url": "mqtt://primary.example",
                  "alternateServers": ["mqtt://b.example:1884", "mqtt://c.example"],
                  "clientId": "sensor-17",
                  "keepAlive": 45,
                  "cleanSession": false,
                  "offlineBytes": 1024,
                  "sessionStore": "state"
                }
                """);
        MqttOptions o = MqttConfig.fromFile(f).build();
        assertEquals(3, o.servers().size());
        assertEquals(1884, o.servers().get(1).port());
        assertEquals("sensor-17", o.clientId());
        assertEquals(Duration.ofSeconds(45), o.keepAlive());
        assertFalse(o.cleanSession());
        assertEquals(1024, o.offlineBytes());
        assertEquals(dir.resolve("state").toAbsolutePath(), o.sessionStore(), "relative paths resolve against the file's directory");
    }

    @Test
    void propertiesFile() throws Exception {
        Path f = write("mote.properties", """
                # a comment
                url = mqtt://broker.example:1999
                clientId: dev-9
                username = bob
                password = s3cret
                ackTimeout = PT2M
                """);
        MqttOptions o = MqttConfig.fromFile(f).build();
        assertEquals(1999, o.port());
        assertEquals("dev-9", o.clientId());
        assertEquals("bob", o.username());
        assertEquals("s3cret", new String(o.password(), StandardCharsets.UTF_8));
        assertEquals(Duration.ofMinutes(2), o.ackTimeout());
        assertFalse(o.toString().contains("s3cret"));
    }

    @Test
    void precedenceBuilderOverEnvOverFileOverUrlQuery() throws Exception {
        Path f = write("p.json", """
                {"url": "mqtt://h.example?keepAlive=10&clientId=fromUrl&connectTimeout=3&ackTimeout=4",
                 "keepAlive": 20, "clientId": "fromFile", "connectTimeout": 5}
                """);
        Map<String, String> env = Map.of("MOTE_KEEP_ALIVE", "30", "MOTE_CLIENT_ID", "fromEnv", "HOME", "/root");
        MqttOptions o = MqttConfig.load(f, env).clientId("fromCode").build();
        assertEquals("fromCode", o.clientId(), "builder call wins");
        assertEquals(Duration.ofSeconds(30), o.keepAlive(), "env beats file");
        assertEquals(Duration.ofSeconds(5), o.connectTimeout(), "file beats URL query");
        assertEquals(Duration.ofSeconds(4), o.ackTimeout(), "URL query beats the default");
    }

    @Test
    void envAloneAndEnvUrlReplacesFileUrl() throws Exception {
        MqttOptions o = MqttConfig.load(null, Map.of("MOTE_URL", "mqtt://env.example:2000", "MOTE_CLEAN_SESSION", "true")).build();
        assertEquals("env.example", o.host());
        Path f = write("u.properties", "url = mqtt://file.example\n");
        assertEquals("env.example", MqttConfig.load(f, Map.of("MOTE_URL", "mqtt://env.example")).build().host());
        assertEquals("file.example", MqttConfig.load(f, Map.of()).build().host());
    }

    @Test
    void cloudProfilesFromConfiguration() throws Exception {
        MqttOptions aws = MqttConfig.fromUrl("mqtts://abc-ats.iot.eu-west-1.amazonaws.com?profile=aws&clientId=dev1").build();
        assertTrue(aws.profile() instanceof CloudProfile.AwsIotCore a && a.auth() == CloudProfile.AwsIotCore.Auth.CERTIFICATE);
        assertEquals(443, aws.port());
        assertEquals(List.of("x-amzn-mqtt-ca"), aws.tls().alpn());

        String key = java.util.Base64.getEncoder().encodeToString("not-a-real-device-key-32-bytes!!".getBytes(StandardCharsets.UTF_8));
        Path f = write("azure.properties", """
                url = mqtts://hub1.azure-devices.net
                profile = azure
                clientId = thermo-7
                azureDeviceKeyEnv = HUB_KEY
                """);
        MqttOptions azure = MqttConfig.load(f, Map.of("HUB_KEY", key)).build();
        CloudProfile.AzureIotHub hub = (CloudProfile.AzureIotHub) azure.profile();
        assertEquals("thermo-7", hub.deviceId());
        assertEquals("hub1.azure-devices.net/thermo-7/?api-version=" + CloudProfile.AzureIotHub.API_VERSION, azure.username());
        assertFalse(azure.toString().contains(key), "the device key stays out of toString");

        ConfigException unknown = assertThrows(ConfigException.class,
                () -> MqttConfig.fromUrl("mqtts://h.example?profile=gcp&clientId=x").build());
        assertEquals("profile", unknown.key());
        ConfigException noId = assertThrows(ConfigException.class,
                () -> MqttConfig.fromUrl("mqtts://hub1.azure-devices.net?profile=azure").build());
        assertTrue(noId.getMessage().contains("clientId"), noId.getMessage());
        ConfigException keyWithoutAzure = assertThrows(ConfigException.class,
                () -> MqttConfig.load(write("k.properties", "url = mqtts://h.example\nazureDeviceKeyEnv = HUB_KEY\n"),
                        Map.of("HUB_KEY", key)).build());
        assertEquals("azureDeviceKeyEnv", keyWithoutAzure.key(), "the key as written");
        ConfigException badKey = assertThrows(ConfigException.class,
                () -> MqttConfig.load(f, Map.of("HUB_KEY", "%%not base64 SECRETVALUE%%")).build());
        assertFalse(badKey.getMessage().contains("SECRETVALUE"), badKey.getMessage());
    }

    @Test
    void secretFromFileAndFromEnvironmentVariableName() throws Exception {
        write("pw.txt", "from-file\n");
        Path f = write("s.json", """
                {"url": "mqtt://h.example", "username": "u", "passwordFile": "pw.txt"}
                """);
        assertEquals("from-file", new String(MqttConfig.load(f, Map.of()).build().password(), StandardCharsets.UTF_8),
                "one trailing line break is dropped");
        MqttOptions o = MqttConfig.load(f, Map.of("MOTE_PASSWORD_ENV", "MY_PW", "MY_PW", "from-env")).build();
        assertEquals("from-env", new String(o.password(), StandardCharsets.UTF_8), "env layer's variant replaces the file's");
    }

    @Test
    void twoFormsOfOneSecretInOneLayerIsAnError() throws Exception {
        Path f = write("two.json", """
                {"url": "mqtt://h.example", "username": "u", "password": "TOPSECRET1",
                 "passwordFile": "x"}
                """);
        ConfigException e = assertThrows(ConfigException.class, () -> MqttConfig.fromFile(f));
        assertEquals("passwordFile", e.key());
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("password"), e.getMessage());
        assertFalse(e.getMessage().contains("TOPSECRET1"));
    }

    @Test
    void unknownKeysNameKeyAndLine() throws Exception {
        Path f = write("bad.json", "{\n \"url\": \"mqtt://h.example\",\n \"keepalive\": 3\n}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> MqttConfig.fromFile(f));
        assertEquals("keepalive", e.key());
        assertTrue(e.getMessage().contains("bad.json, line 3"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean keepAlive"), e.getMessage());

        Path p = write("bad.properties", "url=mqtt://h.example\n\nclientID = x\n");
        ConfigException pe = assertThrows(ConfigException.class, () -> MqttConfig.fromFile(p));
        assertEquals("clientID", pe.key());
        assertTrue(pe.getMessage().contains("line 3"), pe.getMessage());

        ConfigException q = assertThrows(ConfigException.class, () -> MqttConfig.fromUrl("mqtt://h.example?colour=red"));
        assertEquals("colour", q.key());

        ConfigException env = assertThrows(ConfigException.class,
                () -> MqttConfig.load(null, Map.of("MOTE_URL", "mqtt://h", "MOTE_KEEPALIVE", "3")));
        assertEquals("MOTE_KEEPALIVE", env.key());
        assertTrue(env.getMessage().contains("environment variable MOTE_KEEPALIVE"), env.getMessage());
    }

    @Test
    void badValuesNameTheKey() {
        record Case(String query, String key) {}
        for (Case c : List.of(new Case("keepAlive=soon", "keepAlive"), new Case("keepAlive=70000", "keepAlive"),
                new Case("cleanSession=yes", "cleanSession"), new Case("inFlightWindow=0", "inFlightWindow"),
                new Case("inFlightWindow=many", "inFlightWindow"), new Case("willQos=3", "willQos"),
                new Case("offlinePolicy=drop", "offlinePolicy"), new Case("connectTimeout=0", "connectTimeout"),
                new Case("reconnectMinDelay=10s&reconnectMaxDelay=1s", "reconnectMinDelay"),
                new Case("willPayload=x", "willPayload"), new Case("offlineBytes=-1", "offlineBytes"), new Case("alpn=a,a", "alpn"),
                new Case("willTopic=a/%2B/b", "willTopic"), new Case("keepAlive", "keepAlive"),
                new Case("proxy=ftp://x", "proxy"), new Case("ca=/nonexistent/ca.pem", "ca"))) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> MqttConfig.fromUrl("mqtts://h.example?" + c.query()).build(), c.query());
            assertEquals(c.key(), e.key(), c.query() + " -> " + e.getMessage());
            assertTrue(e.getMessage().startsWith(c.key()), e.getMessage());
        }
    }

    @Test
    void tlsKeysNeedATlsUrl() {
        ConfigException e = assertThrows(ConfigException.class, () -> MqttConfig.fromUrl("mqtt://h.example?alpn=mqtt"));
        assertEquals("alpn", e.key());
    }

    @Test
    void missingSecretFileAndVariableAreClearErrors() throws Exception {
        Path f = write("m.properties", "url = mqtt://h.example\nusername = u\npasswordFile = /nonexistent/pw\n");
        ConfigException e = assertThrows(ConfigException.class, () -> MqttConfig.fromFile(f));
        assertEquals("passwordFile", e.key());
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("/nonexistent/pw")
                && e.getMessage().contains("no such file"), e.getMessage());

        ConfigException v = assertThrows(ConfigException.class,
                () -> MqttConfig.load(null, Map.of("MOTE_URL", "mqtt://h", "MOTE_USERNAME", "u", "MOTE_PASSWORD_ENV", "NOT_SET_PW")));
        assertEquals("passwordEnv", v.key());
        assertTrue(v.getMessage().contains("NOT_SET_PW is not set"), v.getMessage());

        ConfigException k = assertThrows(ConfigException.class, () -> MqttConfig.fromUrl("mqtts://h?cert=/nonexistent/c.pem"));
        assertEquals("cert", k.key(), "a certificate without its key");
    }

    @Test
    void secretsNeverInMessages() throws Exception {
        String secret = "Sup3rS3cret";
        ConfigException noUser = assertThrows(ConfigException.class,
                () -> MqttConfig.fromUrl("mqtt://h.example?password=" + secret));
        assertEquals("password", noUser.key());
        assertTrue(noUser.getMessage().startsWith("password (query of the URL): a password needs a user name"), noUser.getMessage());
        assertFalse(noUser.getMessage().contains(secret));
        ConfigException badUrl = assertThrows(ConfigException.class,
                () -> MqttConfig.fromUrl("gopher://u:" + secret + "@h.example"));
        assertEquals("url", badUrl.key());
        assertFalse(badUrl.getMessage().contains(secret), badUrl.getMessage());
        ConfigException badProxy = assertThrows(ConfigException.class,
                () -> MqttConfig.fromUrl("mqtt://h.example?proxy=" + "http://u:" + secret + "@p.example:99999"));
        assertFalse(badProxy.getMessage().contains(secret), badProxy.getMessage());
        Path key = write("key.pem", "-----BEGIN PRIVATE KEY-----\nnot" + secret + "base64!!\n-----END PRIVATE KEY-----\n");
        Path cert = write("cert.pem", "junk");
        ConfigException badKey = assertThrows(ConfigException.class,
                () -> MqttConfig.fromUrl("mqtts://h.example?cert=" + cert + "&key=" + key));
        assertFalse(badKey.getMessage().contains(secret), badKey.getMessage());
        ConfigException bare = assertThrows(ConfigException.class, () -> MqttConfig.fromUrl("mqtt://h.example?" + secret));
        assertFalse(bare.getMessage().contains(secret), bare.getMessage());
        Path pasted = write("pasted.properties", "url = mqtt://h.example\n" + secret + "\n");
        ConfigException line = assertThrows(ConfigException.class, () -> MqttConfig.fromFile(pasted));
        assertTrue(line.getMessage().contains("line 2"), line.getMessage());
        assertFalse(line.getMessage().contains(secret), line.getMessage());
        Path twice = write("twice.properties", "url = mqtt://h.example\nusername = u\npassword = a" + secret + "\npassword = b\n");
        ConfigException dup = assertThrows(ConfigException.class, () -> MqttConfig.fromFile(twice));
        assertTrue(dup.getMessage().contains("given twice"), dup.getMessage());
        assertFalse(dup.getMessage().contains(secret), dup.getMessage());
        MqttOptions o = MqttConfig.fromUrl("mqtt://u:" + secret + "@h.example").build();
        assertFalse(o.toString().contains(secret));
    }

    @Test
    void clientCertificateFromFilesAndFromEnvironment() throws Exception {
        Assumptions.assumeTrue(TestPki.available());
        TestPki pki = new TestPki(dir.resolve("pki"));
        MqttOptions o = MqttConfig.fromUrl("mqtts://localhost:8883?ca=" + pki.caCert + "&cert=" + pki.clientEcCert
                + "&key=" + pki.clientEcPkcs8Key + "&alpn=x-amzn-mqtt-ca").build();
        assertEquals("CN=client-ec", o.tls().clientCertificate().orElseThrow().getSubjectX500Principal().getName());
        Map<String, String> env = Map.of("MOTE_URL", "mqtts://localhost", "MOTE_CERT", pki.clientEcCert.toString(),
                "MOTE_KEY_ENV", "DEVICE_KEY", "DEVICE_KEY", Files.readString(pki.clientEcSec1Key),
                "MOTE_CA_ENV", "ROOT_CA", "ROOT_CA", Files.readString(pki.caCert));
        MqttOptions fromEnv = MqttConfig.load(null, env).build();
        assertEquals("CN=client-ec", fromEnv.tls().clientCertificate().orElseThrow().getSubjectX500Principal().getName());
        assertTrue(fromEnv.tls().describeTrust().contains("ROOT_CA"), fromEnv.tls().describeTrust());
        ConfigException mismatch = assertThrows(ConfigException.class, () -> MqttConfig.fromUrl("mqtts://localhost?cert="
                + pki.clientEcCert + "&key=" + pki.otherEcKey));
        assertEquals("cert", mismatch.key());
        ConfigException p12 = assertThrows(ConfigException.class, () -> MqttConfig.fromUrl("mqtts://localhost?pkcs12="
                + pki.clientP12 + "&pkcs12Password=wrong-one"));
        assertEquals("pkcs12", p12.key());
        assertFalse(p12.getMessage().contains("wrong-one"));
        assertTrue(MqttConfig.fromUrl("mqtts://localhost?pkcs12=" + pki.clientP12 + "&pkcs12Password=" + TestPki.P12_PASSWORD)
                .build().tls().clientCertificate().isPresent());
    }

    @Test
    void brokenFilesNameTheLine() throws Exception {
        Path trailing = write("t.json", "{\"url\": \"mqtt://h\",\n \"clientId\": \"x\",\n}");
        ConfigException e = assertThrows(ConfigException.class, () -> MqttConfig.fromFile(trailing));
        assertTrue(e.getMessage().contains("t.json, line 3"), e.getMessage());
        Path dup = write("d.json", "{\"url\": \"mqtt://h\",\n\"url\": \"mqtt://k\"}");
        assertTrue(assertThrows(ConfigException.class, () -> MqttConfig.fromFile(dup)).getMessage().contains("twice"));
        Path nul = write("n.json", "{\"url\": \"mqtt://h\", \"clientId\": null}");
        assertEquals("clientId", assertThrows(ConfigException.class, () -> MqttConfig.fromFile(nul)).key());
        Path noUrl = write("nourl.properties", "clientId = x\n");
        assertEquals("url", assertThrows(ConfigException.class, () -> MqttConfig.fromFile(noUrl)).key());
        assertNull(assertThrows(ConfigException.class, () -> MqttConfig.fromFile(dir.resolve("absent.json"))).key());
        Path line = write("l.properties", "url = mqtt://h\njust-a-word\n");
        assertTrue(assertThrows(ConfigException.class, () -> MqttConfig.fromFile(line)).getMessage().contains("line 2"));
    }

    @Test
    void everyKeyIsDocumented() throws Exception {
        Path doc = Path.of("..", "docs", "config.md");
        Assumptions.assumeTrue(Files.exists(doc), "docs/config.md beside the module");
        String text = Files.readString(doc);
        for (ConfigKeys.Key k : ConfigKeys.KEYS) {
            assertTrue(text.contains("`" + k.name() + "`"), "docs/config.md lacks the key " + k.name());
        }
        assertEquals("MOTE_PKCS12_PASSWORD_FILE", MqttConfig.environmentVariable("pkcs12PasswordFile"));
        assertEquals("MOTE_QOS2_IN_FLIGHT_WINDOW", MqttConfig.environmentVariable("qos2InFlightWindow"));
    }
}
