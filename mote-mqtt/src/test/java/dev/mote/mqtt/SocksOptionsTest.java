package dev.mote.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link SocksProxy} and {@code MqttOptions.Builder.socksProxy(...)}: parsing, limits, combinations, and no password in any text. */
class SocksOptionsTest {

    @Test
    void theBuilderMethodsMakeSocks5Proxies() {
        MqttOptions plain = MqttOptions.builder("mqtt://broker:1883").socksProxy("proxy", 1080).build();
        assertEquals(SocksProxy.socks5("proxy", 1080), plain.socksProxy());
        assertEquals(SocksProxy.Version.SOCKS5, plain.socksProxy().version());
        assertNull(plain.socksProxy().user());

        MqttOptions auth = MqttOptions.builder("mqtts://broker").socksProxy("proxy", 1081, "alice", "s3cr3t").build();
        assertEquals("alice", auth.socksProxy().user());
        assertEquals("s3cr3t", auth.socksProxy().password());
        assertEquals(1081, auth.socksProxy().port());

        MqttOptions v4 = MqttOptions.builder("mqtt://broker").socksProxy(SocksProxy.socks4a("proxy", 9050)).build();
        assertEquals(SocksProxy.Version.SOCKS4A, v4.socksProxy().version());
        assertNull(MqttOptions.builder("mqtt://broker").build().socksProxy());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "socks5://proxy.example:1090|SOCKS5|proxy.example|1090||",
        "socks5://proxy.example|SOCKS5|proxy.example|1080||",
        "SOCKS5H://proxy.example/|SOCKS5|proxy.example|1080||",
        "socks://10.0.0.1:9|SOCKS5|10.0.0.1|9||",
        "socks5://alice:s3cr3t@proxy:1080|SOCKS5|proxy|1080|alice|s3cr3t",
        "socks5://al%40ce:p%3Ass@proxy|SOCKS5|proxy|1080|al@ce|p:ss",
        "socks5://[::1]:1080|SOCKS5|::1|1080||",
        "socks4a://proxy:9050|SOCKS4A|proxy|9050||",
        "socks4a://bob@proxy|SOCKS4A|proxy|1080|bob|",
    })
    void urlsAreParsed(String url, SocksProxy.Version version, String host, int port, String user, String password) {
        SocksProxy p = MqttOptions.builder("mqtt://b").socksProxy(url).build().socksProxy();
        assertEquals(version, p.version());
        assertEquals(host, p.host());
        assertEquals(port, p.port());
        assertEquals(user, p.user());
        assertEquals(password, p.password());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "http://proxy:3128|unsupported SOCKS proxy URL http://proxy:3128; expected socks5://[user:password@]host[:port] or socks4a://[userid@]host[:port]",
        "socks4://proxy:1080|SOCKS4 without the 'a' resolves the broker's name locally, which Mote does not do; use socks4a://proxy:1080",
        "socks5://:1080|SOCKS proxy URL has no host: socks5://:1080",
        "socks5://proxy/x|a SOCKS proxy URL has only a host and a port: socks5://proxy/x",
        "socks5://alice@proxy|SOCKS5 proxy URL has a user name but no password: socks5://alice@proxy",
        "socks4a://bob:pw@proxy|SOCKS4a has a user id but no password: socks4a://bob:<hidden>@proxy",
        "socks5://alice:s3cr3t@proxy:99999|SOCKS proxy port must be from 1 to 65535, not 99999",
        "socks5://alice:s3 cr3t@proxy|not a valid SOCKS proxy URL: socks5://alice:<hidden>@proxy",
        "socks5://proxy:0|SOCKS proxy port must be from 1 to 65535, not 0",
    })
    void badUrlsSayWhatIsWrongWithoutThePassword(String url, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SocksProxy.parse(url));
        assertEquals(message, e.getMessage());
    }

    @Test
    void rfc1929LimitsAreCheckedAtTheCall() {
        String long256 = "x".repeat(256);
        assertEquals("the SOCKS5 user name must be 1 to 255 bytes of UTF-8 (RFC 1929), not 0",
                assertThrows(IllegalArgumentException.class, () -> SocksProxy.socks5("p", 1, "", "pw")).getMessage());
        assertEquals("the SOCKS5 password must be 1 to 255 bytes of UTF-8 (RFC 1929), not 256",
                assertThrows(IllegalArgumentException.class, () -> SocksProxy.socks5("p", 1, "u", long256)).getMessage());
        assertEquals("the SOCKS5 user name must be 1 to 255 bytes of UTF-8 (RFC 1929), not 256",
                assertThrows(IllegalArgumentException.class, () -> SocksProxy.socks5("p", 1, "é".repeat(128), "pw")).getMessage());
        SocksProxy.socks5("p", 1, "x".repeat(255), "y".repeat(255));
        assertThrows(NullPointerException.class, () -> SocksProxy.socks5("p", 1, "u", null));
        assertThrows(IllegalArgumentException.class, () -> SocksProxy.socks4a("p", 1, "a\0b"));
        assertThrows(IllegalArgumentException.class, () -> SocksProxy.socks5("", 1));
        assertThrows(IllegalArgumentException.class, () -> SocksProxy.socks5("p", 65_536));
    }

    @Test
    void thePasswordIsInNoText() {
        MqttOptions o = MqttOptions.builder("mqtt://broker").socksProxy("proxy", 1080, "alice", "s3cr3t").build();
        assertEquals("socks5://alice@proxy:1080", o.socksProxy().toString());
        assertTrue(o.toString().contains(", via socks5://alice@proxy:1080"), o.toString());
        assertFalse(o.toString().contains("s3cr3t"));
        assertEquals("socks4a://[::1]:9050", SocksProxy.socks4a("::1", 9050).toString());
    }

    @Test
    void aProxyDoesNotCombineWithOwnTransportsOrUnixSockets() {
        MqttTransport.Factory f = (h, p, t) -> null;
        assertEquals("socksProxy(...) and transport(...) do not combine: with your own transport, Mote does not open the "
                + "connection; reach the proxy in the transport or drop transport(...)",
                assertThrows(IllegalArgumentException.class,
                        () -> MqttOptions.builder("mqtt://b").transport(f).socksProxy("p", 1).build()).getMessage());
        assertEquals("socksProxy(...) does not apply to a unix:// server: a Unix domain socket is on this machine, not behind "
                + "the proxy", assertThrows(IllegalArgumentException.class,
                        () -> MqttOptions.builder("mqtt://b").alternateServers("unix:///tmp/x.sock").socksProxy("p", 1).build())
                .getMessage());
    }

    @Test
    void aFailedProxyConnectionFailsTheConnectWithTheReason() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        MqttOptions o = MqttOptions.builder("mqtt://broker.invalid:1883").socksProxy("127.0.0.1", port, "alice", "s3cr3t")
                .connectTimeout(Duration.ofSeconds(3)).build();
        MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(o).close());
        assertTrue(e.getMessage().startsWith("cannot connect to mqtt://broker.invalid:1883: the SOCKS5 proxy 127.0.0.1:" + port
                + " is not reachable: Connection refused"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cr3t"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"socks5://alice:s3cr3t@proxy:1080", "socks5h://alice:s3cr3t@proxy"})
    void equalProxiesAreEqual(String url) {
        assertEquals(SocksProxy.socks5("proxy", 1080, "alice", "s3cr3t"), SocksProxy.parse(url));
        assertEquals(SocksProxy.socks5("proxy", 1080, "alice", "s3cr3t").hashCode(), SocksProxy.parse(url).hashCode());
    }
}
