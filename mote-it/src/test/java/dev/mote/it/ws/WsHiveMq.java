package dev.mote.it.ws;

import com.hivemq.embedded.EmbeddedHiveMQ;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An embedded HiveMQ CE with the listeners the WebSocket and proxy tests need, all on 127.0.0.1:
 * plain TCP, TLS, WebSocket ({@code /mqtt}, subprotocol {@code mqtt}), WebSocket over TLS, and a
 * second WebSocket listener ({@code /v31}) that offers only the subprotocol {@code mqttv3.1}, to see
 * a real server that does not select {@code mqtt}. One per JVM, started by {@link Fixture} on first
 * use and stopped when the test run ends. (Debian's Mosquitto 2.0.11 is built without
 * WebSocket support, so HiveMQ is the WebSocket broker here.)
 *
 * <p>The shared {@code dev.mote.it.broker.HiveMqBroker} of the broker scenarios has a plain TCP
 * listener and a security extension of its own; this one is separate so that those scenarios
 * stay as they are, and runs beside it in the same JVM (tried: both served clients at once, and
 * this one kept serving after the other stopped). Its listeners could move into the shared
 * configuration later, making the two one.
 */
final class WsHiveMq implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static volatile WsHiveMq running;

    final WsPki pki;
    final int tcp;
    final int tls;
    final int ws;
    final int wss;
    final int wsV31;
    final Path dir;
    private final EmbeddedHiveMQ hivemq;

    /** Starts one broker per test run and makes it {@link #running()}. */
    static final class Fixture implements BeforeAllCallback {
        @Override
        public void beforeAll(ExtensionContext context) {
            org.junit.jupiter.api.Assumptions.assumeTrue(WsPki.available(), "openssl is not installed (apt-get install openssl)");
            ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.create(WsHiveMq.class));
            running = store.getOrComputeIfAbsent(WsHiveMq.class, k -> start(), WsHiveMq.class);
        }
    }

    /** The broker started by {@link Fixture}. */
    static WsHiveMq running() {
        if (running == null) {
            throw new IllegalStateException("no WsHiveMq: add @ExtendWith(WsHiveMq.Fixture.class) to the test class");
        }
        return running;
    }

    private WsHiveMq(WsPki pki, Path dir, int[] ports, EmbeddedHiveMQ hivemq) {
        this.pki = pki;
        this.dir = dir;
        this.tcp = ports[0];
        this.tls = ports[1];
        this.ws = ports[2];
        this.wss = ports[3];
        this.wsV31 = ports[4];
        this.hivemq = hivemq;
    }

    static Path itDirectory() {
        return Path.of(System.getProperty("mote.it.dir", "target/it")).toAbsolutePath();
    }

    private static WsHiveMq start() {
        Path dir = itDirectory().resolve("ws-hivemq");
        try {
            deleteTree(dir);
            Path conf = Files.createDirectories(dir.resolve("conf"));
            Files.createDirectories(dir.resolve("data"));
            Files.createDirectories(dir.resolve("extensions"));
            WsPki pki = new WsPki(dir.resolve("pki"));
            int[] ports = freePorts(5);
            Files.writeString(conf.resolve("config.xml"), config(ports, pki), StandardCharsets.UTF_8);
            quietLogging(dir);
            EmbeddedHiveMQ hivemq = EmbeddedHiveMQ.builder()
                    .withConfigurationFolder(conf)
                    .withDataFolder(dir.resolve("data"))
                    .withExtensionsFolder(dir.resolve("extensions"))
                    .withoutLoggingBootstrap()
                    .build();
            hivemq.start().get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            for (int port : ports) {
                awaitAccepting(port);
            }
            return new WsHiveMq(pki, dir, ports, hivemq);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("embedded HiveMQ did not start; see " + dir.resolve("hivemq.log"), e);
        }
    }

    private static String config(int[] ports, WsPki pki) {
        String tlsEntity = """
                            <tls>
                                <keystore>
                                    <path>%s</path>
                                    <password>%s</password>
                                    <private-key-password>%s</private-key-password>
                                </keystore>
                                <protocols><protocol>TLSv1.3</protocol><protocol>TLSv1.2</protocol></protocols>
                            </tls>
                """.formatted(pki.serverP12, WsPki.STORE_PASSWORD, WsPki.STORE_PASSWORD);
        return """
                <?xml version="1.0"?>
                <!-- Generated by WsHiveMq for the Mote WebSocket and proxy tests. -->
                <hivemq>
                    <listeners>
                        <tcp-listener><port>%d</port><bind-address>127.0.0.1</bind-address></tcp-listener>
                        <tls-tcp-listener>
                            <port>%d</port><bind-address>127.0.0.1</bind-address>
                %s
                        </tls-tcp-listener>
                        <websocket-listener>
                            <port>%d</port><bind-address>127.0.0.1</bind-address>
                            <path>/mqtt</path>
                            <subprotocols><subprotocol>mqtt</subprotocol></subprotocols>
                            <allow-extensions>false</allow-extensions>
                        </websocket-listener>
                        <tls-websocket-listener>
                            <port>%d</port><bind-address>127.0.0.1</bind-address>
                            <path>/mqtt</path>
                            <subprotocols><subprotocol>mqtt</subprotocol></subprotocols>
                            <allow-extensions>false</allow-extensions>
                %s
                        </tls-websocket-listener>
                        <websocket-listener>
                            <port>%d</port><bind-address>127.0.0.1</bind-address>
                            <path>/v31</path>
                            <subprotocols><subprotocol>mqttv3.1</subprotocol></subprotocols>
                        </websocket-listener>
                    </listeners>
                    <mqtt>
                        <queued-messages><max-queue-size>1000000</max-queue-size></queued-messages>
                    </mqtt>
                    <persistence><mode>in-memory</mode></persistence>
                    <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>
                </hivemq>
                """.formatted(ports[0], ports[1], tlsEntity, ports[2], ports[3], tlsEntity, ports[4]);
    }

    /**
     * HiveMQ logs through Logback: unless the test class path brings its own logback-test.xml,
     * its log goes to a file here and only errors reach the console.
     */
    private static void quietLogging(Path dir) throws IOException {
        if (WsHiveMq.class.getResource("/logback-test.xml") != null || System.getProperty("logback.configurationFile") != null) {
            return;
        }
        Path config = dir.resolve("logback.xml");
        Files.writeString(config, """
                <configuration>
                    <appender name="FILE" class="ch.qos.logback.core.FileAppender">
                        <file>%s</file>
                        <encoder><pattern>%%d{HH:mm:ss.SSS} %%-5level [%%thread] %%logger{30} - %%msg%%n</pattern></encoder>
                    </appender>
                    <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
                        <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>ERROR</level></filter>
                        <encoder><pattern>hivemq %%-5level %%logger{30} - %%msg%%n</pattern></encoder>
                    </appender>
                    <root level="INFO"><appender-ref ref="FILE"/><appender-ref ref="CONSOLE"/></root>
                </configuration>
                """.formatted(dir.resolve("hivemq.log")));
        System.setProperty("logback.configurationFile", config.toString());
    }

    static int[] freePorts(int n) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    static void awaitAccepting(int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("nothing accepts connections on port " + port, e);
                }
                Thread.sleep(20);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The log file, for failure messages. */
    Path log() {
        return dir.resolve("hivemq.log");
    }

    @Override
    public void close() {
        try {
            hivemq.stop().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("HiveMQ did not stop cleanly: " + e);
        }
    }
}
