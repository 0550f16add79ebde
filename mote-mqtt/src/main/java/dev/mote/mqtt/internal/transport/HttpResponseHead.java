package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.internal.util.Printable;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The status line and header fields of an HTTP/1.x response (RFC 9112 sections 4 and 5): an HTTP
 * proxy's answer to {@code CONNECT}, a WebSocket server's answer to the upgrade request. Read with
 * a bound on its size (the caller bounds the time); the body, if any, is never read. Lines may end
 * in CRLF or, leniently, in a bare LF (RFC 9112 section 2.2).
 */
final class HttpResponseHead {
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/(\\d)\\.(\\d) (\\d{3})(?: (.*))?");

    /** Where the response comes from. */
    @FunctionalInterface
    interface Source {
        /** Reads at least one byte into {@code dst}, or returns -1 at end of stream. */
        int read(ByteBuffer dst) throws IOException;
    }

    /** A response head and the bytes read after it (already the next protocol's), in read mode. */
    record Read(HttpResponseHead head, ByteBuffer after) {}

    private final String statusLine;
    private final int status;
    private final Map<String, List<String>> headers;

    private HttpResponseHead(String statusLine, int status, Map<String, List<String>> headers) {
        this.statusLine = statusLine;
        this.status = status;
        this.headers = headers;
    }

    /**
     * Reads a response head of at most {@code maxBytes} bytes.
     *
     * @param who names the peer in messages, e.g. "the HTTP proxy 10.0.0.1:3128"
     * @throws EOFException      if the peer closed the connection before the head was complete
     * @throws ProtocolException if the head is larger than {@code maxBytes} or not HTTP
     */
    static Read read(Source in, int maxBytes, String who) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(maxBytes);
        int scanned = 0;
        while (true) {
            int n = in.read(buf);
            if (n < 0) {
                if (buf.position() == 0) {
                    throw new EOFException(who + " closed the connection without answering");
                }
                throw new EOFException(who + " closed the connection in the middle of its answer, after "
                        + buf.position() + " bytes: " + Printable.quote(firstLine(buf.array(), buf.position())));
            }
            int end = endOfHead(buf.array(), scanned, buf.position());
            if (end >= 0) {
                HttpResponseHead head = parse(buf.array(), end, who);
                ByteBuffer after = ByteBuffer.allocate(buf.position() - end);
                after.put(buf.array(), end, buf.position() - end).flip();
                return new Read(head, after);
            }
            if (!looksLikeHttp(buf.array(), buf.position())) {
                throw new ProtocolException(who + " did not answer in HTTP: " + Printable.quote(firstLine(buf.array(), buf.position())));
            }
            if (!buf.hasRemaining()) {
                throw new ProtocolException(who + " sent more than " + maxBytes + " bytes of response headers ("
                        + Printable.quote(firstLine(buf.array(), buf.position())) + ")");
            }
            scanned = Math.max(0, buf.position() - 3);
        }
    }

    /**
     * The index just past the empty line that ends the head in {@code b[0..len)}, looking for it
     * from {@code from} on; -1 if it has not arrived yet.
     */
    static int endOfHead(byte[] b, int from, int len) {
        for (int i = Math.max(from, 1); i < len; i++) {
            if (b[i] == '\n' && (b[i - 1] == '\n' || (b[i - 1] == '\r' && i >= 2 && b[i - 2] == '\n'))) {
                return i + 1;
            }
        }
        return -1;
    }

    /** The first bytes are a prefix of "HTTP/": a wrong kind of server is told apart before its answer is complete. */
    private static boolean looksLikeHttp(byte[] b, int len) {
        byte[] http = {'H', 'T', 'T', 'P', '/'};
        for (int i = 0; i < Math.min(len, http.length); i++) {
            if (b[i] != http[i]) {
                return false;
            }
        }
        return true;
    }

    /** Parses {@code b[0..len)}, a complete head ending with its empty line. */
    static HttpResponseHead parse(byte[] b, int len, String who) throws ProtocolException {
        String text = new String(b, 0, len, StandardCharsets.ISO_8859_1);
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            lines.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        }
        Matcher m = STATUS_LINE.matcher(lines.get(0));
        if (!m.matches() || !m.group(1).equals("1")) {
            throw new ProtocolException(who + " did not answer with an HTTP/1.x status line: " + Printable.quote(lines.get(0)));
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        String last = null;
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty()) {
                break;
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                // obsolete line folding (RFC 9112 section 5.2): a continuation of the previous field
                if (last == null) {
                    throw new ProtocolException(who + " sent a folded header line before any header: " + Printable.quote(line));
                }
                List<String> values = headers.get(last);
                values.set(values.size() - 1, (values.get(values.size() - 1) + " " + line.strip()).strip());
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || line.substring(0, colon).chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
                throw new ProtocolException(who + " sent a malformed header line: " + Printable.quote(line));
            }
            last = line.substring(0, colon).toLowerCase(Locale.ROOT);
            headers.computeIfAbsent(last, k -> new ArrayList<>()).add(line.substring(colon + 1).strip());
        }
        return new HttpResponseHead(lines.get(0), Integer.parseInt(m.group(3)), headers);
    }

    private static String firstLine(byte[] b, int len) {
        int end = 0;
        while (end < len && end < 200 && b[end] != '\r' && b[end] != '\n') {
            end++;
        }
        return new String(b, 0, end, StandardCharsets.ISO_8859_1);
    }

    /** The status line as received, e.g. {@code HTTP/1.1 200 Connection established}. */
    String statusLine() {
        return statusLine;
    }

    /** The status code, e.g. 200. */
    int status() {
        return status;
    }

    /** The first value of a header (name in any case), or null. */
    String header(String name) {
        List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** Every value of a header (name in any case), in order; repeated fields are separate entries. */
    List<String> headers(String name) {
        return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    }

    /** True if a comma-separated header (e.g. {@code Connection}) lists {@code token}, in any case. */
    boolean hasToken(String name, String token) {
        for (String value : headers(name)) {
            for (String t : value.split(",")) {
                if (t.strip().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }
}
