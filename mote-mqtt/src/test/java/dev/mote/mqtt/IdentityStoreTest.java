package dev.mote.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.tls.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityStoreTest {
    @TempDir
    static Path shared;
    static TestPki pki;
    @TempDir
    Path dir;

    @BeforeAll
    static void pki() throws Exception {
        Assumptions.assumeTrue(TestPki.available(), "openssl is not installed");
        pki = new TestPki(shared.resolve("pki"));
    }

    private static DeviceIdentity identity(Path cert, Path key, String clientId) throws Exception {
        return new DeviceIdentity("localhost", 8883, clientId, Files.readString(pki.caCert), Files.readString(cert),
                Files.readString(key), List.of("x-amzn-mqtt-ca"));
    }

    @Test
    void savesAndLoadsWithOwnerOnlyPermissionsAndAtomicReplace() throws Exception {
        Path storeDir = dir.resolve("nested/identity");
        IdentityStore store = IdentityStore.inDirectory(storeDir);
        assertTrue(store.load().isEmpty());
        assertEquals("no device identity in " + store + "; provision the device first",
                assertThrows(IllegalStateException.class, store::require).getMessage());
        DeviceIdentity a = identity(pki.clientEcCert, pki.clientEcSec1Key, "dev-a");
        store.save(a);
        assertEquals(a, store.load().orElseThrow());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(storeDir)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(storeDir.resolve("identity.json"))));
        DeviceIdentity b = identity(pki.clientRsaCert, pki.clientRsaPkcs8Key, "dev-b");
        store.save(b);
        assertEquals(b, IdentityStore.inDirectory(storeDir).load().orElseThrow(), "a new store object reads the replacement");
        try (var files = Files.list(storeDir)) {
            assertEquals(List.of("identity.json"), files.map(p -> p.getFileName().toString()).toList(), "no temporary file left");
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(storeDir.resolve("identity.json"))));
    }

    @Test
    void tightensAnExistingDirectory() throws Exception {
        Path d = Files.createDirectory(dir.resolve("loose"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        IdentityStore.inDirectory(d).save(identity(pki.clientEcCert, pki.clientEcPkcs8Key, "x"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)));
    }

    @Test
    void secretsStayOutOfToStringAndErrors() throws Exception {
        DeviceIdentity a = identity(pki.clientEcCert, pki.clientEcSec1Key, "dev-a");
        String keyBody = a.privateKeyPem().split("\n")[1];
        assertFalse(a.toString().contains(keyBody));
        assertTrue(a.toString().contains("<hidden>"));
        IdentityStore store = IdentityStore.inDirectory(dir);
        store.save(a);
        Path f = dir.resolve("identity.json");
        Files.writeString(f, Files.readString(f).replace("\"port\": 8883", "\"port\": \"x\""));
        IllegalStateException e = assertThrows(IllegalStateException.class, store::load);
        assertTrue(e.getMessage().contains("damaged"), e.getMessage());
        assertFalse(e.getMessage().contains(keyBody));
        Files.writeString(f, "{\"privateKeyPem\": \"" + keyBody + "\" oops}");
        IllegalStateException j = assertThrows(IllegalStateException.class, store::load);
        assertFalse(j.getMessage().contains(keyBody), j.getMessage());
    }

    @Test
    void identityMakesTlsAndOptions() throws Exception {
        DeviceIdentity a = identity(pki.clientEcCert, pki.clientEcSec1Key, "dev-a");
        TlsConfig tls = a.tlsConfig();
        assertEquals("CN=client-ec", tls.clientCertificate().orElseThrow().getSubjectX500Principal().getName());
        assertEquals(List.of("x-amzn-mqtt-ca"), tls.alpn());
        MqttOptions o = a.optionsBuilder().build();
        assertEquals("mqtts://localhost:8883", o.serverUri());
        assertEquals("dev-a", o.clientId());
        DeviceIdentity wrongKey = a.withCertificate(a.certificatePem(), Files.readString(pki.otherEcKey));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, wrongKey::tlsConfig);
        assertTrue(e.getMessage().contains("identity of dev-a"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DeviceIdentity("h", 0, "c", null, "x", "y", null));
    }

    @Test
    void storeOptionsTakeTlsPerConnection() throws Exception {
        IdentityStore store = IdentityStore.inDirectory(dir);
        store.save(identity(pki.clientEcCert, pki.clientEcSec1Key, "dev-a"));
        MqttOptions o = store.optionsBuilder().build();
        assertNull(o.tls(), "no fixed TLS: it is taken per connection");
        assertEquals("CN=client-ec", o.tlsForNextConnection().clientCertificate().orElseThrow().getSubjectX500Principal().getName());
        store.save(identity(pki.clientRsaCert, pki.clientRsaPkcs1Key, "dev-a"));
        assertEquals("CN=client-rsa", o.tlsForNextConnection().clientCertificate().orElseThrow().getSubjectX500Principal().getName(),
                "the next connection sees the replaced identity");
        assertTrue(o.toString().contains("TLS per connection"), o.toString());
    }

    @Test
    void tlsPerConnectionChecks() {
        AtomicInteger calls = new AtomicInteger();
        MqttOptions o = MqttOptions.builder("mqtts://h.example").tlsPerConnection(() -> {
            calls.incrementAndGet();
            return TlsConfig.defaults();
        }).build();
        o.tlsForNextConnection();
        o.tlsForNextConnection();
        assertEquals(2, calls.get(), "asked once per attempt");
        assertThrows(IllegalArgumentException.class,
                () -> MqttOptions.builder("mqtt://h.example").tlsPerConnection(TlsConfig::defaults).build());
        assertThrows(IllegalArgumentException.class, () -> MqttOptions.builder("mqtts://h.example")
                .tlsPerConnection(TlsConfig::defaults).tls(TlsConfig.defaults()).build());
        MqttOptions failing = MqttOptions.builder("mqtts://h.example").tlsPerConnection(() -> null).build();
        assertThrows(IllegalStateException.class, failing::tlsForNextConnection);
    }
}
