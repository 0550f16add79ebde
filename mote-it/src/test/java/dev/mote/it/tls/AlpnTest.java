package dev.mote.it.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.TlsConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** ALPN through a front end that, like AWS IoT Core on port 443, admits only x-amzn-mqtt-ca, relaying to Mosquitto. */
class AlpnTest extends AwsFrontEndFixture {
    private static MqttOptions options(int port, TlsConfig tls) {
        return MqttOptions.builder("mqtts://localhost:" + port).clientId("alpn").tls(tls)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Test
    void connectsWithTheExpectedProtocolAndReportsIt() {
        TlsConfig tls = TlsConfig.builder().trustPem(pki.caCert)
                .clientCertificate(pki.clientRsaCert, pki.clientRsaPkcs1Key).alpn(AWS).build();
        try (MqttClient c = MqttClient.connect(options(frontEnd.port(), tls));
             Subscription s = c.subscribe("alpn/t", Qos.AT_LEAST_ONCE)) {
            assertEquals(Optional.of(AWS), c.alpnProtocol());
            c.publish("alpn/t", "through the front end", Qos.AT_LEAST_ONCE);
            assertEquals("through the front end", s.receive(Duration.ofSeconds(5)).payloadAsString());
        }
        assertTrue(frontEnd.offers.contains(List.of(AWS)), frontEnd.offers.toString());
        assertTrue(frontEnd.sniNames.contains("localhost"), "SNI carries the host name: " + frontEnd.sniNames);
    }

    @Test
    void withoutAlpnTheFrontEndRefusesAndTheErrorSaysWhatToSet() {
        TlsConfig tls = TlsConfig.builder().trustPem(pki.caCert).build();
        MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(options(frontEnd.port(), tls)));
        assertEquals("cannot connect to mqtts://localhost:" + frontEnd.port() + ": TLS handshake with localhost:" + frontEnd.port()
                + " failed: the server requires an ALPN protocol (TLS alert no_application_protocol); set one with "
                + "TlsConfig.Builder.alpn(...), e.g. x-amzn-mqtt-ca for AWS IoT on port 443", e.getMessage());
    }

    @Test
    void anotherProtocolIsRefusedByName() {
        TlsConfig tls = TlsConfig.builder().trustPem(pki.caCert).alpn("mqtt").build();
        MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(options(frontEnd.port(), tls)));
        assertTrue(e.getMessage().endsWith("failed: the server did not accept ALPN protocol mqtt (TLS alert no_application_protocol)"),
                e.getMessage());
    }

    @Test
    void aServerWithoutAlpnConnectsAndReportsNone() {
        TlsConfig tls = TlsConfig.builder().trustPem(pki.caCert).alpn(AWS).build();
        try (MqttClient c = MqttClient.connect(options(broker.serverAuth, tls))) {
            assertEquals(Optional.empty(), c.alpnProtocol());
        }
    }
}
