package dev.mote.mqtt.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.MqttTransport;
import dev.mote.mqtt.TlsConfig;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/** The mqtts:// URLs and the {@link TlsConfig} builder rules (no network, no openssl). */
class TlsOptionsTest {
    private static final MqttTransport.Factory NO_TRANSPORT = (host, port, timeout) -> {
        throw new java.io.IOException("unused");
    };

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void mqttsAndItsSynonymsDefaultToPort8883AndTheDefaultTls() {
        for (String scheme : List.of("mqtts", "ssl", "tls", "MQTTS")) {
            MqttOptions o = MqttOptions.builder(scheme + "://broker.example").build();
            assertEquals("mqtts", o.scheme());
            assertEquals(8883, o.port());
            assertNotNull(o.tls());
            assertTrue(o.tls().hostnameVerification());
            assertEquals(List.of(), o.tls().alpn());
            assertEquals("the JDK's default trust store", o.tls().describeTrust());
        }
        assertEquals(443, MqttOptions.builder("mqtts://broker.example:443").build().port());
        assertNull(MqttOptions.builder("mqtt://broker.example").build().tls());
    }

    @Test
    void webSocketSchemesAreAcceptedAndOthersAreNot() {
        assertEquals(443, MqttOptions.builder("wss://broker.example/mqtt").build().port());
        assertNotNull(MqttOptions.builder("wss://broker.example/mqtt").build().tls(), "wss:// uses TLS");
        assertEquals(80, MqttOptions.builder("ws://broker.example/mqtt").build().port());
        assertTrue(message(() -> MqttOptions.builder("http://broker.example"))
                .contains("expected mqtt://host[:port], mqtts://host[:port], ws://host[:port][/path] or wss://host[:port][/path]"));
    }

    @Test
    void tlsConfigIsKeptAndNeedsAnMqttsUrl() {
        TlsConfig tls = TlsConfig.builder().alpn("x-amzn-mqtt-ca").build();
        MqttOptions o = MqttOptions.builder("mqtts://broker.example:443").tls(tls).build();
        assertSame(tls, o.tls());
        assertTrue(o.toString().contains("alpn=[x-amzn-mqtt-ca]"), o.toString());
        assertEquals("tls(...) needs an mqtts:// or wss:// URL, not mqtt://broker.example",
                message(() -> MqttOptions.builder("mqtt://broker.example").tls(tls).build()));
    }

    @Test
    void anMqttsAlternateServerGetsTheTlsConfigToo() {
        MqttOptions o = MqttOptions.builder("mqtt://primary.example").alternateServers("ssl://backup.example").build();
        assertEquals(List.of("mqtt", "mqtts"), o.servers().stream().map(MqttOptions.Server::scheme).toList());
        assertEquals(8883, o.servers().get(1).port());
        assertNotNull(o.tls(), "the mqtts:// alternate needs TLS");
        TlsConfig tls = TlsConfig.builder().alpn("mqtt").build();
        assertSame(tls, MqttOptions.builder("mqtt://primary.example").alternateServers("mqtts://backup.example").tls(tls).build().tls());
    }

    @Test
    void customTransportExcludesTls() {
        MqttOptions o = MqttOptions.builder("mqtts://broker.example").transport(NO_TRANSPORT).build();
        assertNull(o.tls(), "with a custom transport Mote does no TLS itself");
        assertSame(NO_TRANSPORT, o.transport());
        assertTrue(message(() -> MqttOptions.builder("mqtts://broker.example").transport(NO_TRANSPORT)
                .tls(TlsConfig.defaults()).build()).startsWith("tls(...) and transport(...) do not combine"));
    }

    @Test
    void alpnNamesAreChecked() {
        assertEquals("alpn needs at least one protocol name", message(() -> TlsConfig.builder().alpn()));
        assertTrue(message(() -> TlsConfig.builder().alpn("")).startsWith("an ALPN protocol name is 1 to 255 bytes, not 0"));
        assertTrue(message(() -> TlsConfig.builder().alpn("x".repeat(256))).startsWith("an ALPN protocol name is 1 to 255 bytes, not 256"));
        assertEquals("ALPN protocol mqtt is listed twice", message(() -> TlsConfig.builder().alpn("mqtt", "mqtt")));
        assertEquals(List.of("x-amzn-mqtt-ca", "mqtt"), TlsConfig.builder().alpn("x-amzn-mqtt-ca", "mqtt").build().alpn());
    }

    @Test
    void ownSslContextExcludesOtherTrustAndIdentitySettings() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, null, null);
        TlsConfig tls = TlsConfig.builder().sslContext(ctx).alpn("mqtt").build();
        assertSame(ctx, tls.sslContext());
        assertEquals("the trust managers of the given SSLContext", tls.describeTrust());
        KeyStore empty = KeyStore.getInstance("PKCS12");
        empty.load(null, null);
        assertEquals("the trust store (PKCS12) has no trusted certificate entries",
                message(() -> TlsConfig.builder().trustStore(empty)));
        KeyStore one = KeyStore.getInstance("PKCS12");
        one.load(null, null);
        one.setCertificateEntry("x", selfSignedFromJdkCacerts());
        assertTrue(message(() -> TlsConfig.builder().sslContext(ctx).trustStore(one).build())
                .startsWith("sslContext(...) already decides trust and client identity"));
        assertTrue(TlsConfig.builder().trustStore(one).build().describeTrust().startsWith("CA certificates from a PKCS12 key store (1 certificates)"));
    }

    private static java.security.cert.X509Certificate selfSignedFromJdkCacerts() throws Exception {
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        tmf.init((KeyStore) null);
        return ((javax.net.ssl.X509TrustManager) tmf.getTrustManagers()[0]).getAcceptedIssuers()[0];
    }

    @Test
    void defaultsAreTls13And12WithHostnameVerification() {
        TlsConfig d = TlsConfig.defaults();
        assertTrue(d.hostnameVerification());
        assertTrue(d.clientCertificate().isEmpty());
        assertEquals("TlsConfig[trust=the JDK's default trust store]", d.toString());
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), SslContexts.PROTOCOLS);
    }
}
