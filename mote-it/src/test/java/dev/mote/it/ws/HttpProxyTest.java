package dev.mote.it.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.mqtt.ConnectionEvent;
import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.TlsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MQTT through an HTTP CONNECT proxy (a small one of the tests', {@link TestHttpProxy}) to real
 * brokers: TCP and TLS to Mosquitto and HiveMQ, WebSocket and WebSocket over TLS to HiveMQ, with
 * and without Basic credentials; and every way the proxy can say no.
 */
@ExtendWith(WsHiveMq.Fixture.class)
class HttpProxyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String USER = "mote";
    private static final String PASSWORD = "pä ss:wörd";

    @TempDir
    static Path dir;
    static WsHiveMq hivemq;
    static WsMosquitto mosquitto;
    static TlsConfig trustCa;
    static TestHttpProxy open;
    static TestHttpProxy guarded;

    @BeforeAll
    static void start() throws Exception {
        hivemq = WsHiveMq.running();
        trustCa = TlsConfig.builder().trustPem(hivemq.pki.caCert).build();
        if (WsMosquitto.available()) {
            mosquitto = new WsMosquitto(hivemq.pki);
        }
        open = new TestHttpProxy();
        guarded = new TestHttpProxy(USER, PASSWORD);
    }

    @AfterAll
    static void stop() throws IOException {
        if (mosquitto != null) {
            mosquitto.close();
        }
        if (open != null) {
            open.close();
        }
        if (guarded != null) {
            guarded.close();
        }
    }

    static Stream<Arguments> brokers() {
        return Stream.of(
                Arguments.of("mosquitto tcp", "mqtt"),
                Arguments.of("mosquitto tls", "mqtts"),
                Arguments.of("hivemq tcp", "mqtt"),
                Arguments.of("hivemq tls", "mqtts"),
                Arguments.of("hivemq ws", "ws"),
                Arguments.of("hivemq wss", "wss"));
    }

    private static String url(String broker) {
        return switch (broker) {
            case "mosquitto tcp" -> "mqtt://127.0.0.1:" + mosquitto.tcp;
            case "mosquitto tls" -> "mqtts://localhost:" + mosquitto.tls;
            case "hivemq tcp" -> "mqtt://127.0.0.1:" + hivemq.tcp;
            case "hivemq tls" -> "mqtts://localhost:" + hivemq.tls;
            case "hivemq ws" -> "ws://127.0.0.1:" + hivemq.ws + "/mqtt";
            case "hivemq wss" -> "wss://localhost:" + hivemq.wss + "/mqtt";
            default -> throw new IllegalArgumentException(broker);
        };
    }

    private static int port(String broker) {
        return java.net.URI.create(url(broker)).getPort();
    }

    private static MqttOptions.Builder options(String url, String clientId) {
        MqttOptions.Builder b = MqttOptions.builder(url).clientId(clientId).connectTimeout(TIMEOUT);
        return url.startsWith("mqtts") || url.startsWith("wss") ? b.tls(trustCa) : b;
    }

    private static void roundTrip(MqttOptions.Builder sub, MqttOptions.Builder pub, String topic) {
        try (MqttClient s = MqttClient.connect(sub.build());
             MqttClient p = MqttClient.connect(pub.build());
             Subscription messages = s.subscribe(topic, Qos.EXACTLY_ONCE)) {
            for (Qos qos : Qos.values()) {
                p.publish(topic, "via proxy at " + qos, qos);
                Message m = messages.receive(TIMEOUT);
                assertNotNull(m, qos + " through the proxy");
                assertEquals("via proxy at " + qos, m.payloadAsString());
            }
        }
    }

    private static MqttException refused(MqttOptions options) {
        long start = System.nanoTime();
        MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(options).close());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms < options.connectTimeout().toMillis(), "the refusal took " + ms + " ms; it must not wait for the timeout");
        assertFalse(e.getMessage().contains(PASSWORD), "never the password: " + e.getMessage());
        return e;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokers")
    void everyTransportGoesThroughAProxyWithoutCredentials(String broker, String scheme) {
        assumeTrue(!broker.startsWith("mosquitto") || mosquitto != null, "mosquitto is not installed (apt-get install mosquitto)");
        int before = open.requests().size();
        String id = broker.replace(' ', '-');
        roundTrip(options(url(broker), id + "-sub").httpProxy("127.0.0.1", open.port()),
                options(url(broker), id + "-pub").httpProxy("127.0.0.1", open.port()), "proxy/open/" + id);
        String host = url(broker).contains("localhost") ? "localhost" : "127.0.0.1";
        List<String> mine = open.requests().subList(before, open.requests().size());
        assertEquals(2, mine.size(), "one CONNECT per client");
        assertEquals("CONNECT " + host + ":" + port(broker) + " HTTP/1.1\r\nHost: " + host + ":" + port(broker) + "\r\n\r\n",
                mine.get(0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokers")
    void everyTransportGoesThroughAProxyWithBasicCredentials(String broker, String scheme) {
        assumeTrue(!broker.startsWith("mosquitto") || mosquitto != null, "mosquitto is not installed (apt-get install mosquitto)");
        int before = guarded.tunnelStarts().size();
        String id = broker.replace(' ', '-');
        roundTrip(options(url(broker), id + "-bsub").httpProxy("127.0.0.1", guarded.port(), USER, PASSWORD),
                options(url(broker), id + "-bpub").proxy("http://" + USER + ":p%C3%A4%20ss%3Aw%C3%B6rd@127.0.0.1:" + guarded.port()),
                "proxy/basic/" + id);
        String credentials = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        assertTrue(guarded.requests().get(guarded.requests().size() - 1).contains("\r\nProxy-Authorization: Basic " + credentials
                + "\r\n"));
        // what the proxy saw inside the tunnel: MQTT's CONNECT, a TLS ClientHello, or the WebSocket upgrade
        byte[] first = guarded.tunnelStarts().get(before);
        switch (scheme) {
            case "mqtt" -> assertEquals(0x10, first[0] & 0xFF, "an MQTT CONNECT packet");
            case "mqtts", "wss" -> assertEquals(0x16, first[0] & 0xFF, "a TLS handshake record: the proxy sees no MQTT");
            default -> assertTrue(new String(first, StandardCharsets.ISO_8859_1).startsWith("GET /mqtt HTTP/1.1\r\n"));
        }
    }

    @Test
    void wrongCredentialsAreRefusedWith407() {
        for (String broker : List.of("hivemq tcp", "hivemq tls", "hivemq ws", "hivemq wss")) {
            MqttException e = refused(options(url(broker), "wrong-creds").httpProxy("127.0.0.1", guarded.port(), USER, "guess").build());
            String server = url(broker).replaceAll("/mqtt$", "");
            assertEquals("cannot connect to " + server + ": the HTTP proxy 127.0.0.1:" + guarded.port()
                    + " refused the credentials of user \"mote\" (\"HTTP/1.1 407 Proxy Authentication Required\")", e.getMessage());
        }
    }

    @Test
    void missingCredentialsAreAskedFor() {
        MqttException e = refused(options(url("hivemq wss"), "no-creds").httpProxy("127.0.0.1", guarded.port()).build());
        assertEquals("cannot connect to wss://localhost:" + hivemq.wss + ": the HTTP proxy 127.0.0.1:" + guarded.port()
                + " requires authentication (\"HTTP/1.1 407 Proxy Authentication Required\", it asks for basic); give a user "
                + "name and password with MqttOptions.Builder.httpProxy(host, port, user, password)", e.getMessage());
    }

    @Test
    void aProxyThatIsDownIsNamed() throws IOException {
        int dead = WsHiveMq.freePorts(1)[0];
        for (String broker : List.of("hivemq tcp", "hivemq wss")) {
            MqttException e = refused(options(url(broker), "proxy-down").httpProxy("127.0.0.1", dead).build());
            assertEquals("cannot connect to " + url(broker).replaceAll("/mqtt$", "") + ": cannot reach the HTTP proxy 127.0.0.1:"
                    + dead + ": Connection refused", e.getMessage());
        }
    }

    @Test
    void whatTheProxyRefusesIsQuoted() throws IOException {
        // The proxy, not the client, resolves the broker's name: broker.invalid reaches the proxy, which refuses it.
        MqttException forbidden = refused(options("mqtt://broker.invalid:1883", "forbidden").httpProxy("127.0.0.1", open.port()).build());
        assertEquals("cannot connect to mqtt://broker.invalid:1883: the HTTP proxy 127.0.0.1:" + open.port()
                + " refused to open a tunnel to broker.invalid:1883: \"HTTP/1.1 403 Forbidden\"", forbidden.getMessage());
        int dead = WsHiveMq.freePorts(1)[0];
        MqttException badGateway = refused(options("ws://127.0.0.1:" + dead, "bad-gateway").httpProxy("127.0.0.1", open.port()).build());
        assertEquals("cannot connect to ws://127.0.0.1:" + dead + ": the HTTP proxy 127.0.0.1:" + open.port()
                + " refused to open a tunnel to 127.0.0.1:" + dead + ": \"HTTP/1.1 502 Bad Gateway\"", badGateway.getMessage());
    }

    @Test
    void aWebSocketClientReconnectsThroughTheProxyAfterTheTunnelDrops() throws Exception {
        try (TestHttpProxy proxy = new TestHttpProxy(USER, PASSWORD);
             MqttClient c = MqttClient.connect(options(url("hivemq wss"), "wss-reconnect").cleanSession(false)
                     .httpProxy("127.0.0.1", proxy.port(), USER, PASSWORD).build());
             Subscription s = c.subscribe("proxy/reconnect", Qos.AT_LEAST_ONCE);
             MqttClient direct = MqttClient.connect(options(url("hivemq tcp"), "reconnect-pub").build())) {
            assertTrue(c.nextConnectionEvent(TIMEOUT) instanceof ConnectionEvent.Connected);
            proxy.dropTunnels();
            ConnectionEvent lost = c.nextConnectionEvent(TIMEOUT);
            assertTrue(lost instanceof ConnectionEvent.Disconnected d && d.willReconnect(), String.valueOf(lost));
            ConnectionEvent e;
            do {
                e = c.nextConnectionEvent(TIMEOUT);
            } while (e instanceof ConnectionEvent.Reconnecting);
            assertTrue(e instanceof ConnectionEvent.Connected con && con.reconnect() && con.sessionPresent(), String.valueOf(e));
            direct.publish("proxy/reconnect", "after the drop", Qos.AT_LEAST_ONCE);
            assertEquals("after the drop", s.receive(TIMEOUT).payloadAsString());
            assertEquals(2, proxy.tunnels(), "the reconnect went through the proxy again");
        }
    }

    @Test
    void tlsThroughTheProxyStillChecksTheCertificate() {
        MqttException e = refused(options("mqtts://127.0.0.1:" + hivemq.tls, "tls-ip").httpProxy("127.0.0.1", open.port()).build());
        assertTrue(e.getMessage().contains("certificate for localhost does not match host 127.0.0.1"), e.getMessage());
    }
}
