package dev.mote.mqtt.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.SocksProxy;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The client side of SOCKS5 and SOCKS4a byte by byte, against a proxy scripted in each test:
 * what is sent for a host name, an IPv4 and an IPv6 address, with and without a password, and
 * what each wrong or refusing reply becomes.
 */
class SocksHandshakeTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final HexFormat HEX = HexFormat.of();

    /** A proxy that accepts one connection and runs a script on it, on a virtual thread. */
    private static final class ScriptedProxy implements AutoCloseable {
        interface Script {
            void run(DataInputStream in, OutputStream out) throws Exception;
        }

        final ServerSocket server;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private volatile Socket accepted;

        ScriptedProxy(Script script) throws IOException {
            server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    accepted = s;
                    s.setSoTimeout(10_000);
                    script.run(new DataInputStream(s.getInputStream()), s.getOutputStream());
                    done.complete(null);
                    s.getInputStream().read(); // hold the connection until the client closes it
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            });
        }

        SocksProxy socks5() {
            return SocksProxy.socks5("127.0.0.1", server.getLocalPort());
        }

        int port() {
            return server.getLocalPort();
        }

        /** Waits for the script to have run to its end; rethrows what failed in it. */
        void finished() throws Exception {
            done.get(5, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws IOException {
            server.close();
            Socket s = accepted;
            if (s != null) {
                s.close();
            }
        }
    }

    private static long deadline(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    private static TcpTransport tunnel(SocksProxy proxy, String host, int port) throws IOException {
        return TcpTransport.over(Socks.tunnel(proxy, host, port, deadline(TIMEOUT), TIMEOUT), "test");
    }

    /** Opens the tunnel and closes it again: the handshake succeeded. */
    private static void succeeds(SocksProxy proxy, String host, int port) throws IOException {
        Socks.tunnel(proxy, host, port, deadline(TIMEOUT), TIMEOUT).close();
    }

    private static IOException fails(SocksProxy proxy, String host, int port) {
        return assertThrows(IOException.class, () -> Socks.tunnel(proxy, host, port, deadline(TIMEOUT), TIMEOUT).close());
    }

    private static byte[] read(DataInputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** Reads a SOCKS5 greeting and answers it with {@code method}; returns the offered methods. */
    private static byte[] greet(DataInputStream in, OutputStream out, int method) throws IOException {
        assertEquals(5, in.readUnsignedByte(), "version");
        byte[] methods = read(in, in.readUnsignedByte());
        out.write(new byte[] {5, (byte) method});
        out.flush();
        return methods;
    }

    /** Reads a SOCKS5 CONNECT request; returns everything after VER CMD RSV, in hex. */
    private static String request(DataInputStream in) throws IOException {
        assertEquals("050100", HEX.formatHex(read(in, 3)));
        int atyp = in.readUnsignedByte();
        byte[] address = switch (atyp) {
            case 1 -> read(in, 4);
            case 4 -> read(in, 16);
            case 3 -> {
                int n = in.readUnsignedByte();
                byte[] name = read(in, n);
                byte[] withLength = new byte[n + 1];
                withLength[0] = (byte) n;
                System.arraycopy(name, 0, withLength, 1, n);
                yield withLength;
            }
            default -> throw new AssertionError("address type " + atyp);
        };
        return HEX.formatHex(new byte[] {(byte) atyp}) + HEX.formatHex(address) + HEX.formatHex(read(in, 2));
    }

    private static final byte[] SUCCESS_V5 = {5, 0, 0, 1, 127, 0, 0, 1, 0x04, 0x38};

    @Test
    void socks5SendsTheHostNameAndThenCarriesTheBrokersBytes() throws Exception {
        CompletableFuture<String> asked = new CompletableFuture<>();
        CompletableFuture<String> afterwards = new CompletableFuture<>();
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            assertEquals("00", HEX.formatHex(greet(in, out, 0)), "only 'no authentication' is offered without a password");
            asked.complete(request(in));
            // The reply and the broker's first bytes in one segment: the client must not swallow them.
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            reply.writeBytes(SUCCESS_V5);
            reply.writeBytes("hello".getBytes(StandardCharsets.US_ASCII));
            out.write(reply.toByteArray());
            out.flush();
            afterwards.complete(new String(read(in, 4), StandardCharsets.US_ASCII));
        }); TcpTransport t = tunnel(p.socks5(), "broker.example", 1883)) {
            String name = HEX.formatHex("broker.example".getBytes(StandardCharsets.US_ASCII));
            assertEquals("03" + "0e" + name + "075b", asked.get(5, TimeUnit.SECONDS), "ATYP 3, length, name, port 1883");
            ByteBuffer buf = ByteBuffer.allocate(16);
            while (buf.position() < 5) {
                assertTrue(t.read(buf) > 0);
            }
            assertEquals("hello", new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII));
            t.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
            assertEquals("ping", afterwards.get(5, TimeUnit.SECONDS));
            p.finished();
        }
    }

    @Test
    void socks5SendsIpAddressesAsAddresses() throws Exception {
        CompletableFuture<String> v4 = new CompletableFuture<>();
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            greet(in, out, 0);
            v4.complete(request(in));
            out.write(SUCCESS_V5);
        })) {
            succeeds(p.socks5(), "10.1.2.3", 8883);
            assertEquals("01" + "0a010203" + "22b3", v4.get(5, TimeUnit.SECONDS));
        }
        CompletableFuture<String> v6 = new CompletableFuture<>();
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            greet(in, out, 0);
            v6.complete(request(in));
            // A bound address given as a name and as IPv6 are both valid replies.
            out.write(new byte[] {5, 0, 0, 3, 2, 'h', 'i', 0, 1});
        })) {
            succeeds(p.socks5(), "2001:db8::1", 1883);
            assertEquals("04" + "20010db8000000000000000000000001" + "075b", v6.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void socks5UserNameAndPasswordFollowRfc1929() throws Exception {
        CompletableFuture<String> offered = new CompletableFuture<>();
        CompletableFuture<String> credentials = new CompletableFuture<>();
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            offered.complete(HEX.formatHex(greet(in, out, 2)));
            credentials.complete(HEX.formatHex(read(in, 2 + 5 + 1 + 6)));
            out.write(new byte[] {1, 0});
            request(in);
            out.write(SUCCESS_V5);
        })) {
            succeeds(SocksProxy.socks5("127.0.0.1", p.port(), "alice", "s3cr3t"), "broker", 1883);
            assertEquals("0002", offered.get(5, TimeUnit.SECONDS), "no authentication and user name/password are offered");
            assertEquals("01" + "05" + HEX.formatHex("alice".getBytes(StandardCharsets.US_ASCII))
                    + "06" + HEX.formatHex("s3cr3t".getBytes(StandardCharsets.US_ASCII)), credentials.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void aProxyThatNeedsNoPasswordMayChooseNoAuthentication() throws Exception {
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            greet(in, out, 0);
            request(in);
            out.write(SUCCESS_V5);
        })) {
            succeeds(SocksProxy.socks5("127.0.0.1", p.port(), "alice", "s3cr3t"), "broker", 1883);
            p.finished();
        }
    }

    @Test
    void aRefusedPasswordSaysSoWithoutShowingIt() throws Exception {
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            greet(in, out, 2);
            read(in, 2 + 5 + 1 + 6);
            out.write(new byte[] {1, 1});
        })) {
            IOException e = fails(SocksProxy.socks5("127.0.0.1", p.port(), "alice", "s3cr3t"), "broker", 1883);
            assertEquals("the SOCKS5 proxy 127.0.0.1:" + p.port() + " refused the user name or password (user \"alice\")",
                    e.getMessage());
            assertFalse(e.getMessage().contains("s3cr3t"));
        }
    }

    @Test
    void noAcceptableMethodHintsAtAPassword() throws Exception {
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> greet(in, out, 0xFF))) {
            assertEquals("the SOCKS5 proxy 127.0.0.1:" + p.port() + " accepts none of the authentication methods offered "
                    + "(no authentication); it may need a user name and password", fails(p.socks5(), "b", 1).getMessage());
        }
    }

    @Test
    void aMethodThatWasNotOfferedIsRefused() throws Exception {
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> greet(in, out, 2))) {
            assertEquals("the SOCKS5 proxy 127.0.0.1:" + p.port() + " chose authentication method 0x02, which was not offered "
                    + "(no authentication)", fails(p.socks5(), "b", 1).getMessage());
        }
    }

    @Test
    void aServerThatIsNoSocks5ProxyIsNamed() throws Exception {
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            read(in, 3);
            out.write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        })) {
            assertEquals("127.0.0.1:" + p.port() + " is not a SOCKS5 proxy (replied version 0x48; it looks like an HTTP server)",
                    fails(p.socks5(), "b", 1).getMessage());
        }
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            read(in, 3);
            out.close();
        })) {
            assertEquals("the SOCKS5 proxy 127.0.0.1:" + p.port() + " closed the connection instead of sending its answer to the "
                    + "greeting; is it a SOCKS5 proxy?", fails(p.socks5(), "b", 1).getMessage());
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1|could not reach broker broker.example:1883: general SOCKS server failure (reply 1)",
        "2|will not connect to broker broker.example:1883: connection not allowed by ruleset (reply 2)",
        "3|could not reach broker broker.example:1883: network unreachable (reply 3)",
        "4|could not reach broker broker.example:1883: host unreachable (reply 4)",
        "5|could not reach broker broker.example:1883: connection refused (reply 5)",
        "6|could not reach broker broker.example:1883: TTL expired (reply 6)",
        "7|cannot handle the request to connect to broker broker.example:1883: command not supported (reply 7)",
        "8|cannot handle the request to connect to broker broker.example:1883: address type not supported (reply 8)",
        "9|could not reach broker broker.example:1883: unassigned reply code (reply 9)",
    })
    void everyReplyCodeIsSaidInWords(int code, String words) throws Exception {
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            greet(in, out, 0);
            request(in);
            out.write(new byte[] {5, (byte) code, 0, 1, 0, 0, 0, 0, 0, 0});
        })) {
            IOException e = fails(p.socks5(), "broker.example", 1883);
            assertEquals("the SOCKS5 proxy 127.0.0.1:" + p.port() + " " + words, e.getMessage());
            assertTrue(e instanceof ConnectException);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "04000001|invalid reply to CONNECT (version 0x04, expected 0x05)",
        "05000101|invalid reply to CONNECT (reserved byte 0x01, expected 0x00)",
        "05000002|invalid reply to CONNECT (address type 0x02, expected 0x01, 0x03 or 0x04)",
        "0500000300|invalid reply to CONNECT (an empty bound host name)",
    })
    void everyReplyByteIsChecked(String reply, String words) throws Exception {
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            greet(in, out, 0);
            request(in);
            out.write(HEX.parseHex(reply));
        })) {
            assertEquals("the SOCKS5 proxy 127.0.0.1:" + p.port() + " sent an " + words, fails(p.socks5(), "b", 1).getMessage());
        }
    }

    @Test
    void aReplyCutShortIsAnError() throws Exception {
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            greet(in, out, 0);
            request(in);
            out.write(new byte[] {5, 0, 0, 1, 127, 0});
            out.close();
        })) {
            assertEquals("the SOCKS5 proxy 127.0.0.1:" + p.port() + " closed the connection instead of sending its reply to "
                    + "CONNECT (after 2 of 6 bytes)", fails(p.socks5(), "b", 1).getMessage());
        }
    }

    @Test
    void aSilentProxyFailsWithinTheConnectTimeout() throws Exception {
        Duration timeout = Duration.ofMillis(700);
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            read(in, 3);
            Thread.sleep(5_000);
        })) {
            long start = System.nanoTime();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                    () -> Socks.tunnel(p.socks5(), "b", 1, deadline(timeout), timeout));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals("the SOCKS5 proxy 127.0.0.1:" + p.port() + " sent no answer to the greeting within 700 ms "
                    + "(the connect timeout)", e.getMessage());
            assertTrue(ms >= 600 && ms < 2_500, "took " + ms + " ms");
        }
    }

    @Test
    void aProxyThatIsDownIsNamed() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        IOException e = fails(SocksProxy.socks5("127.0.0.1", port), "b", 1);
        assertTrue(e instanceof ConnectException);
        assertTrue(e.getMessage().startsWith("the SOCKS5 proxy 127.0.0.1:" + port + " is not reachable: Connection refused"),
                e.getMessage());
    }

    @Test
    void anUnknownProxyHostIsNamed() {
        IOException e = fails(SocksProxy.socks5("proxy.invalid", 1080), "b", 1);
        assertEquals("cannot resolve the host of the SOCKS5 proxy proxy.invalid:1080", e.getMessage());
    }

    // ---------------------------------------------------------------- SOCKS4a

    @Test
    void socks4aSendsTheNameAfterTheUserIdAndAddress0001() throws Exception {
        CompletableFuture<String> asked = new CompletableFuture<>();
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            asked.complete(HEX.formatHex(read(in, 8 + 3 + 1 + 14 + 1)));
            out.write(new byte[] {0, 90, 0, 0, 0, 0, 0, 0, 'h', 'i'});
        }); TcpTransport t = tunnel(SocksProxy.socks4a("127.0.0.1", p.port(), "bob"), "broker.example", 1883)) {
            assertEquals("0401" + "075b" + "00000001" + HEX.formatHex("bob".getBytes(StandardCharsets.US_ASCII)) + "00"
                    + HEX.formatHex("broker.example".getBytes(StandardCharsets.US_ASCII)) + "00", asked.get(5, TimeUnit.SECONDS));
            ByteBuffer buf = ByteBuffer.allocate(8);
            while (buf.position() < 2) {
                t.read(buf);
            }
            assertArrayEquals(new byte[] {'h', 'i'}, java.util.Arrays.copyOf(buf.array(), 2));
        }
    }

    @Test
    void socks4aSendsAnIpv4AddressAsSocks4DoesAndRefusesIpv6() throws Exception {
        CompletableFuture<String> asked = new CompletableFuture<>();
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            asked.complete(HEX.formatHex(read(in, 9)));
            out.write(new byte[] {0, 90, 0, 0, 0, 0, 0, 0});
        })) {
            succeeds(SocksProxy.socks4a("127.0.0.1", p.port()), "192.168.1.20", 8883);
            assertEquals("0401" + "22b3" + "c0a80114" + "00", asked.get(5, TimeUnit.SECONDS));
        }
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> { })) {
            assertEquals("SOCKS4a cannot carry the IPv6 address of broker [::1]:1883; use a host name or a SOCKS5 proxy",
                    fails(SocksProxy.socks4a("127.0.0.1", p.port()), "::1", 1883).getMessage());
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "005b|could not reach broker b:1: request rejected or failed (reply 91)",
        "005c|refused to connect to broker b:1: it could not reach the identd on this machine (reply 92)",
        "005d|refused to connect to broker b:1: the identd on this machine reports a different user id (reply 93)",
        "0001|sent an invalid reply to CONNECT (code 1, expected 90 to 93)",
    })
    void socks4aRepliesAreSaidInWords(String head, String words) throws Exception {
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            read(in, 8 + 1 + 1 + 1);
            out.write(HEX.parseHex(head + "000000000000"));
        })) {
            assertEquals("the SOCKS4a proxy 127.0.0.1:" + p.port() + " " + words,
                    fails(SocksProxy.socks4a("127.0.0.1", p.port()), "b", 1).getMessage());
        }
    }

    @Test
    void aSocks5ProxyAskedForSocks4aIsNamed() throws Exception {
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            read(in, 11);
            out.write(new byte[] {5, (byte) 0xFF, 0, 0, 0, 0, 0, 0});
        })) {
            assertEquals("127.0.0.1:" + p.port() + " is not a SOCKS4 proxy (replied version 0x05, expected 0x00; "
                    + "it looks like a SOCKS5 proxy)", fails(SocksProxy.socks4a("127.0.0.1", p.port()), "b", 1).getMessage());
        }
    }

    @Test
    void theTunnelIsABlockingChannelWithoutATimeoutLeft() throws Exception {
        try (ScriptedProxy p = new ScriptedProxy((in, out) -> {
            greet(in, out, 0);
            request(in);
            out.write(SUCCESS_V5);
        })) {
            var ch = Socks.tunnel(p.socks5(), "b", 1, deadline(TIMEOUT), TIMEOUT);
            try (ch) {
                assertTrue(ch.isBlocking());
                assertEquals(0, ch.socket().getSoTimeout());
                assertEquals(new InetSocketAddress(InetAddress.getLoopbackAddress(), p.port()), ch.getRemoteAddress());
            }
        }
    }
}
