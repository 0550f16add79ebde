package dev.mote.mqtt.internal.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

/**
 * PKCS#10 certificate signing requests (RFC 2986) made with the JDK alone, so a device can have
 * a certificate issued for a key that never leaves it:
 * <pre>
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
 * CertificationRequestInfo ::= SEQUENCE { version INTEGER 0, subject Name, subjectPKInfo, attributes [0] }
 * </pre>
 */
public final class Csr {
    private static final String OID_COMMON_NAME = "2.5.4.3";
    private static final String OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2";
    private static final String OID_RSA_SHA256 = "1.2.840.113549.1.1.11";
    private static final int UTF8_STRING = 0x0C;
    private static final int SET = 0x31;

    private Csr() {}

    /** A new EC key pair on P-256 (secp256r1), which AWS IoT and every TLS stack accept. */
    public static KeyPair newEcKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make P-256 keys", e);
        }
    }

    /** The DER of a CSR for {@code keys} (EC or RSA) with subject {@code CN=commonName}, signed with SHA-256. */
    public static byte[] der(KeyPair keys, String commonName) {
        byte[] subject = Der.sequence(Der.tlv(SET, Der.sequence(Der.oid(OID_COMMON_NAME),
                Der.tlv(UTF8_STRING, commonName.getBytes(StandardCharsets.UTF_8)))));
        byte[] info = Der.sequence(Der.integer(0), subject, keys.getPublic().getEncoded(), Der.tlv(Der.CONTEXT_0));
        byte[] algorithm;
        String jdkName;
        if (keys.getPrivate() instanceof ECPrivateKey) {
            algorithm = Der.sequence(Der.oid(OID_ECDSA_SHA256));
            jdkName = "SHA256withECDSA";
        } else if (keys.getPrivate() instanceof RSAPrivateKey) {
            algorithm = Der.sequence(Der.oid(OID_RSA_SHA256), Der.nullValue());
            jdkName = "SHA256withRSA";
        } else {
            throw new IllegalArgumentException("a CSR needs an EC or RSA key, not " + keys.getPrivate().getAlgorithm());
        }
        byte[] signature;
        try {
            Signature s = Signature.getInstance(jdkName);
            s.initSign(keys.getPrivate());
            s.update(info);
            signature = s.sign(); // ECDSA: already the DER SEQUENCE { r, s } that X.509 wants
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign the CSR: " + e.getMessage(), e);
        }
        return Der.sequence(info, algorithm, Der.tlv(Der.BIT_STRING, new byte[] {0}, signature));
    }

    /** The CSR as PEM ({@code CERTIFICATE REQUEST}). */
    public static String pem(KeyPair keys, String commonName) {
        return pem("CERTIFICATE REQUEST", der(keys, commonName));
    }

    /** The private key as unencrypted PKCS#8 PEM ({@code PRIVATE KEY}). */
    public static String privateKeyPem(KeyPair keys) {
        return pem("PRIVATE KEY", keys.getPrivate().getEncoded());
    }

    static String pem(String label, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }
}
