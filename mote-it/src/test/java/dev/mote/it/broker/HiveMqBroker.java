package dev.mote.it.broker;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.auth.SubscriptionAuthorizer;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.packets.subscribe.SubackReasonCode;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One embedded HiveMQ Community Edition broker per JVM, started on first use (about a second
 * with in-memory persistence) and shared by every scenario; {@link #shutdown()} stops it at the
 * end of the run. Its files live under {@code target/it/hivemq/}; its log goes to
 * {@code target/it/hivemq.log} (see {@code logback-test.xml}), not to the console.
 *
 * <p>HiveMQ CE in embedded mode lets every client in when no security extension is installed.
 * This fixture installs one small embedded extension, written here with the extension SDK, so
 * that the refusal scenarios have something real to be refused by:
 * <ul>
 *   <li>user name {@value #BAD_CREDENTIALS_USER}: CONNACK "bad user name or password" (4);</li>
 *   <li>user name {@value #NOT_AUTHORIZED_USER}: CONNACK "not authorized" (5);</li>
 *   <li>a subscription to a filter starting with {@value #REFUSED_FILTER_PREFIX}: SUBACK 0x80;</li>
 *   <li>everyone and everything else: allowed.</li>
 * </ul>
 * No extension-free way to make HiveMQ CE answer 0x80 was found: a filter longer than
 * {@code max-topic-length} makes it close the connection instead, and odd but valid filters
 * ({@code $share/g1/$SYS/#}, {@code $foo/#}) are granted.
 */
public final class HiveMqBroker implements Broker {

    /** Clients with this user name are refused with CONNACK code 4. */
    public static final String BAD_CREDENTIALS_USER = "mote-bad-credentials";
    /** Clients with this user name are refused with CONNACK code 5. */
    public static final String NOT_AUTHORIZED_USER = "mote-not-authorized";
    /** Subscriptions to filters starting with this are refused with SUBACK 0x80. */
    public static final String REFUSED_FILTER_PREFIX = "refused/";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private static HiveMqBroker shared;

    private final EmbeddedHiveMQ hivemq;
    private final Path dir;
    private final int port;

    private HiveMqBroker(EmbeddedHiveMQ hivemq, Path dir, int port) {
        this.hivemq = hivemq;
        this.dir = dir;
        this.port = port;
    }

    /** The broker of this JVM, started on the first call. */
    public static synchronized HiveMqBroker shared() {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    /** Stops the broker of this JVM if it was started; idempotent. */
    public static synchronized void shutdown() {
        HiveMqBroker b = shared;
        shared = null;
        if (b != null) {
            try {
                b.hivemq.stop().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                System.err.println("HiveMQ did not stop cleanly: " + e);
            }
        }
    }

    private static HiveMqBroker start() {
        Path dir = MosquittoBroker.itDirectory().resolve("hivemq");
        Path conf = dir.resolve("conf");
        Path data = dir.resolve("data");
        Path extensions = dir.resolve("extensions");
        int port = Net.freePort();
        try {
            // HiveMQ refuses to start unless these folders exist.
            Files.createDirectories(conf);
            Files.createDirectories(data);
            Files.createDirectories(extensions);
            Files.writeString(conf.resolve("config.xml"), config(port), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir, e);
        }
        EmbeddedHiveMQ hivemq = EmbeddedHiveMQ.builder()
                .withConfigurationFolder(conf)
                .withDataFolder(data)
                .withExtensionsFolder(extensions)
                .withEmbeddedExtension(EmbeddedExtension.builder()
                        .withId("mote-it-security")
                        .withName("Mote integration test security")
                        .withVersion("1")
                        .withAuthor("Mote")
                        .withExtensionMain(new SecurityExtension())
                        .build())
                // Logging is configured by logback-test.xml (to a file); HiveMQ's own bootstrap
                // would log INFO lines to the console.
                .withoutLoggingBootstrap()
                .build();
        try {
            hivemq.start().get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("embedded HiveMQ did not start within " + START_TIMEOUT.toSeconds()
                    + " s; see " + logFile(), e);
        }
        if (!Net.awaitAccepting(port, Duration.ofSeconds(10), () -> false)) {
            throw new IllegalStateException("embedded HiveMQ started but port " + port + " accepts no connections; see " + logFile());
        }
        return new HiveMqBroker(hivemq, dir, port);
    }

    private static String config(int port) {
        return """
                <?xml version="1.0"?>
                <!-- Generated by HiveMqBroker for the Mote integration tests. -->
                <hivemq>
                    <listeners>
                        <tcp-listener>
                            <port>%d</port>
                            <bind-address>%s</bind-address>
                        </tcp-listener>
                    </listeners>
                    <mqtt>
                        <!-- Default 1000 per client, discarding the newest beyond it, also for a
                             connected client whose in-flight window is full: 5,000 fast QoS 2
                             messages lost a few dozen. -->
                        <queued-messages>
                            <max-queue-size>1000000</max-queue-size>
                        </queued-messages>
                    </mqtt>
                    <persistence>
                        <mode>in-memory</mode>
                    </persistence>
                    <anonymous-usage-statistics>
                        <enabled>false</enabled>
                    </anonymous-usage-statistics>
                </hivemq>
                """.formatted(port, Net.LOOPBACK);
    }

    static Path logFile() {
        return MosquittoBroker.itDirectory().resolve("hivemq.log");
    }

    @Override
    public Kind kind() {
        return Kind.HIVEMQ;
    }

    @Override
    public String host() {
        return Net.LOOPBACK;
    }

    @Override
    public int port() {
        return port;
    }

    public Path directory() {
        return dir;
    }

    /** Messages HiveMQ dropped so far (queue full, and the like), from its metrics. */
    public long droppedMessages() {
        var counter = hivemq.getMetricRegistry().getCounters().get("com.hivemq.messages.dropped.count");
        return counter == null ? -1 : counter.getCount();
    }

    @Override
    public String diagnostics() {
        Path log = logFile();
        List<String> lines;
        try {
            lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            return "embedded HiveMQ on port " + port + ", log " + log + " (unreadable: " + e.getMessage() + ")";
        }
        int from = Math.max(0, lines.size() - 30);
        return "embedded HiveMQ on port " + port + " (messages dropped so far: " + droppedMessages() + "), log " + log + (from > 0 ? "; last 30 lines:\n" : ":\n")
                + String.join("\n", lines.subList(from, lines.size()));
    }

    @Override
    public String toString() {
        return "hivemq(port " + port + ")";
    }

    /** The embedded extension described in the class comment. */
    private static final class SecurityExtension implements ExtensionMain {
        @Override
        public void extensionStart(ExtensionStartInput in, ExtensionStartOutput out) {
            SimpleAuthenticator authenticator = (auth, result) -> {
                String user = auth.getConnectPacket().getUserName().orElse("");
                switch (user) {
                    case BAD_CREDENTIALS_USER -> result.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD);
                    case NOT_AUTHORIZED_USER -> result.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED);
                    default -> result.authenticateSuccessfully();
                }
            };
            SubscriptionAuthorizer authorizer = (sub, result) -> {
                if (sub.getSubscription().getTopicFilter().startsWith(REFUSED_FILTER_PREFIX)) {
                    result.failAuthorization(SubackReasonCode.NOT_AUTHORIZED);
                } else {
                    result.authorizeSuccessfully();
                }
            };
            Services.securityRegistry().setAuthenticatorProvider(providerInput -> authenticator);
            Services.securityRegistry().setAuthorizerProvider(providerInput -> authorizer);
        }

        @Override
        public void extensionStop(ExtensionStopInput in, ExtensionStopOutput out) {
        }
    }
}
