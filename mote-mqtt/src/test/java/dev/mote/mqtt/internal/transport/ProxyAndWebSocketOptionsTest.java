package dev.mote.mqtt.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.HttpProxy;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.TlsConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** MqttOptions for ws://, wss://, webSocketHeaders and the HTTP proxy: defaults, checks at the call, messages. */
class ProxyAndWebSocketOptionsTest {

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void webSocketUrlsHaveTheirDefaultPortsAndWssGetsTls() {
        MqttOptions ws = MqttOptions.builder("ws://broker.example/mqtt").build();
        assertEquals("ws", ws.scheme());
        assertEquals(80, ws.port());
        assertNull(ws.tls());
        MqttOptions wss = MqttOptions.builder("WSS://broker.example:8884/ws?x=1").build();
        assertEquals("wss", wss.scheme());
        assertEquals(8884, wss.port());
        assertNotNull(wss.tls(), "wss:// gets the default TLS");
        assertEquals("wss://broker.example:8884", wss.servers().get(0).toString());
        TlsConfig tls = TlsConfig.builder().dangerouslyDisableHostnameVerification().build();
        assertEquals(tls, MqttOptions.builder("wss://broker.example").tls(tls).build().tls());
        assertEquals(tls, MqttOptions.builder("mqtt://a").alternateServers("wss://b").tls(tls).build().tls(),
                "a wss:// alternate takes tls(...) too");
        assertEquals("tls(...) needs an mqtts:// or wss:// URL, not ws://broker.example",
                message(() -> MqttOptions.builder("ws://broker.example").tls(tls).build()));
    }

    @Test
    void webSocketHeadersAreKeptInOrderAndChecked() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Authorization", "Bearer abc ");
        h.put("X-Amz-Date", "20250101T000000Z");
        MqttOptions o = MqttOptions.builder("wss://broker.example").webSocketHeaders(h).build();
        assertEquals(List.of("Authorization", "X-Amz-Date"), List.copyOf(o.webSocketHeaders().keySet()));
        assertEquals("Bearer abc", o.webSocketHeaders().get("Authorization"));
        assertThrows(UnsupportedOperationException.class, () -> o.webSocketHeaders().put("a", "b"));
        assertFalse(o.toString().contains("Bearer"), "values are not shown: " + o);
        assertTrue(o.toString().contains("webSocketHeaders=[Authorization, X-Amz-Date]"), o.toString());
        assertEquals(Map.of(), MqttOptions.builder("ws://broker.example").build().webSocketHeaders());

