package dev.mote.mqtt.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.HttpProxy;
import dev.mote.mqtt.MqttOptions;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ProtocolException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The CONNECT tunnel against scripted proxies: the request, every kind of answer, and the bounds. */
class HttpProxyTunnelTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private static HttpProxy proxy(int port) {
        return MqttOptions.builder("mqtt://broker.example").httpProxy("127.0.0.1", port).build().httpProxy();
    }

    private static HttpProxy proxy(int port, String user, String password) {
        return MqttOptions.builder("mqtt://broker.example").httpProxy("127.0.0.1", port, user, password).build().httpProxy();
    }

    private static SocketChannel tunnel(HttpProxy proxy, String host, Duration timeout) throws IOException {
        return HttpProxyTunnel.tunnel(proxy, host, 1883, System.nanoTime() + timeout.toNanos(), timeout);
    }

    /** Answers with {@code answer}, then echoes whatever comes through the tunnel. */
    private static ScriptedHttpPeer answering(String answer) throws IOException {
        return new ScriptedHttpPeer((s, head) -> {
            OutputStream out = s.getOutputStream();
            out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            s.getInputStream().transferTo(out);
        });
    }

    @Test
    void aTwoHundredOpensTheTunnelAndTheBytesFlowBothWays() throws IOException {
        try (ScriptedHttpPeer p = answering("HTTP/1.1 200 Connection established\r\n\r\n");
             SocketChannel ch = tunnel(proxy(p.port()), "broker.example", TIMEOUT)) {
            ch.write(ByteBuffer.wrap(new byte[] {0x10, 0x02, 0x00, 0x3c}));
            ByteBuffer echo = ByteBuffer.allocate(4);
            while (echo.hasRemaining() && ch.read(echo) >= 0) {
                // read the echo
            }
            assertEquals(ByteBuffer.wrap(new byte[] {0x10, 0x02, 0x00, 0x3c}), echo.flip());
            assertEquals(List.of("CONNECT broker.example:1883 HTTP/1.1\r\nHost: broker.example:1883\r\n\r\n"), p.requests());
        }
    }

    @Test
    void anyTwoHundredStatusAndHttp10AreAccepted() throws IOException {
        for (String answer : List.of("HTTP/1.0 200 Connection established\r\nProxy-agent: Squid/6\r\n\r\n",
                "HTTP/1.1 200\r\n\r\n", "HTTP/1.1 204 No Content\n\n")) {
            try (ScriptedHttpPeer p = answering(answer); SocketChannel ch = tunnel(proxy(p.port()), "broker.example", TIMEOUT)) {
                assertTrue(ch.isConnected(), answer);
            }
        }
    }

    @Test
    void credentialsGoAsBasicInUtf8AndIpv6TargetsAreBracketed() throws IOException {
        try (ScriptedHttpPeer p = answering("HTTP/1.1 200 OK\r\n\r\n");
             SocketChannel ch = tunnel(proxy(p.port(), "alice", "pa:ss wörd"), "::1", TIMEOUT)) {
            String expected = Base64.getEncoder().encodeToString("alice:pa:ss wörd".getBytes(StandardCharsets.UTF_8));
            assertEquals(List.of("CONNECT [::1]:1883 HTTP/1.1\r\nHost: [::1]:1883\r\nProxy-Authorization: Basic " + expected
                    + "\r\n\r\n"), p.requests());
        }
    }

    @Test
    void aProxyThatWantsCredentialsSaysSo() throws IOException {
        try (ScriptedHttpPeer p = answering("HTTP/1.1 407 Proxy Authentication Required\r\n"
                + "Proxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n")) {
            ProtocolException e = assertThrows(HttpProxyTunnel.ProxyAuthenticationException.class,
                    () -> tunnel(proxy(p.port()), "broker.example", TIMEOUT));
            assertEquals("the HTTP proxy 127.0.0.1:" + p.port() + " requires authentication (\"HTTP/1.1 407 Proxy "
                    + "Authentication Required\", it asks for basic); give a user name and password with "
                    + "MqttOptions.Builder.httpProxy(host, port, user, password)", e.getMessage());
        }
    }

    @Test
    void refusedCredentialsAreNamedWithoutThePassword() throws IOException {
        try (ScriptedHttpPeer p = answering("HTTP/1.1 407 Proxy Authentication Required\r\n"
                + "Proxy-Authenticate: Basic realm=\"corp\"\r\n\r\n")) {
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> tunnel(proxy(p.port(), "alice", "hunter2"), "broker.example", TIMEOUT));
            assertEquals("the HTTP proxy 127.0.0.1:" + p.port() + " refused the credentials of user \"alice\" "
                    + "(\"HTTP/1.1 407 Proxy Authentication Required\")", e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"));
        }
    }

    @Test
    void aSchemeOtherThanBasicIsNamed() throws IOException {
        try (ScriptedHttpPeer p = answering("HTTP/1.1 407 Proxy Authentication Required\r\n"
                + "Proxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\n\r\n")) {
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> tunnel(proxy(p.port(), "alice", "hunter2"), "broker.example", TIMEOUT));
            assertTrue(e.getMessage().contains("requires authentication with negotiate, ntlm, not Basic; Mote supports Basic only"),
                    e.getMessage());
        }
    }

    @Test
    void challengeSchemesAreTheFirstTokensOfEachChallenge() {
        assertEquals(List.of("basic"), HttpProxyTunnel.challengeSchemes(List.of("Basic realm=\"a, b\"")));
        assertEquals(List.of("digest", "basic"), HttpProxyTunnel.challengeSchemes(
                List.of("Digest realm=\"x\", nonce=\"y\", qop=\"auth\", Basic realm=\"x\"")));
        assertEquals(List.of("negotiate", "ntlm"), HttpProxyTunnel.challengeSchemes(List.of("Negotiate, NTLM")));
        assertEquals(List.of(), HttpProxyTunnel.challengeSchemes(List.of()));
    }

    @Test
    void anyOtherStatusIsQuoted() throws IOException {
        for (String status : List.of("HTTP/1.1 403 Forbidden", "HTTP/1.1 502 Bad Gateway", "HTTP/1.0 400 Bad Request",
                "HTTP/1.1 301 Moved Permanently")) {
            try (ScriptedHttpPeer p = answering(status + "\r\nContent-Length: 5\r\n\r\nnope!")) {
                ProtocolException e = assertThrows(ProtocolException.class, () -> tunnel(proxy(p.port()), "broker.example", TIMEOUT));
                assertEquals("the HTTP proxy 127.0.0.1:" + p.port() + " refused to open a tunnel to broker.example:1883: \""
                        + status + "\"", e.getMessage());
            }
        }
    }

    @Test
    void oversizedHeadersAreRefused() throws IOException {
        try (ScriptedHttpPeer p = answering("HTTP/1.1 200 OK\r\n" + "X-Padding: 0123456789\r\n".repeat(500) + "\r\n")) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> tunnel(proxy(p.port()), "broker.example", TIMEOUT));
            assertTrue(e.getMessage().endsWith("sent more than 8192 bytes of response headers (\"HTTP/1.1 200 OK\")"), e.getMessage());
        }
    }

    @Test
    void bytesAfterTheTwoHundredAreRefused() throws IOException {
        try (ScriptedHttpPeer p = answering("HTTP/1.1 200 OK\r\n\r\n\u0020\u0002\u0000\u0000")) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> tunnel(proxy(p.port()), "broker.example", TIMEOUT));
            assertTrue(e.getMessage().contains("sent 4 bytes after its answer to CONNECT"), e.getMessage());
        }
    }

    @Test
    void aProxyThatHangsUpIsAnEof() throws IOException {
        try (ScriptedHttpPeer p = new ScriptedHttpPeer((s, head) -> s.close())) {
            EOFException e = assertThrows(EOFException.class, () -> tunnel(proxy(p.port()), "broker.example", TIMEOUT));
            assertEquals("the HTTP proxy 127.0.0.1:" + p.port() + " closed the connection without answering", e.getMessage());
        }
    }

    @Test
    void aSilentProxyIsBoundedByTheConnectTimeout() throws IOException {
        try (ScriptedHttpPeer p = new ScriptedHttpPeer((s, head) -> s.getInputStream().transferTo(OutputStream.nullOutputStream()))) {
            long start = System.nanoTime();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                    () -> tunnel(proxy(p.port()), "broker.example", Duration.ofMillis(400)));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals("the HTTP proxy 127.0.0.1:" + p.port() + " did not answer the CONNECT request to broker.example:1883 "
                    + "within 400 ms of connecting", e.getMessage());
            assertTrue(ms >= 350 && ms < 2000, "took " + ms + " ms");
        }
    }

    @Test
    void aDripFeedingProxyIsBoundedToo() throws IOException {
        // One byte every 50 ms, a head that never ends: the time bound holds, not only the size bound.
        try (ScriptedHttpPeer p = new ScriptedHttpPeer((s, head) -> {
            OutputStream out = s.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 200; i++) {
                out.write('X');
                out.flush();
                Thread.sleep(50);
            }
        })) {
            long start = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> tunnel(proxy(p.port()), "broker.example", Duration.ofMillis(500)));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms >= 450 && ms < 2500, "took " + ms + " ms");
        }
    }

    @Test
    void aProxyThatIsDownIsNamed() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ConnectException e = assertThrows(ConnectException.class, () -> tunnel(proxy(port), "broker.example", TIMEOUT));
        assertTrue(e.getMessage().startsWith("cannot reach the HTTP proxy 127.0.0.1:" + port + ": "), e.getMessage());
    }

    @Test
    void tcpThroughTheProxyDescribesBoth() throws Exception {
        try (ScriptedHttpPeer p = answering("HTTP/1.1 200 OK\r\n\r\n")) {
            MqttOptions options = MqttOptions.builder("mqtt://broker.example:1884").httpProxy("127.0.0.1", p.port()).build();
            try (Transport t = Transports.connect(options, options.servers().get(0))) {
                assertEquals("mqtt://broker.example:1884 via HTTP proxy 127.0.0.1:" + p.port(), t.describe());
                t.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                ByteBuffer b = ByteBuffer.allocate(3);
                while (b.hasRemaining()) {
                    assertTrue(t.read(b) > 0);
                }
                assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3}), b.flip());
            }
        }
    }

}
