package dev.mote.mqtt.internal.transport;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading and parsing the head of an HTTP/1.x response, with its size bound, from chunks of any size. */
class HttpResponseHeadTest {

    /** A source that hands out {@code text} in chunks of {@code chunk} bytes, then end of stream. */
    private static HttpResponseHead.Source chunks(String text, int chunk) {
        ByteBuffer all = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
        return dst -> {
            if (!all.hasRemaining()) {
                return -1;
            }
            int n = Math.min(Math.min(chunk, all.remaining()), dst.remaining());
            for (int i = 0; i < n; i++) {
                dst.put(all.get());
            }
            return n;
        };
    }

    private static HttpResponseHead.Read read(String text) throws IOException {
        return HttpResponseHead.read(chunks(text, 1000), 8192, "the peer");
    }

    @Test
    void statusLineVariants() throws IOException {
        HttpResponseHead h = read("HTTP/1.1 200 Connection established\r\n\r\n").head();
        assertEquals(200, h.status());
        assertEquals("HTTP/1.1 200 Connection established", h.statusLine());
        assertEquals(200, read("HTTP/1.0 200 OK\r\nProxy-agent: test\r\n\r\n").head().status());
        assertEquals(200, read("HTTP/1.1 200\r\n\r\n").head().status(), "the reason phrase is optional");
        assertEquals(200, read("HTTP/1.1 200 \r\n\r\n").head().status(), "an empty reason phrase");
        assertEquals(407, read("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n").head().status());
        assertEquals(101, read("HTTP/1.1 101 Switching Protocols\r\n\r\n").head().status());
    }

    @Test
    void bareLineFeedsAreAccepted() throws IOException {
        HttpResponseHead.Read r = read("HTTP/1.1 200 OK\nVia: x\n\nafter");
        assertEquals(200, r.head().status());
        assertEquals("x", r.head().header("via"));
        assertEquals("after", StandardCharsets.ISO_8859_1.decode(r.after()).toString());
    }

    @Test
    void headersAreCaseInsensitiveTrimmedRepeatedAndFolded() throws IOException {
        HttpResponseHead h = read("HTTP/1.1 407 Proxy Authentication Required\r\n"
                + "Proxy-Authenticate:   Negotiate  \r\n"
                + "proxy-authenticate: Basic realm=\"squid\"\r\n"
                + "Connection: keep-alive,\r\n  Upgrade\r\n"
                + "Empty:\r\n"
                + "\r\n").head();
        assertEquals(List.of("Negotiate", "Basic realm=\"squid\""), h.headers("PROXY-AUTHENTICATE"));
        assertEquals("Negotiate", h.header("Proxy-Authenticate"));
        assertTrue(h.hasToken("connection", "upgrade"), "folded continuation joins the previous field");
        assertTrue(h.hasToken("connection", "KEEP-ALIVE"));
        assertFalse(h.hasToken("connection", "close"));
        assertEquals("", h.header("empty"));
        assertNull(h.header("absent"));
        assertEquals(List.of(), h.headers("absent"));
    }

    @Test
    void theHeadIsFoundWhateverTheChunking() throws IOException {
        String response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u0082\u0002ab";
        for (int chunk = 1; chunk <= response.length(); chunk++) {
            HttpResponseHead.Read r = HttpResponseHead.read(chunks(response, chunk), 8192, "the peer");
            assertEquals(101, r.head().status(), "chunk " + chunk);
            assertEquals("websocket", r.head().header("upgrade"));
            // what was read past the head is kept, and nothing more was read than the chunk it ended in
            String after = StandardCharsets.ISO_8859_1.decode(r.after()).toString();
            assertTrue("\u0082\u0002ab".startsWith(after), "chunk " + chunk + ": " + after);
            assertTrue(after.length() < chunk, "chunk " + chunk);
            if (chunk >= response.length()) {
                assertEquals(4, after.length());
            }
        }
    }

    @Test
    void anOversizedHeadIsRefused() {
        String big = "HTTP/1.1 200 OK\r\nX-Filler: " + "a".repeat(9000) + "\r\n\r\n";
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> HttpResponseHead.read(chunks(big, 512), 8192, "the HTTP proxy p:1"));
        assertEquals("the HTTP proxy p:1 sent more than 8192 bytes of response headers (\"HTTP/1.1 200 OK\")", e.getMessage());
        // a head of exactly the limit is fine, one byte more is not
        String exact = "HTTP/1.1 200 OK\r\nX: " + "b".repeat(8192 - 24) + "\r\n\r\n";
        assertEquals(8192, exact.length());
        assertDoesNotThrow(() -> HttpResponseHead.read(chunks(exact, 512), 8192, "p"));
        assertThrows(ProtocolException.class, () -> HttpResponseHead.read(chunks(exact, 512), 8191, "p"));
    }

    @Test
    void anEndOfStreamBeforeTheHeadEndsIsAnEofThatSaysHowFarItGot() {
        EOFException none = assertThrows(EOFException.class, () -> read(""));
        assertEquals("the peer closed the connection without answering", none.getMessage());
        EOFException some = assertThrows(EOFException.class, () -> read("HTTP/1.1 200 OK\r\nVia: x\r\n"));
        assertEquals("the peer closed the connection in the middle of its answer, after 25 bytes: \"HTTP/1.1 200 OK\"",
                some.getMessage());
    }

    @Test
    void notHttpIsToldApartAtOnceAndQuoted() {
        // An SSH server or an MQTT broker on the proxy's port: no need to wait for a blank line.
        ProtocolException ssh = assertThrows(ProtocolException.class,
                () -> HttpResponseHead.read(chunks("SSH-2.0-OpenSSH_9.2\r\n", 100), 8192, "the HTTP proxy h:22"));
        assertEquals("the HTTP proxy h:22 did not answer in HTTP: \"SSH-2.0-OpenSSH_9.2\"", ssh.getMessage());
        ProtocolException binary = assertThrows(ProtocolException.class, () -> read("\u0020\u0002\u0000\u0000"));
        assertTrue(binary.getMessage().contains("did not answer in HTTP: \" \\u0002\\u0000\\u0000\""), binary.getMessage());
        assertThrows(ProtocolException.class, () -> read("HTTP/2 200\r\n\r\n"));
        assertThrows(ProtocolException.class, () -> read("HTTP/1.1 20 OK\r\n\r\n"));
        assertThrows(ProtocolException.class, () -> read("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"));
        assertThrows(ProtocolException.class, () -> read("HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n"));
        assertThrows(ProtocolException.class, () -> read("HTTP/1.1 200 OK\r\n folded first\r\n\r\n"));
    }

    @Test
    void controlCharactersInTheStatusLineCannotForgeMessages() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> read("HTTP/1.1 2x0 \u001b[31mred\r\n\r\n"));
        assertTrue(e.getMessage().contains("\\u001B[31mred"), e.getMessage());
    }
}
