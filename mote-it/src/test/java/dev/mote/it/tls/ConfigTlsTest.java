package dev.mote.it.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttConfig;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Mutual TLS configured from a file, the environment and a URL, against Mosquitto and an AWS-style ALPN front end. */
class ConfigTlsTest extends AwsFrontEndFixture {
    private static void roundTrip(MqttClient c, String topic) {
        try (Subscription s = c.subscribe(topic, Qos.AT_LEAST_ONCE)) {
            c.publish(topic, "configured", Qos.AT_LEAST_ONCE);
            assertEquals("configured", s.receive(Duration.ofSeconds(5)).payloadAsString());
        }
    }

    @Test
    void jsonFileWithRelativePemPathsConnectsWithTheClientCertificate() throws Exception {
        Path conf = dir.resolve("pki").resolve("device.json"); // beside the PEM files: relative paths resolve there
        Files.writeString(conf, """
                {
                  "url": "mqtts://localhost:%d",
                  "clientId": "configured-json",
                  "ca": "ca.pem",
                  "cert": "%s",
                  "key": "%s",
                  "keepAlive": "30s",
                  "connectTimeout": "5s"
                }
                """.formatted(broker.mutual, pki.clientEcCert.getFileName(), pki.clientEcSec1Key.getFileName()));
        try (MqttClient c = MqttClient.connect(conf)) {
            assertEquals("configured-json", c.clientId());
            roundTrip(c, "config/json");
        }
    }

    @Test
    void propertiesFileWithTheKeyInAnEnvironmentVariable() throws Exception {
        Path conf = Files.writeString(dir.resolve("device.properties"), """
                url = mqtts://localhost:%d
                clientId = configured-props
                ca = %s
                cert = %s
                """.formatted(broker.mutual, pki.caCert, pki.clientRsaCert));
        Map<String, String> env = Map.of("MOTE_KEY_ENV", "DEVICE_KEY", "DEVICE_KEY", Files.readString(pki.clientRsaPkcs8Key),
                "MOTE_CONNECT_TIMEOUT", "5s");
        try (MqttClient c = MqttClient.connect(MqttConfig.load(conf, env).build())) {
            roundTrip(c, "config/props");
        }
    }

    @Test
    void withoutTheCertificateTheMutualListenerRefuses() throws Exception {
        Path conf = Files.writeString(dir.resolve("nocert.properties"), """
                url = mqtts://localhost:%d
                ca = %s
                connectTimeout = 5s
                reconnect = false
                """.formatted(broker.mutual, pki.caCert));
        assertThrows(MqttException.class, () -> MqttClient.connect(MqttConfig.load(conf, Map.of()).build()));
    }

    @Test
    void urlWithAlpnThroughAnAwsStyleFrontEndOn443() {
        String url = "mqtts://localhost:" + frontEnd.port() + "?clientId=configured-alpn&alpn=" + AWS + "&ca=" + pki.caCert
                + "&cert=" + pki.clientEcCert + "&key=" + pki.clientEcPkcs8Key + "&connectTimeout=5s";
        try (MqttClient c = MqttClient.connect(MqttConfig.fromUrl(url).build())) {
            assertEquals(Optional.of(AWS), c.alpnProtocol());
            roundTrip(c, "config/alpn");
        }
    }
}
