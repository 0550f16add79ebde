package dev.mote.it.ws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.TlsConfig;
import dev.mote.it.socks.TestSocksProxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MQTT over WebSocket against a real broker's WebSocket listeners (embedded HiveMQ CE): publish and
 * subscribe at every QoS over {@code ws://} and {@code wss://}, messages far larger than a frame,
 * extra upgrade headers on the wire, and what a real server's refusals look like.
 */
@ExtendWith(WsHiveMq.Fixture.class)
class WebSocketHiveMqTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration RECEIVE = Duration.ofSeconds(10);

    static WsHiveMq broker;
    static TlsConfig trustCa;

    @BeforeAll
    static void setUp() {
        broker = WsHiveMq.running();
        trustCa = TlsConfig.builder().trustPem(broker.pki.caCert).build();
    }

    private static String url(String scheme) {
        return scheme.equals("ws") ? "ws://127.0.0.1:" + broker.ws + "/mqtt" : "wss://localhost:" + broker.wss + "/mqtt";
    }

    private static MqttOptions.Builder options(String url, String clientId) {
        MqttOptions.Builder b = MqttOptions.builder(url).clientId(clientId).connectTimeout(TIMEOUT);
        return url.startsWith("wss") ? b.tls(trustCa) : b;
    }

    private static MqttException refused(MqttOptions options) {
        long start = System.nanoTime();
        MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(options).close());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms < options.connectTimeout().toMillis(), "the refusal took " + ms + " ms; it must not wait for the timeout");
        return e;
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "wss"})
    void publishesAndReceivesAtEveryQos(String scheme) {
        String url = url(scheme);
        try (MqttClient sub = MqttClient.connect(options(url, scheme + "-sub").build());
             MqttClient pub = MqttClient.connect(options(url, scheme + "-pub").build());
             Subscription s = sub.subscribe(scheme + "/qos/#", Qos.EXACTLY_ONCE)) {
            assertTrue(sub.alpnProtocol().isEmpty(), "no ALPN under a WebSocket");
            for (Qos qos : Qos.values()) {
                for (int i = 0; i < 3; i++) {
                    pub.publish(scheme + "/qos/" + qos.value(), qos + " #" + i, qos);
                }
            }
            // in order per topic; the three topics may interleave
            Map<String, List<String>> got = new LinkedHashMap<>();
            for (int i = 0; i < 9; i++) {
                Message m = s.receive(RECEIVE);
                assertNotNull(m, "message " + i + " of 9 over " + scheme);
                assertEquals(Qos.values()[Integer.parseInt(m.topic().substring(m.topic().length() - 1))], m.qos(), m.toString());
                got.computeIfAbsent(m.topic(), k -> new java.util.ArrayList<>()).add(m.payloadAsString());
            }
            for (Qos qos : Qos.values()) {
                assertEquals(List.of(qos + " #0", qos + " #1", qos + " #2"), got.get(scheme + "/qos/" + qos.value()));
            }
            assertTrue(pub.ping().toMillis() < 5_000);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "wss"})
    void messagesLargerThanAFrameArriveWhole(String scheme) {
        // 3 MiB: the client sends it as 49 binary frames of at most 64 KiB; HiveMQ sends it back in its own framing.
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(big);
        String url = url(scheme);
        try (MqttClient sub = MqttClient.connect(options(url, scheme + "-big-sub").build());
             MqttClient pub = MqttClient.connect(options(url, scheme + "-big-pub").build());
             Subscription s = sub.subscribe(scheme + "/big", Qos.AT_LEAST_ONCE)) {
            for (Qos qos : Qos.values()) {
                pub.publish(scheme + "/big", big, qos);
                Message m = s.receive(RECEIVE);
                assertNotNull(m, "the " + big.length + "-byte message at " + qos);
                assertArrayEquals(big, m.payload());
            }
            // small packets still flow after the big ones
            pub.publish(scheme + "/big", "small", Qos.AT_LEAST_ONCE);
            assertEquals("small", s.receive(RECEIVE).payloadAsString());
        }
    }

    @Test
    void extraHeadersGoOutWithTheUpgradeRequest() throws Exception {
        // The request is seen on the wire by a proxy in front of the ws:// listener (HiveMQ CE does not
        // show upgrade headers to extensions); HiveMQ then accepts the upgrade.
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer mote-test-token");
        headers.put("X-Device", "sensor-17");
        try (TestHttpProxy proxy = new TestHttpProxy();
             MqttClient c = MqttClient.connect(options(url("ws"), "ws-headers").webSocketHeaders(headers)
                     .httpProxy("127.0.0.1", proxy.port()).build());
             Subscription s = c.subscribe("ws/headers", Qos.AT_LEAST_ONCE)) {
            c.publish("ws/headers", "with headers", Qos.AT_LEAST_ONCE);
            assertEquals("with headers", s.receive(RECEIVE).payloadAsString());
            String upgrade = new String(proxy.tunnelStarts().get(0), StandardCharsets.ISO_8859_1);
            assertTrue(upgrade.startsWith("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:" + broker.ws + "\r\n"), upgrade);
            assertTrue(upgrade.contains("\r\nSec-WebSocket-Protocol: mqtt\r\n"), upgrade);
            assertTrue(upgrade.contains("\r\nAuthorization: Bearer mote-test-token\r\nX-Device: sensor-17\r\n\r\n"), upgrade);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "wss"})
    void throughASocksProxyToo(String scheme) throws Exception {
        // the SOCKS5 tunnel of socksProxy(...) carries WebSocket like TCP and TLS; the proxy resolves the name
        try (TestSocksProxy socks = TestSocksProxy.start().requireLogin("mote", "s3cret").alias("broker.invalid", "127.0.0.1")) {
            String url = url(scheme).replace("127.0.0.1", "broker.invalid");
            if (scheme.equals("wss")) {
                url = url.replace("localhost", "broker.invalid");
            }
            TlsConfig lax = TlsConfig.builder().trustPem(broker.pki.caCert).dangerouslyDisableHostnameVerification().build();
            MqttOptions.Builder o = MqttOptions.builder(url).clientId(scheme + "-socks").connectTimeout(TIMEOUT)
                    .proxy("socks5://mote:s3cret@127.0.0.1:" + socks.port());
            try (MqttClient c = MqttClient.connect((scheme.equals("wss") ? o.tls(lax) : o).build());
                 Subscription s = c.subscribe(scheme + "/socks", Qos.EXACTLY_ONCE)) {
                c.publish(scheme + "/socks", "through SOCKS", Qos.EXACTLY_ONCE);
                assertEquals("through SOCKS", s.receive(RECEIVE).payloadAsString());
            }
            assertEquals(List.of(new TestSocksProxy.Request(5, 3, "broker.invalid", scheme.equals("ws") ? broker.ws : broker.wss, "mote")),
                    socks.requests());
        }
    }

    @Test
    void aServerThatDoesNotSelectMqttIsRefused() {
        // HiveMQ's /v31 listener speaks only the subprotocol mqttv3.1 ([MQTT-6.0.0-4] wants mqtt)
        MqttException e = refused(options("ws://127.0.0.1:" + broker.wsV31 + "/v31", "ws-v31").build());
        // HiveMQ answers 101 without the header when it supports none of the offered subprotocols
        assertEquals("cannot connect to ws://127.0.0.1:" + broker.wsV31 + ": the WebSocket server 127.0.0.1:" + broker.wsV31
                + " did not select the WebSocket subprotocol mqtt (its answer has no Sec-WebSocket-Protocol); an MQTT server "
                + "must ([MQTT-6.0.0-4]). Is /v31 an MQTT endpoint?", e.getMessage());
    }

    @Test
    void aWrongPathIsBoundedByTheConnectTimeout() {
        // HiveMQ does not answer an upgrade request for a path it does not serve: the connect timeout ends the wait.
        MqttOptions o = options("ws://127.0.0.1:" + broker.ws + "/not-mqtt", "ws-path").connectTimeout(Duration.ofSeconds(1)).build();
        long start = System.nanoTime();
        MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(o).close());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals("cannot connect to ws://127.0.0.1:" + broker.ws + ": the WebSocket server 127.0.0.1:" + broker.ws
                + " did not answer the WebSocket upgrade request within 1000 ms of connecting", e.getMessage());
        assertTrue(ms >= 900 && ms < 5_000, "took " + ms + " ms");
    }

    @Test
    void wssChecksTheCertificateAndItsHostName() {
        // the certificate names localhost only
        MqttException wrongHost = refused(options("wss://127.0.0.1:" + broker.wss + "/mqtt", "wss-ip").build());
        assertTrue(wrongHost.getMessage().contains("certificate for localhost does not match host 127.0.0.1"), wrongHost.getMessage());
        MqttException untrusted = refused(MqttOptions.builder(url("wss")).clientId("wss-untrusted").connectTimeout(TIMEOUT).build());
        assertTrue(untrusted.getMessage().contains("server certificate not trusted: localhost (issued by CN=Mote WebSocket Test CA)"),
                untrusted.getMessage());
        // what the JDK's HttpClient could not do per connection: accept the wrong name, still checking the chain
        TlsConfig lax = TlsConfig.builder().trustPem(broker.pki.caCert).dangerouslyDisableHostnameVerification().build();
        try (MqttClient c = MqttClient.connect(MqttOptions.builder("wss://127.0.0.1:" + broker.wss + "/mqtt").clientId("wss-lax")
                .tls(lax).connectTimeout(TIMEOUT).build())) {
            assertTrue(c.isConnected());
        }
    }

    @Test
    void plainWebSocketToTheTlsPortSaysSo() {
        // HiveMQ's TLS listener hangs up on a plain HTTP request
        MqttException e = refused(options("ws://127.0.0.1:" + broker.wss + "/mqtt", "ws-to-wss").build());
        assertEquals("cannot connect to ws://127.0.0.1:" + broker.wss + ": the WebSocket server 127.0.0.1:" + broker.wss
                + " closed the connection without answering", e.getMessage());
    }

    @Test
    void anAlternateWssServerIsReachedAfterADeadWsOne() {
        int dead;
        try {
            dead = WsHiveMq.freePorts(1)[0];
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        MqttOptions o = MqttOptions.builder("ws://127.0.0.1:" + dead + "/mqtt").alternateServers(url("wss"))
                .clientId("ws-failover").tls(trustCa).connectTimeout(TIMEOUT).build();
        try (MqttClient c = MqttClient.connect(o)) {
            assertTrue(c.isConnected());
            assertEquals(List.of("ws", "wss"), o.servers().stream().map(MqttOptions.Server::scheme).toList());
        }
    }
}
