package dev.mote.it.socks;

import dev.mote.it.broker.MosquittoBroker;
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
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.SocksProxy;
import dev.mote.mqtt.Subscription;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mote through SOCKS5 (with and without a password) and SOCKS4a proxies to Mosquitto: publish
 * and subscribe at every QoS, the broker's name resolved by the proxy only, a reconnect through
 * the proxy, and each way it can fail said in words.
 */
class SocksTest {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Only the test proxy can resolve this name (.invalid never resolves, RFC 2606). */
    private static final String BROKER_NAME = "mosquitto.socks.invalid";

    static MosquittoBroker broker;
    TestSocksProxy proxy;

    @BeforeAll
    static void startBroker() throws Exception {
        assumeTrue(MosquittoBroker.isAvailable(), MosquittoBroker.MISSING);
        broker = MosquittoBroker.builder("socks").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void startProxy() throws IOException {
        proxy = TestSocksProxy.start().alias(BROKER_NAME, "127.0.0.1");
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    private String url() {
        return "mqtt://" + BROKER_NAME + ":" + broker.port();
    }

    private static MqttOptions.Builder options(String url, String clientId) {
        return MqttOptions.builder(url).clientId(clientId).connectTimeout(CONNECT_TIMEOUT);
    }

    static Stream<Arguments> proxies() {
        return Stream.of(
                Arguments.of("SOCKS5", (Function<TestSocksProxy, SocksProxy>) p -> SocksProxy.socks5("127.0.0.1", p.port()), null),
                Arguments.of("SOCKS5 with a password", (Function<TestSocksProxy, SocksProxy>) p ->
                        SocksProxy.socks5("127.0.0.1", p.requireLogin("alice", "s3cr3t").port(), "alice", "s3cr3t"), "alice"),
                Arguments.of("SOCKS4a", (Function<TestSocksProxy, SocksProxy>) p -> SocksProxy.socks4a("127.0.0.1", p.port(), "bob"),
                        "bob"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("proxies")
    void publishesAndReceivesAtEveryQosThroughTheProxy(String name, Function<TestSocksProxy, SocksProxy> make, String user) {
        SocksProxy socks = make.apply(proxy);
        try (MqttClient sub = MqttClient.connect(options(url(), "socks-sub").socksProxy(socks).build());
             MqttClient pub = MqttClient.connect(options(url(), "socks-pub").socksProxy(socks).build());
             Subscription s = sub.subscribe("socks/qos/#", Qos.EXACTLY_ONCE)) {
            Set<String> expected = new HashSet<>();
            for (Qos qos : Qos.values()) {
                String payload = "through " + name + " at " + qos;
                pub.publish("socks/qos/" + qos.value(), payload, qos);
                expected.add(payload);
            }
            Set<String> got = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                Message m = s.receive(Duration.ofSeconds(5));
                assertNotNull(m, "message " + i + " did not arrive");
                assertEquals("socks/qos/" + m.qos().value(), m.topic());
                got.add(m.payloadAsString());
            }
            assertEquals(expected, got);
            assertTrue(sub.toString().contains(url().substring("mqtt://".length())), sub.toString());
        }
        int version = socks.version() == SocksProxy.Version.SOCKS5 ? 5 : 4;
        TestSocksProxy.Request asked = new TestSocksProxy.Request(version, 3, BROKER_NAME, broker.port(), user);
        assertEquals(List.of(asked, asked), proxy.requests(), "both clients asked for the broker by name (remote resolution)");
    }

    @Test
    void theUrlFormWorksToo() {
        proxy.requireLogin("alice", "p@ss:word");
        MqttOptions o = options(url(), "socks-url").socksProxy("socks5://alice:p%40ss%3Aword@127.0.0.1:" + proxy.port()).build();
        try (MqttClient c = MqttClient.connect(o)) {
            c.publish("socks/url", "x", Qos.AT_LEAST_ONCE);
        }
        assertEquals("alice", proxy.requests().get(0).user());
        try (MqttClient c = MqttClient.connect(options(url(), "socks4a-url").socksProxy("socks4a://127.0.0.1:" + proxy.port()).build())) {
            c.publish("socks/url", "y", Qos.EXACTLY_ONCE);
        }
        assertEquals(new TestSocksProxy.Request(4, 3, BROKER_NAME, broker.port(), null), proxy.requests().get(1));
    }

    @Test
    void anIpAddressIsSentAsAnAddress() {
        String url = "mqtt://127.0.0.1:" + broker.port();
        try (MqttClient c = MqttClient.connect(options(url, "socks-ip").socksProxy("127.0.0.1", proxy.port()).build())) {
            c.publish("socks/ip", "x", Qos.AT_LEAST_ONCE);
        }
        assertEquals(List.of(new TestSocksProxy.Request(5, 1, "127.0.0.1", broker.port(), null)), proxy.requests());
    }

    private static MqttException refused(MqttOptions options) {
        long start = System.nanoTime();
        MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(options).close());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms < CONNECT_TIMEOUT.toMillis(), "the refusal took " + ms + " ms, it must not wait for the timeout");
        return e;
    }

    @Test
    void aRefusedLoginIsSaidPlainly() {
        proxy.requireLogin("alice", "right");
        MqttException e = refused(options(url(), "socks-login").socksProxy("127.0.0.1", proxy.port(), "alice", "wrong").build());
        assertEquals("cannot connect to " + url() + ": the SOCKS5 proxy 127.0.0.1:" + proxy.port()
                + " refused the user name or password (user \"alice\")", e.getMessage());
        assertFalse(e.getMessage().contains("wrong"));
        assertEquals(List.of(), proxy.requests(), "no CONNECT after a refused login");
    }

    @Test
    void aProxyThatWantsAPasswordSaysSo() {
        proxy.requireLogin("alice", "right");
        MqttException e = refused(options(url(), "socks-nologin").socksProxy("127.0.0.1", proxy.port()).build());
        assertEquals("cannot connect to " + url() + ": the SOCKS5 proxy 127.0.0.1:" + proxy.port()
                + " accepts none of the authentication methods offered (no authentication); it may need a user name and password",
                e.getMessage());
    }

    @Test
    void aProxyThatIsDownIsSaidPlainly() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        MqttException e = refused(options(url(), "socks-down").socksProxy("127.0.0.1", port).build());
        assertTrue(e.getMessage().startsWith("cannot connect to " + url() + ": the SOCKS5 proxy 127.0.0.1:" + port
                + " is not reachable: Connection refused"), e.getMessage());
    }

    @Test
    void aBrokerTheProxyCannotReachIsSaidWithTheReply() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String url = "mqtt://" + BROKER_NAME + ":" + closed;
        MqttException e5 = refused(options(url, "socks-unreachable").socksProxy("127.0.0.1", proxy.port()).build());
        assertEquals("cannot connect to " + url + ": the SOCKS5 proxy 127.0.0.1:" + proxy.port() + " could not reach broker "
                + BROKER_NAME + ":" + closed + ": connection refused (reply 5)", e5.getMessage());
        MqttException e4 = refused(options("mqtt://nowhere.invalid:1883", "socks-unknown")
                .socksProxy("127.0.0.1", proxy.port()).build());
        assertEquals("cannot connect to mqtt://nowhere.invalid:1883: the SOCKS5 proxy 127.0.0.1:" + proxy.port()
                + " could not reach broker nowhere.invalid:1883: host unreachable (reply 4)", e4.getMessage());
        MqttException e91 = refused(options(url, "socks4a-unreachable")
                .socksProxy(SocksProxy.socks4a("127.0.0.1", proxy.port())).build());
        assertEquals("cannot connect to " + url + ": the SOCKS4a proxy 127.0.0.1:" + proxy.port() + " could not reach broker "
                + BROKER_NAME + ":" + closed + ": request rejected or failed (reply 91)", e91.getMessage());
        proxy.failWith(2);
        MqttException e2 = refused(options(url(), "socks-ruleset").socksProxy("127.0.0.1", proxy.port()).build());
        assertEquals("cannot connect to " + url() + ": the SOCKS5 proxy 127.0.0.1:" + proxy.port() + " will not connect to broker "
                + BROKER_NAME + ":" + broker.port() + ": connection not allowed by ruleset (reply 2)", e2.getMessage());
    }

