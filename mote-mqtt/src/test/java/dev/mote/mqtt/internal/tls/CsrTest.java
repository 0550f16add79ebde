package dev.mote.mqtt.internal.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsrTest {
    @TempDir
    Path dir;

    /** Reads the CSR back with the DER reader and checks every field and the signature with the JDK. */
    private static void checkStructure(byte[] der, KeyPair keys, String cn, String sigOid, String jdkAlg) throws Exception {
        List<Der.Tlv> top = Der.read(der).expect(Der.SEQUENCE).children();
        assertEquals(3, top.size());
        Der.Tlv info = top.get(0).expect(Der.SEQUENCE);
        List<Der.Tlv> fields = info.children();
        assertEquals(0, fields.get(0).integer().intValue(), "version 0");
        Der.Tlv rdn = fields.get(1).children().get(0).children().get(0);
        assertEquals("2.5.4.3", rdn.children().get(0).oid());
        assertEquals(cn, new String(rdn.children().get(1).value(), StandardCharsets.UTF_8));
        byte[] spki = java.util.Arrays.copyOfRange(fields.get(2).buf(), fields.get(2).valueStart() - headerLength(fields.get(2)),
                fields.get(2).valueEnd());
        assertArrayEquals(keys.getPublic().getEncoded(), spki);
        assertEquals(Der.CONTEXT_0, fields.get(3).tag());
        assertEquals(sigOid, top.get(1).children().get(0).oid());
        byte[] bits = top.get(2).expect(Der.BIT_STRING).value();
        assertEquals(0, bits[0], "no unused bits");
        byte[] infoDer = java.util.Arrays.copyOfRange(der, info.valueStart() - headerLength(info), info.valueEnd());
        PublicKey pub = KeyFactory.getInstance(keys.getPublic().getAlgorithm())
                .generatePublic(new X509EncodedKeySpec(keys.getPublic().getEncoded()));
        Signature v = Signature.getInstance(jdkAlg);
        v.initVerify(pub);
        v.update(infoDer);
        assertTrue(v.verify(java.util.Arrays.copyOfRange(bits, 1, bits.length)), "the signature verifies");
    }

    private static int headerLength(Der.Tlv t) {
        int len = t.length();
        return 1 + (len < 0x80 ? 1 : 1 + (len > 0xFFFF ? 3 : len > 0xFF ? 2 : 1));
    }

    @Test
    void ecCsrIsWellFormedAndSigned() throws Exception {
        KeyPair keys = Csr.newEcKeyPair();
        checkStructure(Csr.der(keys, "sensor-0042"), keys, "sensor-0042", "1.2.840.10045.4.3.2", "SHA256withECDSA");
    }

    @Test
    void rsaCsrIsWellFormedAndSigned() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair keys = g.generateKeyPair();
        checkStructure(Csr.der(keys, "Grüße"), keys, "Grüße", "1.2.840.113549.1.1.11", "SHA256withRSA");
    }

    @Test
    void opensslAcceptsTheCsrAndThePrivateKeyPemReadsBack() throws Exception {
        KeyPair keys = Csr.newEcKeyPair();
        assertEquals(keys.getPrivate(), Pem.privateKey(Csr.privateKeyPem(keys), "generated key"));
        Assumptions.assumeTrue(TestPki.available(), "openssl is not installed");
        Path csr = Files.writeString(dir.resolve("d.csr"), Csr.pem(keys, "dev-1"));
        Process p = new ProcessBuilder(TestPki.OPENSSL, "req", "-in", csr.toString(), "-verify", "-noout", "-subject")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("CN = dev-1") || out.contains("CN=dev-1"), out);
        assertTrue(out.toLowerCase().contains("verify ok") || out.contains("self-signature ok"), out);
    }
}
