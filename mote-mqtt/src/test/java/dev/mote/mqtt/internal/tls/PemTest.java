package dev.mote.mqtt.internal.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.mqtt.TlsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM parsing: bundles, garbage, broken headers, every key form, key/certificate matching, PKCS#12. */
class PemTest {
    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() throws IOException {
        assumeTrue(TestPki.available(), "openssl is not installed");
        pki = new TestPki(dir.resolve("pki"));
    }

    private static Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.US_ASCII);
        return p;
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    // ---------------------------------------------------------------- certificates

    @Test
    void bundleWithCommentsYieldsEveryCertificateInOrder() throws IOException {
        Path bundle = file("bundle.pem", "# Test bundle\nMote Test CA\n=============\n"
                + Files.readString(pki.caCert) + "\r\nsome text between\r\n"
                + Files.readString(pki.otherCaCert).replace("\n", "\r\n") + "trailing text\n");
        List<X509Certificate> certs = Pem.certificates(bundle);
        assertEquals(2, certs.size());
        assertEquals("CN=Mote Test CA", certs.get(0).getSubjectX500Principal().getName());
        assertEquals("CN=Untrusted Test CA", certs.get(1).getSubjectX500Principal().getName());
        TlsConfig tls = TlsConfig.builder().trustPem(bundle).build();
        assertEquals("CA certificates from " + bundle + " (2 certificates)", tls.describeTrust());
    }

    @Test
    void aFileWithoutPemIsNamedAsSuch() throws Exception {
        Path garbage = file("garbage.pem", "this is not a certificate\n");
        assertEquals(garbage + " is not a PEM file: no -----BEGIN ...----- line", message(() -> Pem.certificates(garbage)));
        Path empty = file("empty.pem", "");
        assertEquals(empty + " is not a PEM file: no -----BEGIN ...----- line (the file is empty)",
                message(() -> Pem.certificates(empty)));
        Path der = dir.resolve("ca.der");
        Files.write(der, Pem.certificates(pki.caCert).get(0).getEncoded());
        assertTrue(message(() -> Pem.certificates(der)).startsWith(der + " is not a PEM file: no -----BEGIN ...----- line "
                + "(it looks like binary DER or PKCS#12"));
        assertTrue(message(() -> TlsConfig.builder().trustPem(pki.clientP12)).startsWith(pki.clientP12 + " is not a PEM file"));
    }

    @Test
    void unreadableFilesSayWhy() {
        Path missing = dir.resolve("missing.pem");
        assertEquals("cannot read " + missing + ": no such file", message(() -> TlsConfig.builder().trustPem(missing)));
        assertEquals("cannot read " + dir + ": it is a directory", message(() -> Pem.certificates(dir)));
    }

    @Test
    void brokenBeginAndEndLinesAreLocated() throws IOException {
        String ca = Files.readString(pki.caCert);
        Path noEnd = file("noend.pem", ca.substring(0, ca.indexOf("-----END")));
        assertEquals(noEnd + ": the CERTIFICATE block at line 1 has no -----END CERTIFICATE----- line",
                message(() -> Pem.certificates(noEnd)));
        Path wrongEnd = file("wrongend.pem", ca.replace("-----END CERTIFICATE-----", "-----END PRIVATE KEY-----"));
        assertTrue(message(() -> Pem.certificates(wrongEnd)).contains("ends with -----END PRIVATE KEY----- at line"));
        Path endFirst = file("endfirst.pem", "-----END CERTIFICATE-----\n" + ca);
        assertEquals(endFirst + ": line 1 has -----END CERTIFICATE----- without a BEGIN line before it",
                message(() -> Pem.certificates(endFirst)));
        Path badBase64 = file("bad64.pem", "-----BEGIN CERTIFICATE-----\nMIIB$$$not*base64\n-----END CERTIFICATE-----\n");
        assertTrue(message(() -> Pem.certificates(badBase64)).startsWith(badBase64 + ": the CERTIFICATE block at line 1 is not valid base64"));
        Path notACert = file("notacert.pem", "-----BEGIN CERTIFICATE-----\n"
                + Base64.getEncoder().encodeToString("hello".getBytes(StandardCharsets.US_ASCII)) + "\n-----END CERTIFICATE-----\n");
        assertTrue(message(() -> Pem.certificates(notACert)).startsWith(notACert + ": the certificate at line 1 cannot be parsed"));
    }

    @Test
    void wrongKindOfPemIsNamed() {
        assertEquals(pki.clientRsaPkcs1Key + " contains no certificate (no -----BEGIN CERTIFICATE----- block; found: RSA PRIVATE KEY)",
                message(() -> TlsConfig.builder().trustPem(pki.clientRsaPkcs1Key)));
        assertEquals(pki.caCert + " contains no private key (expected -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or "
                        + "EC PRIVATE KEY; found: CERTIFICATE)",
                message(() -> Pem.privateKey(pki.caCert)));
        // Key and certificate swapped in the call:
        assertTrue(message(() -> TlsConfig.builder().clientCertificate(pki.clientRsaPkcs1Key, pki.clientRsaCert))
                .startsWith(pki.clientRsaPkcs1Key + " contains no certificate"));
    }

    // ---------------------------------------------------------------- keys

    @Test
    void eachKeyFormReadsToTheSameKey() {
        PrivateKey pkcs1 = Pem.privateKey(pki.clientRsaPkcs1Key);
        PrivateKey rsa8 = Pem.privateKey(pki.clientRsaPkcs8Key);
        assertInstanceOf(RSAPrivateCrtKey.class, pkcs1);
        assertArrayEquals(rsa8.getEncoded(), pkcs1.getEncoded());

        PrivateKey sec1 = Pem.privateKey(pki.clientEcSec1Key); // the file also has an EC PARAMETERS block
        PrivateKey ec8 = Pem.privateKey(pki.clientEcPkcs8Key);
        assertInstanceOf(ECPrivateKey.class, sec1);
        assertEquals(((ECPrivateKey) ec8).getS(), ((ECPrivateKey) sec1).getS());

        Pem.checkKeyMatches(pkcs1, Pem.certificates(pki.clientRsaCert), "k", "c");
        Pem.checkKeyMatches(sec1, Pem.certificates(pki.clientEcCert), "k", "c");
        for (Path key : List.of(pki.clientRsaPkcs1Key, pki.clientRsaPkcs8Key)) {
            TlsConfig tls = TlsConfig.builder().clientCertificate(pki.clientRsaCert, key).build();
            assertEquals("CN=client-rsa", tls.clientCertificate().orElseThrow().getSubjectX500Principal().getName());
        }
        for (Path key : List.of(pki.clientEcSec1Key, pki.clientEcPkcs8Key)) {
            TlsConfig.builder().clientCertificate(pki.clientEcCert, key).build();
        }
    }

    @Test
    void pkcs1AndSec1ConversionsMatchWhatTheJdkEncodes() throws Exception {
        // Independent of openssl: take the JDK's own PKCS#8, cut out the inner PKCS#1 / SEC1,
        // write that as PEM, and read it back through the conversion.
        KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
        rsaGen.initialize(2048);
        KeyPair rsa = rsaGen.generateKeyPair();
        byte[] pkcs1 = Der.read(rsa.getPrivate().getEncoded()).children().get(2).value();
        Path p1 = file("jdk-rsa.pem", pem("RSA PRIVATE KEY", pkcs1));
        assertArrayEquals(rsa.getPrivate().getEncoded(), Pem.privateKey(p1).getEncoded());

        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair ec = ecGen.generateKeyPair();
        List<Der.Tlv> info = Der.read(ec.getPrivate().getEncoded()).children();
        String curve = info.get(1).children().get(1).oid();
        assertEquals("1.3.132.0.34", curve);
        // SEC1 as openssl writes it: version, private value, [0] curve (the JDK's inner value may lack [0]).
        List<Der.Tlv> inner = Der.read(info.get(2).value()).children();
        byte[] sec1 = Der.sequence(Der.integer(1), Der.octetString(inner.get(1).value()),
                Der.tlv(Der.CONTEXT_0, Der.oid(curve)));
        Path s1 = file("jdk-ec.pem", pem("EC PRIVATE KEY", sec1));
        assertEquals(((ECPrivateKey) ec.getPrivate()).getS(), ((ECPrivateKey) Pem.privateKey(s1)).getS());
        assertNull(Pem.mismatch(Pem.privateKey(s1), ec.getPublic()));
        assertNull(Pem.mismatch(Pem.privateKey(p1), rsa.getPublic()));
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    @Test
    void ed25519Pkcs8KeysWork() throws IOException {
        Path key = dir.resolve("ed.key");
        pki.openssl("genpkey", "-algorithm", "ed25519", "-out", key.toString());
        PrivateKey k = Pem.privateKey(key);
        assertTrue(k.getAlgorithm().startsWith("Ed"), k.getAlgorithm());
    }

    @Test
    void encryptedAndForeignKeysAreRefusedWithAWayOut() throws IOException {
        Path enc8 = dir.resolve("enc8.key");
        pki.openssl("pkcs8", "-topk8", "-in", pki.clientEcPkcs8Key.toString(), "-out", enc8.toString(), "-passout", "pass:x");
        assertTrue(message(() -> Pem.privateKey(enc8)).startsWith(enc8 + ": the key is encrypted (ENCRYPTED PRIVATE KEY)"));
        Path enc1 = dir.resolve("enc1.key");
        pki.openssl("rsa", "-traditional", "-aes128", "-in", pki.clientRsaPkcs1Key.toString(), "-out", enc1.toString(),
                "-passout", "pass:x");
        assertTrue(message(() -> Pem.privateKey(enc1)).startsWith(enc1 + ": the RSA PRIVATE KEY is encrypted (Proc-Type: 4,ENCRYPTED)"));
        Path ssh = file("id.key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n");
        assertTrue(message(() -> Pem.privateKey(ssh)).contains("OpenSSH key"));
        Path k1 = dir.resolve("k256.key");
        pki.openssl("ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", k1.toString());
        assertTrue(message(() -> Pem.privateKey(k1)).contains("curve secp256k1, which TLS in the JDK does not support"));
        Path two = file("two.key", Files.readString(pki.clientEcPkcs8Key) + Files.readString(pki.otherEcKey));
        assertEquals(two + " contains 2 private keys; expected one", message(() -> Pem.privateKey(two)));
        Path garbled = file("garbled.key", pem("RSA PRIVATE KEY", Der.sequence(Der.integer(0), Der.integer(5))));
        assertTrue(message(() -> Pem.privateKey(garbled)).startsWith(garbled + ": the RSA PRIVATE KEY at line 1 is not valid DER"));
    }

    // ---------------------------------------------------------------- key and certificate

    @Test
    void keyNotMatchingTheCertificateFailsAtBuildNamingBothFiles() {
        String rsa = message(() -> TlsConfig.builder().clientCertificate(pki.clientRsaCert, pki.otherRsaKey));
        assertEquals("the private key in " + pki.otherRsaKey + " does not match the certificate in " + pki.clientRsaCert
                + " (CN=client-rsa, RSA 2048 bits): different RSA modulus", rsa);
        String ec = message(() -> TlsConfig.builder().clientCertificate(pki.clientEcCert, pki.otherEcKey));
        assertTrue(ec.endsWith("(CN=client-ec, EC 256 bits): a test signature made with the key does not verify with the certificate"), ec);
        String kind = message(() -> TlsConfig.builder().clientCertificate(pki.clientRsaCert, pki.clientEcSec1Key));
        assertTrue(kind.endsWith("the key is EC, the certificate's key is RSA"), kind);
    }

    @Test
    void keyMatchingALaterCertificateHintsAtTheOrder() throws IOException {
        Path chain = file("ca-first.pem", Files.readString(pki.caCert) + Files.readString(pki.clientEcCert));
        Path caKeyCopy = pki.caKey;
        String m = message(() -> TlsConfig.builder().clientCertificate(chain, pki.clientEcSec1Key));
        assertTrue(m.endsWith("; it matches certificate 2 in the file (CN=client-ec): the client certificate must come first"), m);
        TlsConfig.builder().clientCertificate(pki.caCert, caKeyCopy); // a key and its own certificate: fine
    }

    @Test
    void pkcs12ReadsOneIdentityAndNamesAWrongPassword() {
        TlsConfig tls = TlsConfig.builder().clientPkcs12(pki.clientP12, TestPki.P12_PASSWORD.toCharArray()).build();
        assertEquals("CN=client-rsa", tls.clientCertificate().orElseThrow().getSubjectX500Principal().getName());
        assertEquals(pki.clientP12 + ": wrong password for the PKCS#12 file",
                message(() -> TlsConfig.builder().clientPkcs12(pki.clientP12, "nope".toCharArray())));
        assertTrue(message(() -> TlsConfig.builder().clientPkcs12(pki.caCert, "x".toCharArray()))
                .startsWith(pki.caCert + " is not a readable PKCS#12 file"));
        assertTrue(message(() -> TlsConfig.builder().clientPkcs12(pki.clientP12, TestPki.P12_PASSWORD.toCharArray())
                .clientCertificate(pki.clientRsaCert, pki.clientRsaPkcs1Key)).startsWith("a client certificate is already set"));
    }
}