    @Test
    void theBrokerItselfIsNoSocksProxy() {
        MqttException e = refused(options(url(), "socks-wrong").socksProxy("127.0.0.1", broker.port()).build());
        // Mosquitto closes the connection, or resets it since the greeting's last byte is unread.
        String m = e.getMessage();
        assertTrue(m.startsWith("cannot connect to " + url() + ": the SOCKS5 proxy 127.0.0.1:" + broker.port()), m);
        assertTrue(m.contains(" the connection instead of sending its answer to the greeting"), m);
        assertTrue(m.endsWith("; is it a SOCKS5 proxy?"), m);
    }

    @Test
    void theClientReconnectsThroughTheProxyAndKeepsItsSession() {
        MqttOptions o = options(url(), "socks-reconnect").socksProxy("127.0.0.1", proxy.port())
                .cleanSession(false)
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(200)))
                .build();
        try (MqttClient c = MqttClient.connect(o);
             Subscription s = c.subscribe("socks/reconnect", Qos.AT_LEAST_ONCE)) {
            c.publish("socks/reconnect", "before", Qos.AT_LEAST_ONCE);
            assertEquals("before", s.receive(Duration.ofSeconds(5)).payloadAsString());
            while (c.nextConnectionEvent(Duration.ZERO) != null) {
                // skip the first Connected
            }
            proxy.dropConnections();
            ConnectionEvent.Connected again = awaitConnected(c);
            assertTrue(again.reconnect());
            assertTrue(again.sessionPresent(), "Mosquitto kept the session of the client id");
            c.publish("socks/reconnect", "after", Qos.AT_LEAST_ONCE);
            assertEquals("after", s.receive(Duration.ofSeconds(5)).payloadAsString());
        }
        assertTrue(proxy.requests().size() >= 2, "the reconnect went through the proxy: " + proxy.requests());
        assertTrue(proxy.requests().stream().allMatch(r -> r.host().equals(BROKER_NAME)));
    }

    private static ConnectionEvent.Connected awaitConnected(MqttClient c) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            ConnectionEvent e = c.nextConnectionEvent(Duration.ofSeconds(1));
            if (e instanceof ConnectionEvent.Connected connected) {
                return connected;
            }
        }
        throw new AssertionError("no reconnect within 10 s");
    }
}
