package dev.mote.it.tls;

import dev.mote.mqtt.internal.tls.TestPki;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.MqttTransport;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.TlsConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Mote against Mosquitto's TLS listeners: pub/sub at every QoS, mutual TLS with every key form, and every refusal. */
class MosquittoTlsTest extends TlsMosquittoFixture {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    static TlsConfig trustCa;

    @BeforeAll
    static void trustTheCa() {
        trustCa = TlsConfig.builder().trustPem(pki.caCert).build();
    }

    private static MqttOptions.Builder options(String url, String clientId) {
        return MqttOptions.builder(url).clientId(clientId).connectTimeout(CONNECT_TIMEOUT);
    }

    private static MqttException refused(MqttOptions options) {
        long start = System.nanoTime();
        MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(options).close());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms < CONNECT_TIMEOUT.toMillis(), "the refusal took " + ms + " ms, it must not wait for the timeout");
        return e;
    }

    @Test
    void publishesAndReceivesAtEveryQosOverTls() {
        String url = "mqtts://localhost:" + broker.serverAuth;
        try (MqttClient sub = MqttClient.connect(options(url, "tls-sub").tls(trustCa).build());
             MqttClient pub = MqttClient.connect(options(url, "tls-pub").tls(trustCa).build());
             Subscription s = sub.subscribe("tls/qos/#", Qos.EXACTLY_ONCE)) {
            assertTrue(sub.alpnProtocol().isEmpty());
            Set<String> expected = new HashSet<>();
            for (Qos qos : Qos.values()) {
                String payload = "over TLS at " + qos;
                pub.publish("tls/qos/" + qos.value(), payload, qos);
                expected.add(payload);
            }
            // A payload larger than one TLS record (16 KiB) travels in several.
            byte[] big = new byte[200_000];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) i;
            }
            pub.publish("tls/qos/big", big, Qos.AT_LEAST_ONCE);
            Set<String> got = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                Message m = s.receive(Duration.ofSeconds(5));
                assertNotNull(m, "message " + i + " did not arrive");
                got.add(m.payloadAsString());
                assertEquals("tls/qos/" + m.qos().value(), m.topic());
            }
            assertEquals(expected, got);
            Message m = s.receive(Duration.ofSeconds(5));
            assertNotNull(m);
            assertTrue(java.util.Arrays.equals(big, m.payload()));
        }
    }

    @Test
    void ipAddressAndTheSynonymSchemesWork() {
        for (String url : new String[] {"ssl://127.0.0.1:" + broker.serverAuth, "tls://localhost:" + broker.serverAuth}) {
            try (MqttClient c = MqttClient.connect(options(url, "tls-syn").tls(trustCa).build())) {
                assertTrue(c.ping().toMillis() < 5000);
            }
        }
    }

    static Stream<Arguments> clientIdentities() {
        return Stream.of(
                Arguments.of("PKCS#1 RSA key", TlsConfig.builder().trustPem(pki.caCert).clientCertificate(pki.clientRsaCert, pki.clientRsaPkcs1Key)),
                Arguments.of("PKCS#8 RSA key", TlsConfig.builder().trustPem(pki.caCert).clientCertificate(pki.clientRsaCert, pki.clientRsaPkcs8Key)),
                Arguments.of("SEC1 EC key", TlsConfig.builder().trustPem(pki.caCert).clientCertificate(pki.clientEcCert, pki.clientEcSec1Key)),
                Arguments.of("PKCS#8 EC key", TlsConfig.builder().trustPem(pki.caCert).clientCertificate(pki.clientEcCert, pki.clientEcPkcs8Key)),
                Arguments.of("PKCS#12", TlsConfig.builder().trustPem(pki.caCert).clientPkcs12(pki.clientP12, TestPki.P12_PASSWORD.toCharArray())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clientIdentities")
    void mutualTlsWithEachKeyForm(String form, TlsConfig.Builder tls) {
        try (MqttClient c = MqttClient.connect(options("mqtts://localhost:" + broker.mutual, "mtls").tls(tls.build()).build());
             Subscription s = c.subscribe("mtls/echo", Qos.AT_LEAST_ONCE)) {
            c.publish("mtls/echo", form, Qos.AT_LEAST_ONCE);
            assertEquals(form, s.receive(Duration.ofSeconds(5)).payloadAsString());
        }
    }

    @Test
    void mutualTlsWithoutAClientCertificateIsRefusedClearly() {
        MqttException e = refused(options("mqtts://localhost:" + broker.mutual, "mtls-none").tls(trustCa).build());
        assertTrue(e.getMessage().contains("the server requires a client certificate")
                        || e.getMessage().contains("no client certificate is configured"), e.getMessage());
    }

    @Test
    void clientCertificateFromAnUntrustedCaIsRefusedClearly() {
        TlsConfig tls = TlsConfig.builder().trustPem(pki.caCert).clientCertificate(pki.untrustedClientCert, pki.clientEcSec1Key).build();
        for (int i = 0; i < 5; i++) { // the server's verdict races our last handshake writes: both outcomes must read well
            MqttException e = refused(options("mqtts://localhost:" + broker.mutual, "mtls-untrusted").tls(tls).build());
            assertTrue(e.getMessage().contains("client certificate") && e.getMessage().contains("CN=client-untrusted"), e.getMessage());
        }
    }

    @Test
    void wrongHostIsRefusedUnlessVerificationIsDangerouslyDisabled() {
        MqttException e = refused(options("mqtts://localhost:" + broker.wrongHost, "wrong").tls(trustCa).build());
        assertEquals("cannot connect to mqtts://localhost:" + broker.wrongHost + ": TLS handshake with localhost:" + broker.wrongHost
                + " failed: certificate for wrong.example does not match host localhost", e.getMessage());
        TlsConfig lax = TlsConfig.builder().trustPem(pki.caCert).dangerouslyDisableHostnameVerification().build();
        try (MqttClient c = MqttClient.connect(options("mqtts://localhost:" + broker.wrongHost, "wrong-ok").tls(lax).build())) {
            assertTrue(c.isConnected());
        }
    }

    @Test
    void expiredCertificateIsRefused() {
        MqttException e = refused(options("mqtts://localhost:" + broker.expired, "expired").tls(trustCa).build());
        assertTrue(e.getMessage().endsWith("failed: server certificate expired: localhost was valid until 2020-02-01T00:00:00Z"),
                e.getMessage());
    }

    @Test
    void untrustedCaIsRefused() {
        MqttException e = refused(options("mqtts://localhost:" + broker.untrusted, "untrusted").tls(trustCa).build());
        assertTrue(e.getMessage().contains("failed: server certificate not trusted: localhost (issued by CN=Untrusted Test CA)"),
                e.getMessage());
        // An mqtts:// URL without tls(...) trusts the JDK's store, which does not know the test CA.
        MqttException d = refused(options("mqtts://localhost:" + broker.serverAuth, "jdk-trust").build());
        assertTrue(d.getMessage().endsWith("does not chain to a CA in the JDK's default trust store"), d.getMessage());
    }

    @Test
    void plainTcpListenerWithAnMqttsUrlFailsClearlyWithoutHanging() {
        MqttException e = refused(options("mqtts://localhost:" + broker.plain, "plain").tls(trustCa).build());
        assertTrue(e.getMessage().startsWith("cannot connect to mqtts://localhost:" + broker.plain + ": TLS handshake with localhost:"
                + broker.plain + " failed: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(plain TCP broker on a TLS port?)"), e.getMessage());
    }

    @Test
    void keyThatDoesNotMatchTheCertificateFailsWhenTheConfigIsBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsConfig.builder().clientCertificate(pki.clientRsaCert, pki.otherRsaKey));
        assertTrue(e.getMessage().startsWith("the private key in " + pki.otherRsaKey + " does not match the certificate in "
                + pki.clientRsaCert), e.getMessage());
    }

    @Test
    void userTransportOverASocketChannel() {
        MqttOptions options = options("mqtt://localhost:" + broker.plain, "own-transport")
                .transport((host, port, timeout) -> {
                    SocketChannel ch = SocketChannel.open(new InetSocketAddress(host, port));
                    return new MqttTransport() {
                        @Override
                        public int read(ByteBuffer dst) throws IOException {
                            return ch.read(dst);
                        }

                        @Override
                        public void write(ByteBuffer src) throws IOException {
                            while (src.hasRemaining()) {
                                ch.write(src);
                            }
                        }

                        @Override
                        public void close() {
                            try {
                                ch.close();
                            } catch (IOException ignored) {
                                // gone
                            }
                        }
                    };
                })
                .build();
        try (MqttClient c = MqttClient.connect(options); Subscription s = c.subscribe("own/t", Qos.EXACTLY_ONCE)) {
            c.publish("own/t", "via my transport", Qos.EXACTLY_ONCE);
            assertEquals("via my transport", s.receive(Duration.ofSeconds(5)).payloadAsString());
        }
    }
}
