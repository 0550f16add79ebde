package dev.mote.mqtt;

import static dev.mote.mqtt.ClientTestSupport.assertFailure;
import static dev.mote.mqtt.ClientTestSupport.assertNoClientThreadsLeft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mote.mqtt.ClientTestSupport.Async;
import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Publish;
import dev.mote.mqtt.testpeer.ScriptedPeer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Security defaults: secrets never show in text the library makes (toString, exception messages,
 * events), strings from the network are escaped before they reach a message, and the library
 * logs only through {@link System.Logger}, lazily.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SecurityDefaultsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String PASSWORD = "pa55-Secret!";
    private static final String URL_PASSWORD = "url-S3cret";

    private ScriptedPeer peer;

    @BeforeEach
    void startPeer() throws IOException {
        peer = ScriptedPeer.start();
    }

    @AfterEach
    void stopPeer() {
        peer.close();
        assertNoClientThreadsLeft(WAIT);
    }

    /** Everything a throwable shows: class, message, causes, suppressed, stack trace. */
    private static String everything(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    private static void assertNoSecret(String text, String... secrets) {
        for (String s : secrets) {
            if (text.contains(s)) {
                fail("a secret shows in: " + text);
            }
        }
    }

    // ================================================================ passwords

    @Test
    void optionsToStringHidesPasswordsHoweverGiven() {
        assertNoSecret(MqttOptions.builder("mqtt://broker.example:1883").credentials("alice", PASSWORD).build().toString(),
                PASSWORD);
        assertNoSecret(MqttOptions.builder("mqtt://broker.example:1883")
                .credentials("alice", PASSWORD.getBytes(StandardCharsets.UTF_8)).build().toString(), PASSWORD);
        MqttOptions fromUrl = MqttOptions.builder("mqtt://alice:" + URL_PASSWORD + "@broker.example:1883").build();
        assertEquals("alice", fromUrl.username());
        String text = fromUrl.toString();
        assertNoSecret(text, URL_PASSWORD);
        assertTrue(text.contains("password=<hidden>"), text);
        assertTrue(text.contains("broker.example:1883"), text);
        for (MqttOptions.Server s : fromUrl.servers()) {
            assertNoSecret(s.toString(), URL_PASSWORD);
        }
        MqttOptions alternates = MqttOptions.builder("mqtt://broker.example")
                .alternateServers("mqtt://bob:" + URL_PASSWORD + "@backup.example:1884").build();
        assertNoSecret(alternates.toString(), URL_PASSWORD);
        for (MqttOptions.Server s : alternates.servers()) {
            assertNoSecret(s.toString(), URL_PASSWORD);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "mqtt://alice:" + URL_PASSWORD + "@/no-host",
        "ftp://alice:" + URL_PASSWORD + "@broker.example",
        "mqtt://alice:" + URL_PASSWORD + "@broker example",
        "ws://alice:" + URL_PASSWORD + "@/no-host"})
    void badUrlsAreRejectedWithoutShowingTheirPassword(String url) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MqttOptions.builder(url));
        assertNoSecret(everything(e), URL_PASSWORD);
        IllegalArgumentException alt = assertThrows(IllegalArgumentException.class,
                () -> MqttOptions.builder("mqtt://ok.example").alternateServers(url));
        assertNoSecret(everything(alt), URL_PASSWORD);
    }

    @Test
    void tlsWithoutMqttsDoesNotShowTheUrlPassword() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MqttOptions.builder("mqtt://alice:" + URL_PASSWORD + "@broker.example").tls(TlsConfig.defaults()).build());
        assertNoSecret(everything(e), URL_PASSWORD);
    }

    @Test
    void connectPacketToStringHidesThePassword() {
        Connect c = new Connect(4, "id", true, 60, null, null, 0, false, "alice", PASSWORD.getBytes(StandardCharsets.UTF_8));
        String text = c.toString();
        assertNoSecret(text, PASSWORD);
        assertTrue(text.contains("password=<hidden>"), text);
    }

    @ParameterizedTest(name = "CONNACK {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6})
    void refusedConnectionsDoNotShowThePassword(int code) {
        List<ConnectionEvent> events = new ArrayList<>();
        String uri = "mqtt://alice:" + URL_PASSWORD + "@127.0.0.1:" + peer.port();
        for (MqttOptions options : List.of(
                MqttOptions.builder(peer.uri()).credentials("alice", PASSWORD).reconnect(ReconnectPolicy.disabled())
                        .connectionListener(events::add).build(),
                MqttOptions.builder(uri).reconnect(ReconnectPolicy.disabled()).connectionListener(events::add).build())) {
            Async<MqttClient> f = Async.start("connect", () -> MqttClient.connect(options));
            peer.awaitConnection(WAIT);
            Connect connect = peer.expect(Connect.class);
            assertNotNull(connect.password(), "the password does go to the broker");
            peer.send(new Connack(false, code));
            Throwable t = f.failure(WAIT);
            assertTrue(t instanceof ConnectionRefusedException, String.valueOf(t));
            assertNoSecret(everything(t), PASSWORD, URL_PASSWORD);
            assertNoSecret(options.toString(), PASSWORD, URL_PASSWORD);
        }
        assertNoClientThreadsLeft(WAIT);
        synchronized (events) {
            assertNoSecret(events.toString(), PASSWORD, URL_PASSWORD);
        }
    }

    // ================================================================ network strings in messages

    @Test
    void hostileTopicIsEscapedInTheViolationMessage() {
        MqttOptions options = MqttOptions.builder(peer.uri()).reconnect(ReconnectPolicy.disabled())
                .closeTimeout(Duration.ofMillis(200)).build();
        Async<MqttClient> f = Async.start("connect", () -> MqttClient.connect(options));
        peer.expect(Connect.class);
        peer.send(new Connack(false, 0));
        MqttClient client = f.get(WAIT);
        try {
            Delivery pending = client.publish("p", "x".getBytes(StandardCharsets.UTF_8), Qos.AT_LEAST_ONCE, false, Wait.NONE);
            peer.expect(Publish.class);
            // A wildcard makes the client quote the topic; the rest would forge a log line and
            // repaint a terminal if it came through raw.
            String topic = "x/+\n2026-01-01 INFO forged line\u001B[2J\u001B[31m\"\\\u0085\u2028";
            peer.send(new Publish(topic, new byte[0], 0, false, false, 0));
            peer.awaitClosedByClient(WAIT);
            ProtocolViolationException e = assertFailure(ProtocolViolationException.class,
                    assertThrows(ProtocolViolationException.class, () -> pending.await(WAIT)),
                    "sent a PUBLISH whose topic name contains a wildcard");
            String m = e.getMessage();
            assertTrue(m.contains("\"x/+\\u000A2026-01-01 INFO forged line\\u001B[2J\\u001B[31m\\\"\\\\\\u0085\\u2028\""), m);
            for (char c : m.toCharArray()) {
                assertFalse(c < 0x20 || c == 0x7F || c == 0x85 || c == 0x2028, "raw control character U+"
                        + Integer.toHexString(c) + " in: " + m);
            }
        } finally {
            client.close();
        }
    }

    // ================================================================ logging

    private static final Path MAIN = Path.of("src/main/java");

    private static List<Path> mainSources() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            return files.filter(p -> p.toString().endsWith(".java")).toList();
        }
    }

    @Test
    void mainCodeNeverPrintsToStandardStreams() throws IOException {
        List<String> found = new ArrayList<>();
        Pattern printing = Pattern.compile("System\\s*\\.\\s*(out|err)\\b|\\.printStackTrace\\s*\\(");
        for (Path p : mainSources()) {
            List<String> lines = Files.readAllLines(p);
            for (int i = 0; i < lines.size(); i++) {
                if (printing.matcher(lines.get(i)).find()) {
                    found.add(MAIN.relativize(p) + ":" + (i + 1) + ": " + lines.get(i).trim());
                }
            }
        }
        assertTrue(mainSources().size() > 20, "sources not found under " + MAIN.toAbsolutePath());
        assertEquals(List.of(), found, "the library logs through System.Logger only");
    }

    /**
     * Below INFO (the levels a hot path logs at), a message is built only when the level is on:
     * it is a Supplier, or the call is guarded by isLoggable.
     */
    @Test
    void debugAndTraceMessagesAreBuiltOnlyWhenLogged() throws IOException {
        List<String> eager = new ArrayList<>();
        Pattern call = Pattern.compile("\\.log\\(\\s*System\\.Logger\\.Level\\.(DEBUG|TRACE)\\s*,\\s*(.*)");
        for (Path p : mainSources()) {
            List<String> lines = Files.readAllLines(p);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = call.matcher(lines.get(i));
                if (m.find() && !m.group(2).startsWith("() ->") && !guarded(lines, i)) {
                    eager.add(MAIN.relativize(p) + ":" + (i + 1) + ": " + lines.get(i).trim());
                }
            }
        }
        assertEquals(List.of(), eager);
    }

    private static boolean guarded(List<String> lines, int at) {
        for (int i = at - 1; i >= Math.max(0, at - 3); i--) {
            if (lines.get(i).contains("isLoggable(")) {
                return true;
            }
        }
        return false;
    }
}
