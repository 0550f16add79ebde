package dev.mote.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code unix:///path} URLs in {@link MqttOptions}: parsed, printed, and refused when they name no absolute path. */
class UnixSocketOptionsTest {

    @Test
    void theUrlPathIsTheSocketPath() {
        MqttOptions o = MqttOptions.builder("unix:///run/mosquitto/mqtt.sock").clientId("c").build();
        assertEquals("unix", o.scheme());
        assertEquals("/run/mosquitto/mqtt.sock", o.host());
        assertEquals(-1, o.port());
        MqttOptions.Server s = o.servers().get(0);
        assertEquals(new MqttOptions.Server("unix:///run/mosquitto/mqtt.sock", "unix", "/run/mosquitto/mqtt.sock", -1), s);
        assertEquals("unix:///run/mosquitto/mqtt.sock", s.toString());
        assertNull(o.tls());
        assertTrue(o.toString().startsWith("MqttOptions[unix:///run/mosquitto/mqtt.sock, clientId=c"), o.toString());
    }

    @Test
    void theSchemeIsCaseInsensitiveAndThePathIsDecoded() {
        MqttOptions o = MqttOptions.builder("UNIX:///tmp/my%20dir/x.sock").build();
        assertEquals("unix", o.scheme());
        assertEquals("/tmp/my dir/x.sock", o.host());
        assertEquals("unix:///tmp/my dir/x.sock", o.servers().get(0).toString());
        assertEquals("/tmp/x.sock", MqttOptions.builder("unix:/tmp/x.sock").build().host());
    }

    @Test
    void unixAndTcpServersMix() {
        MqttOptions o = MqttOptions.builder("unix:///tmp/a.sock").alternateServers("mqtt://backup:1884", "unix:///tmp/b.sock").build();
        assertEquals("[unix:///tmp/a.sock, mqtt://backup:1884, unix:///tmp/b.sock]", o.servers().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix://localhost/tmp/x.sock", "unix://user@/tmp/x.sock", "unix:///tmp/x.sock?q=1", "unix:///tmp/x.sock#f"})
    void aUnixUrlHasNothingButThePath(String url) {
        assertEquals("a unix:// URL names only an absolute socket path, as in unix:///run/mosquitto/mosquitto.sock, not " + url,
                assertThrows(IllegalArgumentException.class, () -> MqttOptions.builder(url)).getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix:relative.sock", "unix:///", "unix:///tmp/dir/"})
    void aUnixUrlNeedsAnAbsoluteFilePath(String url) {
        assertEquals("a unix:// URL needs the absolute path of a socket file, as in unix:///run/mosquitto/mosquitto.sock, not "
                + url, assertThrows(IllegalArgumentException.class, () -> MqttOptions.builder(url)).getMessage());
    }

    @Test
    void tlsNeedsAnMqttsUrl() {
        TlsConfig tls = TlsConfig.defaults();
        assertEquals("tls(...) needs an mqtts:// or wss:// URL, not unix:///tmp/x.sock",
                assertThrows(IllegalArgumentException.class, () -> MqttOptions.builder("unix:///tmp/x.sock").tls(tls).build())
                        .getMessage());
    }
}
