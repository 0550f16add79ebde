package dev.mote.mqtt.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.mqtt.TlsConfig;
import dev.mote.mqtt.internal.transport.TlsTransport;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link TlsTransport} against TLS servers in this JVM: success, every handshake failure's message, ALPN, SNI, close. */
class TlsTransportTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    static Path dir;
    static TestPki pki;
    static TlsConfig trustCa;

    @BeforeAll
    static void pki() throws IOException {
        assumeTrue(TestPki.available(), "openssl is not installed");
        pki = new TestPki(dir);
        trustCa = TlsConfig.builder().trustPem(pki.caCert).build();
    }

    private static TlsTestServer server(Path p12) throws Exception {
        return new TlsTestServer(p12, TlsTestServer.Mode.ECHO, null, null);
    }

    private static String handshakeFailure(TlsTestServer server, String host, TlsConfig tls) {
        SSLHandshakeException e = assertThrows(SSLHandshakeException.class,
                () -> TlsTransport.connect(host, server.port(), tls, TIMEOUT).close());
        return e.getMessage();
    }

    @Test
    void connectsSendsSniAndMovesBytesBothWays() throws Exception {
        try (TlsTestServer server = server(pki.serverP12);
             TlsTransport t = TlsTransport.connect("localhost", server.port(), trustCa, TIMEOUT)) {
            assertTrue(t.describe().startsWith("mqtts://localhost:" + server.port() + " (TLSv1.3"), t.describe());
            assertNull(t.applicationProtocol());
            for (ByteBuffer buf : List.of(ByteBuffer.allocate(70_000), ByteBuffer.allocateDirect(70_000))) {
                byte[] data = new byte[70_000];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) (i * 31);
                }
                buf.put(data).flip();
                t.write(buf);
                assertEquals(0, buf.remaining());
                ByteBuffer in = buf.isDirect() ? ByteBuffer.allocateDirect(70_000) : ByteBuffer.allocate(70_000);
                while (in.hasRemaining()) {
                    assertTrue(t.read(in) > 0);
                }
                in.flip();
                byte[] back = new byte[70_000];
                in.get(back);
                assertTrue(java.util.Arrays.equals(data, back));
            }
            waitFor(() -> !server.sniNames.isEmpty());
            assertEquals("localhost", server.sniNames.get(0));
        }
    }

    @Test
    void ipAddressIsCheckedAgainstIpSanAndNotSentAsSni() throws Exception {
        try (TlsTestServer server = server(pki.serverP12);
             TlsTransport t = TlsTransport.connect("127.0.0.1", server.port(), trustCa, TIMEOUT)) {
            t.write(ByteBuffer.wrap("x".getBytes(StandardCharsets.US_ASCII)));
            t.read(ByteBuffer.allocate(1));
            assertEquals("", server.sniNames.get(0));
        }
    }

    @Test
    void offersOnlyTls13And12() throws Exception {
        try (TlsTestServer server = new TlsTestServer(pki.serverP12, TlsTestServer.Mode.ECHO, new String[] {"TLSv1.2"}, null);
             TlsTransport t = TlsTransport.connect("localhost", server.port(), trustCa, TIMEOUT)) {
            assertTrue(t.describe().endsWith("(TLSv1.2)"), t.describe());
        }
    }

    @Test
    void wrongHostIsRefusedByDefaultWithBothNames() throws Exception {
        try (TlsTestServer server = server(pki.wrongHostP12)) {
            assertEquals("TLS handshake with localhost:" + server.port()
                            + " failed: certificate for wrong.example does not match host localhost",
                    handshakeFailure(server, "localhost", trustCa));
            assertEquals("TLS handshake with 127.0.0.1:" + server.port()
                            + " failed: certificate for wrong.example does not match host 127.0.0.1",
                    handshakeFailure(server, "127.0.0.1", trustCa));
        }
    }

    @Test
    void wrongHostIsAcceptedOnlyWithTheDangerousSwitch() throws Exception {
        TlsConfig lax = TlsConfig.builder().trustPem(pki.caCert).dangerouslyDisableHostnameVerification().build();
        assertTrue(lax.toString().contains("HOSTNAME VERIFICATION DISABLED"), lax.toString());
        try (TlsTestServer server = server(pki.wrongHostP12);
             TlsTransport t = TlsTransport.connect("localhost", server.port(), lax, TIMEOUT)) {
            t.write(ByteBuffer.wrap(new byte[] {1}));
            assertEquals(1, t.read(ByteBuffer.allocate(1)));
        }
        // ...which skips the name only: the chain must still be trusted.
        try (TlsTestServer server = server(pki.untrustedP12)) {
            assertTrue(handshakeFailure(server, "localhost", TlsConfig.builder().trustPem(pki.caCert)
                    .dangerouslyDisableHostnameVerification().build()).contains("server certificate not trusted"));
        }
    }

    @Test
    void expiredCertificateSaysSoWithTheDate() throws Exception {
        try (TlsTestServer server = server(pki.expiredP12)) {
            assertEquals("TLS handshake with localhost:" + server.port()
                            + " failed: server certificate expired: localhost was valid until 2020-02-01T00:00:00Z",
                    handshakeFailure(server, "localhost", trustCa));
        }
    }

    @Test
    void untrustedCaSaysWhoIssuedItAndWhatIsTrusted() throws Exception {
        try (TlsTestServer server = server(pki.untrustedP12)) {
            assertEquals("TLS handshake with localhost:" + server.port()
                            + " failed: server certificate not trusted: localhost (issued by CN=Untrusted Test CA) "
                            + "does not chain to a CA in CA certificates from " + pki.caCert,
                    handshakeFailure(server, "localhost", trustCa));
            // The JDK's default trust store does not know our test CA either.
            assertTrue(handshakeFailure(server, "localhost", TlsConfig.defaults())
                    .endsWith("does not chain to a CA in the JDK's default trust store"));
        }
    }

    @Test
    void userSslContextFailuresAreStillWorded() throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(SslContexts.trustStore(Pem.certificates(pki.caCert)));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        TlsConfig own = TlsConfig.builder().sslContext(ctx).build();
        try (TlsTestServer server = server(pki.wrongHostP12)) {
            String m = handshakeFailure(server, "localhost", own);
            assertTrue(m.contains("failed: the server certificate does not match host localhost ("), m);
        }
        try (TlsTestServer server = server(pki.expiredP12)) {
            String m = handshakeFailure(server, "localhost", own);
            assertTrue(m.endsWith("failed: server certificate expired: localhost was valid until 2020-02-01T00:00:00Z"), m);
        }
        try (TlsTestServer server = server(pki.untrustedP12)) {
            String m = handshakeFailure(server, "localhost", own);
            assertTrue(m.contains("failed: server certificate not trusted"), m);
        }
        try (TlsTestServer server = server(pki.serverP12);
             TlsTransport t = TlsTransport.connect("localhost", server.port(), own, TIMEOUT)) {
            assertTrue(t.describe().startsWith("mqtts://"));
        }
    }

    @Test
    void plainTcpServerThatHangsUpIsNamed() throws Exception {
        try (ServerSocket plain = TlsTestServer.plain(null)) {
            long start = System.nanoTime();
            SSLHandshakeException e = assertThrows(SSLHandshakeException.class,
                    () -> TlsTransport.connect("localhost", plain.getLocalPort(), trustCa, TIMEOUT));
            assertTrue(e.getMessage().contains("(plain TCP broker on a TLS port?)"), e.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3));
        }
    }

    @Test
    void plainTcpServerThatAnswersIsNamed() throws Exception {
        // What a plain listener may answer to a ClientHello: not a TLS record.
        try (ServerSocket plain = TlsTestServer.plain("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII))) {
            SSLHandshakeException e = assertThrows(SSLHandshakeException.class,
                    () -> TlsTransport.connect("localhost", plain.getLocalPort(), trustCa, TIMEOUT));
            assertEquals("TLS handshake with localhost:" + plain.getLocalPort()
                    + " failed: the server does not speak TLS (plain TCP broker on a TLS port?)", e.getMessage());
        }
    }

    @Test
    void silentServerEndsTheHandshakeAtTheTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try {
                    silent.accept();
                } catch (IOException ignored) {
                    // closed
                }
            });
            long start = System.nanoTime();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                    () -> TlsTransport.connect("localhost", silent.getLocalPort(), trustCa, Duration.ofMillis(700)));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals("TLS handshake with localhost:" + silent.getLocalPort() + " did not finish within 700 ms of connecting",
                    e.getMessage());
            assertTrue(ms >= 600 && ms < 3000, ms + " ms");
            accepted.cancel(true);
        }
    }

    @Test
    void alpnIsNegotiatedAndARefusalIsNamed() throws Exception {
        try (TlsTestServer server = new TlsTestServer(pki.serverP12, TlsTestServer.Mode.ECHO, null,
                (sock, offered) -> offered.contains("x-amzn-mqtt-ca") ? "x-amzn-mqtt-ca" : null)) {
            TlsConfig aws = TlsConfig.builder().trustPem(pki.caCert).alpn("x-amzn-mqtt-ca").build();
            try (TlsTransport t = TlsTransport.connect("localhost", server.port(), aws, TIMEOUT)) {
                assertEquals("x-amzn-mqtt-ca", t.applicationProtocol());
            }
            TlsConfig other = TlsConfig.builder().trustPem(pki.caCert).alpn("mqtt", "x-other").build();
            assertEquals("TLS handshake with localhost:" + server.port()
                            + " failed: the server did not accept ALPN protocol mqtt, x-other (TLS alert no_application_protocol)",
                    handshakeFailure(server, "localhost", other));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void closeUnblocksABlockedReaderPromptly(String version) throws Exception {
        try (TlsTestServer server = new TlsTestServer(pki.serverP12, TlsTestServer.Mode.ECHO, new String[] {version}, null)) {
            TlsTransport t = TlsTransport.connect("localhost", server.port(), trustCa, TIMEOUT);
            assertTrue(t.describe().endsWith("(" + version + ")"), t.describe());
            CompletableFuture<Object> reader = new CompletableFuture<>();
            Thread readerThread = Thread.ofVirtual().start(() -> {
                try {
                    reader.complete(t.read(ByteBuffer.allocateDirect(100)));
                } catch (IOException e) {
                    reader.complete(e);
                }
            });
            awaitParked(readerThread); // blocked in read
            long start = System.nanoTime();
            t.close();
            Object outcome = reader.get(2, TimeUnit.SECONDS);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
            assertTrue(outcome instanceof IOException || Integer.valueOf(-1).equals(outcome), String.valueOf(outcome));
            t.close(); // idempotent
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void closeUnblocksAWriterStuckOnAPeerThatDoesNotRead(String version) throws Exception {
        try (TlsTestServer server = new TlsTestServer(pki.serverP12, TlsTestServer.Mode.NEVER_READ, new String[] {version}, null)) {
            TlsTransport t = TlsTransport.connect("localhost", server.port(), trustCa, TIMEOUT);
            CompletableFuture<Object> writer = new CompletableFuture<>();
            java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
            Thread writerThread = Thread.ofVirtual().start(() -> {
                try {
                    ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
                    while (true) {
                        chunk.clear();
                        t.write(chunk);
                        written.addAndGet(chunk.capacity());
                    }
                } catch (IOException e) {
                    writer.complete(e);
                }
            });
            // Socket buffers fill up and the writer blocks: parked, with some bytes written.
            waitFor(() -> written.get() > 0 && writerThread.getState() == Thread.State.WAITING);
            awaitParked(writerThread);
            assertTrue(!writer.isDone(), "the writer should be blocked");
            long start = System.nanoTime();
            t.close();
            long closeMs = (System.nanoTime() - start) / 1_000_000;
            Object outcome = writer.get(2, TimeUnit.SECONDS);
            assertTrue(outcome instanceof IOException, String.valueOf(outcome));
            assertTrue(closeMs < 1000, "close took " + closeMs + " ms");
        }
    }

    /** Waits until {@code t} is parked (a virtual thread blocked in socket I/O parks). */
    private static void awaitParked(Thread t) throws InterruptedException {
        waitFor(() -> t.getState() == Thread.State.WAITING);
        assertTrue(t.getState() == Thread.State.WAITING, "thread did not block: " + t.getState());
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
    }
}