        for (String reserved : List.of("Host", "upgrade", "Connection", "Sec-WebSocket-Protocol", "sec-websocket-key",
                "Content-Length", "Transfer-Encoding")) {
            assertEquals("the " + reserved + " header is written by Mote for the WebSocket upgrade and cannot be set",
                    message(() -> MqttOptions.builder("ws://b").webSocketHeaders(Map.of(reserved, "x"))));
        }
        assertEquals("not a valid HTTP header name: \"Bad Name\"",
                message(() -> MqttOptions.builder("ws://b").webSocketHeaders(Map.of("Bad Name", "x"))));
        assertEquals("not a valid HTTP header name: \"\"",
                message(() -> MqttOptions.builder("ws://b").webSocketHeaders(Map.of("", "x"))));
        assertTrue(message(() -> MqttOptions.builder("ws://b").webSocketHeaders(Map.of("X-A", "a\r\nHost: evil")))
                .contains("contains a control character"), "no header injection");
        Map<String, String> twice = new LinkedHashMap<>();
        twice.put("X-A", "1");
        twice.put("x-a", "2");
        assertEquals("the x-a header is given twice", message(() -> MqttOptions.builder("ws://b").webSocketHeaders(twice)));
        assertEquals("webSocketHeaders(...) needs a ws:// or wss:// URL, not mqtt://b",
                message(() -> MqttOptions.builder("mqtt://b").webSocketHeaders(Map.of("X-A", "1")).build()));
    }

    @Test
    void httpProxyWithAndWithoutCredentials() {
        HttpProxy p = MqttOptions.builder("mqtt://b").httpProxy("proxy.corp", 3128).build().httpProxy();
        assertEquals("proxy.corp", p.host());
        assertEquals(3128, p.port());
        assertNull(p.username());
        assertNull(p.password());
        assertEquals("http://proxy.corp:3128", p.toString());

        MqttOptions o = MqttOptions.builder("wss://b").httpProxy("::1", 8080, "alice", "hunter2").build();
        HttpProxy q = o.httpProxy();
        assertEquals("::1", q.host());
        assertEquals("alice", q.username());
        assertArrayEquals("hunter2".toCharArray(), q.password());
        q.password()[0] = 'X';
        assertArrayEquals("hunter2".toCharArray(), q.password(), "a copy is handed out");
        assertEquals("http://alice:<hidden>@[::1]:8080", q.toString());
        assertFalse(o.toString().contains("hunter2"), o.toString());
        assertTrue(o.toString().contains("httpProxy=http://alice:<hidden>@[::1]:8080"), o.toString());
        assertNull(MqttOptions.builder("mqtt://b").build().httpProxy());
    }

    @Test
    void httpProxyArgumentsAreChecked() {
        assertEquals("HTTP proxy port must be from 1 to 65535, not 0", message(() -> MqttOptions.builder("mqtt://b").httpProxy("p", 0)));
        assertEquals("not a valid HTTP proxy host: \"\"", message(() -> MqttOptions.builder("mqtt://b").httpProxy("", 80)));
        assertEquals("not a valid HTTP proxy host: \"a b\"", message(() -> MqttOptions.builder("mqtt://b").httpProxy("a b", 80)));
        assertEquals("an HTTP proxy user name cannot contain ':' (RFC 7617)",
                message(() -> MqttOptions.builder("mqtt://b").httpProxy("p", 1, "a:b", "c")));
        String m = message(() -> MqttOptions.builder("mqtt://b").httpProxy("p", 1, "a", "x\r\ny"));
        assertEquals("the HTTP proxy password contains a control character", m);
        assertFalse(m.contains("x\r\ny"));
        assertThrows(NullPointerException.class, () -> MqttOptions.builder("mqtt://b").httpProxy("p", 1, null, "c"));
        assertEquals("httpProxy(...) and transport(...) do not combine: your own transport opens its own connection; "
                        + "tunnel through the proxy there or drop transport(...)",
                message(() -> MqttOptions.builder("mqtt://b").httpProxy("p", 1).transport((h, port, t) -> null).build()));
    }

    @Test
    void proxyUrls() {
        HttpProxy p = MqttOptions.builder("mqtt://b").proxy("http://bob:p%40ss%3Aword@10.0.0.1:3128/").build().httpProxy();
        assertEquals("10.0.0.1", p.host());
        assertEquals(3128, p.port());
        assertEquals("bob", p.username());
        assertArrayEquals("p@ss:word".toCharArray(), p.password(), "user info is percent-decoded");
        HttpProxy v6 = MqttOptions.builder("mqtt://b").proxy("HTTP://[::1]:8080").build().httpProxy();
        assertEquals("::1", v6.host());
        assertNull(v6.username());
        assertArrayEquals(new char[0], MqttOptions.builder("mqtt://b").proxy("http://bob@p:1").build().httpProxy().password());

        assertEquals("the proxy URL has no port; expected http://[user:password@]host:port",
                message(() -> MqttOptions.builder("mqtt://b").proxy("http://proxy.corp")));
        MqttOptions socks = MqttOptions.builder("mqtt://b").proxy("socks5://p:1080").build();
        assertNull(socks.httpProxy());
        assertEquals("p", socks.socksProxy().host(), "a socks URL is a SOCKS proxy");
        assertEquals("httpProxy(...) and socksProxy(...) do not combine: a connection goes through one proxy; choose one",
                message(() -> MqttOptions.builder("mqtt://b").proxy("socks5://p:1080").proxy("http://q:3128").build()));
        assertEquals("httpProxy(...) does not apply to a unix:// server: a Unix domain socket is on this machine, not behind the proxy",
                message(() -> MqttOptions.builder("unix:///run/m.sock").httpProxy("q", 3128).build()));
        assertTrue(message(() -> MqttOptions.builder("mqtt://b").proxy("https://p:443"))
                .startsWith("unsupported proxy URL scheme \"https\""));
        assertEquals("a proxy URL has no path, query or fragment; expected http://[user:password@]host:port",
                message(() -> MqttOptions.builder("mqtt://b").proxy("http://p:1/x")));
        String bad = message(() -> MqttOptions.builder("mqtt://b").proxy("http://bob:se cret@p:1"));
        assertFalse(bad.contains("se cret"), "the password is not echoed: " + bad);
    }
}
