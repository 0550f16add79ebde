package dev.mote.it.tls;

import dev.mote.mqtt.internal.tls.TestPki;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.it.socks.TestSocksProxy;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.SocksProxy;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.TlsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mqtts://} through SOCKS5 and SOCKS4a proxies to Mosquitto's TLS listeners (here, next to
 * the TLS tests, to share their certificates and broker): TLS runs end to end through the
 * tunnel, so the broker's certificate is still checked against the broker's host name.
 */
class SocksTlsTest {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    static Path dir;
    static TestPki pki;
    static TlsMosquitto broker;
    static TlsConfig trustCa;
    TestSocksProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        broker = TlsMosquitto.startWithPki(dir);
        pki = broker.pki;
        trustCa = TlsConfig.builder().trustPem(pki.caCert).build();
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void startProxy() throws Exception {
        proxy = TestSocksProxy.start();
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    private static MqttOptions.Builder options(String url, String clientId) {
        return MqttOptions.builder(url).clientId(clientId).connectTimeout(CONNECT_TIMEOUT).tls(trustCa);
    }

    @Test
    void publishesAndReceivesAtEveryQosOverTlsThroughSocks5WithAPassword() {
        proxy.requireLogin("alice", "s3cr3t");
        String url = "mqtts://localhost:" + broker.serverAuth;
        SocksProxy socks = SocksProxy.socks5("127.0.0.1", proxy.port(), "alice", "s3cr3t");
        try (MqttClient sub = MqttClient.connect(options(url, "socks-tls-sub").socksProxy(socks).build());
             MqttClient pub = MqttClient.connect(options(url, "socks-tls-pub").socksProxy(socks).build());
             Subscription s = sub.subscribe("socks/tls/#", Qos.EXACTLY_ONCE)) {
            Set<String> expected = new HashSet<>();
            for (Qos qos : Qos.values()) {
                String payload = "TLS through SOCKS5 at " + qos;
                pub.publish("socks/tls/" + qos.value(), payload, qos);
                expected.add(payload);
            }
            byte[] big = new byte[100_000]; // several TLS records
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) (i * 7);
            }
            pub.publish("socks/tls/big", big, Qos.AT_LEAST_ONCE);
            Set<String> got = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                Message m = s.receive(Duration.ofSeconds(5));
                assertNotNull(m, "message " + i + " did not arrive");
                got.add(m.payloadAsString());
            }
            assertEquals(expected, got);
            Message m = s.receive(Duration.ofSeconds(5));
            assertNotNull(m);
            assertArrayEquals(big, m.payload());
        }
        TestSocksProxy.Request asked = new TestSocksProxy.Request(5, 3, "localhost", broker.serverAuth, "alice");
        assertEquals(List.of(asked, asked), proxy.requests(), "the proxy was asked for the name localhost");
    }

    @Test
    void publishesOverTlsThroughSocks4a() {
        String url = "mqtts://localhost:" + broker.serverAuth;
        try (MqttClient c = MqttClient.connect(options(url, "socks4a-tls").socksProxy("socks4a://127.0.0.1:" + proxy.port()).build());
             Subscription s = c.subscribe("socks4a/tls", Qos.EXACTLY_ONCE)) {
            c.publish("socks4a/tls", "TLS through SOCKS4a", Qos.EXACTLY_ONCE);
            assertEquals("TLS through SOCKS4a", s.receive(Duration.ofSeconds(5)).payloadAsString());
            assertTrue(c.ping().toMillis() < 5_000);
        }
        assertEquals(List.of(new TestSocksProxy.Request(4, 3, "localhost", broker.serverAuth, null)), proxy.requests());
    }

    @Test
    void theCertificateIsStillCheckedAgainstTheBrokersName() {
        String url = "mqtts://localhost:" + broker.wrongHost;
        MqttException e = assertThrows(MqttException.class,
                () -> MqttClient.connect(options(url, "socks-tls-wrong").socksProxy("127.0.0.1", proxy.port()).build()).close());
        assertEquals("cannot connect to " + url + ": TLS handshake with localhost:" + broker.wrongHost
                + " failed: certificate for wrong.example does not match host localhost", e.getMessage());
    }

    @Test
    void aTlsHandshakeThatNeverEndsIsBoundedByTheConnectTimeoutThroughTheProxy() throws Exception {
        // The proxy connects to a port that accepts and stays silent: the TLS handshake must give up in time.
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            String url = "mqtts://localhost:" + silent.getLocalPort();
            Duration timeout = Duration.ofMillis(800);
            long start = System.nanoTime();
            MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(options(url, "socks-tls-silent")
                    .connectTimeout(timeout).socksProxy("127.0.0.1", proxy.port()).build()).close());
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals("cannot connect to " + url + ": TLS handshake with localhost:" + silent.getLocalPort()
                    + " did not finish within 800 ms of connecting", e.getMessage());
            assertTrue(ms < 3_000, "took " + ms + " ms");
        }
    }
}
