package dev.mote.mqtt.internal.tls;

import dev.mote.mqtt.internal.tls.Der.DerException;
import dev.mote.mqtt.internal.tls.Der.Tlv;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads PEM files (RFC 7468): certificates, certificate bundles and unencrypted private keys in
 * PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}) and SEC1 EC
 * ({@code BEGIN EC PRIVATE KEY}) form. PKCS#1 and SEC1 keys are wrapped into PKCS#8 with
 * {@link Der}, which the JDK's {@link KeyFactory} reads. Text outside the BEGIN/END lines (the
 * comments of CA bundles, openssl's "Bag Attributes") is ignored.
 *
 * <p>Every problem is an {@link IllegalArgumentException} whose message starts with the file name
 * and says what is wrong with it.
 */
public final class Pem {
    private Pem() {}

    /** One BEGIN/END block: its label, its decoded bytes and the line it starts on (from 1). */
    public record Block(String label, byte[] der, int line, boolean encrypted) {}

    static final String OID_RSA = "1.2.840.113549.1.1.1";
    static final String OID_RSASSA_PSS = "1.2.840.113549.1.1.10";
    static final String OID_EC = "1.2.840.10045.2.1";

    private static final Map<String, String> KEY_ALGORITHMS = Map.of(
            OID_RSA, "RSA",
            OID_RSASSA_PSS, "RSASSA-PSS",
            OID_EC, "EC",
            "1.3.101.112", "Ed25519",
            "1.3.101.113", "Ed448");

    private static final Map<String, String> CURVES = Map.of(
            "1.2.840.10045.3.1.7", "P-256 (secp256r1)",
            "1.3.132.0.34", "P-384 (secp384r1)",
            "1.3.132.0.35", "P-521 (secp521r1)",
            "1.3.132.0.10", "secp256k1");

    private static final Set<String> CERTIFICATE_LABELS = Set.of("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE");
    private static final Set<String> KEY_LABELS = Set.of("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY", "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY");

    // ---------------------------------------------------------------- blocks

    /** Reads a file and splits it into PEM blocks; there must be at least one. */
    public static List<Block> read(Path file) {
        byte[] bytes = readBytes(file);
        // ISO-8859-1 maps every byte, so a binary file reaches the "no BEGIN line" check below.
        List<Block> blocks = parse(new String(bytes, StandardCharsets.ISO_8859_1), file.toString());
        if (blocks.isEmpty()) {
            String hint = bytes.length == 0 ? " (the file is empty)"
                    : (bytes[0] & 0xFF) == 0x30 ? " (it looks like binary DER or PKCS#12; convert DER with openssl, "
                            + "e.g. openssl x509 -inform der -in FILE -out FILE.pem)"
                    : "";
            throw new IllegalArgumentException(file + " is not a PEM file: no -----BEGIN ...----- line" + hint);
        }
        return blocks;
    }

    static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("cannot read " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("cannot read " + file + ": permission denied");
        } catch (IOException e) {
            String why = Files.isDirectory(file) ? "it is a directory" : String.valueOf(e.getMessage());
            throw new IllegalArgumentException("cannot read " + file + ": " + why);
        }
    }

    /** Splits PEM text into blocks; {@code source} names it in error messages. */
    public static List<Block> parse(String text, String source) {
        String[] lines = text.split("\r\n|\r|\n", -1);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (!line.startsWith("-----BEGIN ")) {
                if (line.startsWith("-----END ")) {
                    throw new IllegalArgumentException(source + ": line " + (i + 1) + " has " + line + " without a BEGIN line before it");
                }
                continue;
            }
            if (!line.endsWith("-----") || line.length() < "-----BEGIN -----".length() + 1) {
                throw new IllegalArgumentException(source + ": line " + (i + 1) + " is not a valid PEM BEGIN line: " + shorten(line));
            }
            String label = line.substring("-----BEGIN ".length(), line.length() - 5);
            String end = "-----END " + label + "-----";
            int start = i;
            StringBuilder base64 = new StringBuilder();
            boolean encrypted = false;
            boolean inHeaders = true;
            for (i = i + 1; ; i++) {
                if (i >= lines.length) {
                    throw new IllegalArgumentException(source + ": the " + label + " block at line " + (start + 1)
                            + " has no " + end + " line");
                }
                String l = lines[i].strip();
                if (l.equals(end)) {
                    break;
                }
                if (l.startsWith("-----")) {
                    throw new IllegalArgumentException(source + ": the " + label + " block at line " + (start + 1)
                            + " ends with " + shorten(l) + " at line " + (i + 1) + " instead of " + end);
                }
                if (inHeaders && l.indexOf(':') > 0) {
                    // RFC 1421 headers of legacy encrypted keys, e.g. "Proc-Type: 4,ENCRYPTED".
                    encrypted |= l.startsWith("Proc-Type:") && l.contains("ENCRYPTED");
                    continue;
                }
                inHeaders = false;
                for (int k = 0; k < l.length(); k++) {
                    char c = l.charAt(k);
                    if (!Character.isWhitespace(c)) {
                        base64.append(c);
                    }
                }
            }
            byte[] der;
            try {
                der = Base64.getDecoder().decode(base64.toString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": the " + label + " block at line " + (start + 1)
                        + " is not valid base64 (" + e.getMessage() + ")");
            }
            if (der.length == 0) {
                throw new IllegalArgumentException(source + ": the " + label + " block at line " + (start + 1) + " is empty");
            }
            blocks.add(new Block(label, der, start + 1, encrypted));
        }
        return blocks;
    }

    private static String shorten(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    private static String labels(List<Block> blocks) {
        Set<String> names = new LinkedHashSet<>();
        for (Block b : blocks) {
            names.add(b.label());
        }
        return String.join(", ", names);
    }

    // ---------------------------------------------------------------- certificates

    /** Every certificate in a PEM file, in file order; at least one. */
    public static List<X509Certificate> certificates(Path file) {
        return certificates(read(file), file.toString());
    }

    /** Every certificate in PEM text, in order; at least one. {@code source} names the text in messages. */
    public static List<X509Certificate> certificates(String pemText, String source) {
        return certificates(parseNonEmpty(pemText, source), source);
    }

    /** PEM text split into blocks; there must be at least one. */
    private static List<Block> parseNonEmpty(String pemText, String source) {
        List<Block> blocks = parse(pemText, source);
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException(source + " is not PEM: no -----BEGIN ...----- line"
                    + (pemText.isBlank() ? " (it is empty)" : ""));
        }
        return blocks;
    }

    private static List<X509Certificate> certificates(List<Block> blocks, Object file) {
        CertificateFactory cf;
        try {
            cf = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("this JDK has no X.509 certificate factory", e);
        }
        List<X509Certificate> certs = new ArrayList<>();
        for (Block b : blocks) {
            if (!CERTIFICATE_LABELS.contains(b.label())) {
                continue;
            }
            try {
                certs.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
            } catch (CertificateException | RuntimeException e) {
                throw new IllegalArgumentException(file + ": the certificate at line " + b.line()
                        + " cannot be parsed (" + e.getMessage() + ")");
            }
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException(file + " contains no certificate (no -----BEGIN CERTIFICATE----- block; found: "
                    + labels(blocks) + ")");
        }
        return certs;
    }

    // ---------------------------------------------------------------- private keys

    /** The one unencrypted private key in a PEM file, in any of the three supported forms. */
    public static PrivateKey privateKey(Path file) {
        return privateKey(read(file), file.toString());
    }

    /** The one unencrypted private key in PEM text; {@code source} names the text in messages. */
    public static PrivateKey privateKey(String pemText, String source) {
        return privateKey(parseNonEmpty(pemText, source), source);
    }

    private static PrivateKey privateKey(List<Block> blocks, Object file) {
        List<Block> keys = new ArrayList<>();
        for (Block b : blocks) {
            if (KEY_LABELS.contains(b.label())) {
                keys.add(b);
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(file + " contains no private key (expected -----BEGIN PRIVATE KEY-----, "
                    + "RSA PRIVATE KEY or EC PRIVATE KEY; found: " + labels(blocks) + ")");
        }
        if (keys.size() > 1) {
            throw new IllegalArgumentException(file + " contains " + keys.size() + " private keys; expected one");
        }
        Block key = keys.get(0);
        try {
            return switch (key.label()) {
                case "PRIVATE KEY" -> fromPkcs8(key.der());
                case "RSA PRIVATE KEY" -> {
                    if (key.encrypted()) {
                        throw new IllegalArgumentException("the RSA PRIVATE KEY is encrypted (Proc-Type: 4,ENCRYPTED); "
                                + "Mote reads unencrypted keys: decrypt it (openssl rsa -in KEY -out KEY.pem) or use a PKCS#12 file");
                    }
                    yield fromPkcs8(pkcs1ToPkcs8(key.der()));
                }
                case "EC PRIVATE KEY" -> {
                    if (key.encrypted()) {
                        throw new IllegalArgumentException("the EC PRIVATE KEY is encrypted (Proc-Type: 4,ENCRYPTED); "
                                + "Mote reads unencrypted keys: decrypt it (openssl ec -in KEY -out KEY.pem) or use a PKCS#12 file");
                    }
                    yield fromPkcs8(sec1ToPkcs8(key.der()));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException("the key is encrypted (ENCRYPTED PRIVATE KEY); "
                        + "Mote reads unencrypted keys: decrypt it (openssl pkcs8 -in KEY -out KEY.pem) or use a PKCS#12 file");
                case "OPENSSH PRIVATE KEY" -> throw new IllegalArgumentException("this is an OpenSSH key, not a TLS key; "
                        + "convert it to PKCS#8 (ssh-keygen -p -m PKCS8 -f KEY)");
                default -> throw new IllegalArgumentException(key.label() + " keys are not supported; use RSA, EC or Ed25519");
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e.getCause());
        } catch (DerException e) {
            throw new IllegalArgumentException(file + ": the " + key.label() + " at line " + key.line()
                    + " is not valid DER (" + e.getMessage() + ")");
        }
    }

    /** A PKCS#8 PrivateKeyInfo (RFC 5208) to a JDK key, picking the key factory from its algorithm. */
    static PrivateKey fromPkcs8(byte[] pkcs8) throws DerException {
        List<Tlv> info = Der.read(pkcs8).expect(Der.SEQUENCE).children();
        if (info.size() < 3) {
            throw new DerException("PrivateKeyInfo needs version, algorithm and key");
        }
        Tlv algorithm = info.get(1).expect(Der.SEQUENCE);
        List<Tlv> algorithmParts = algorithm.children();
        if (algorithmParts.isEmpty()) {
            throw new DerException("empty AlgorithmIdentifier");
        }
        String oid = algorithmParts.get(0).oid();
        String name = KEY_ALGORITHMS.get(oid);
        if (name == null) {
            throw new IllegalArgumentException("keys of algorithm " + oid + " are not supported; use RSA, EC or Ed25519");
        }
        if (name.equals("EC") && algorithmParts.size() > 1 && algorithmParts.get(1).tag() == Der.OBJECT_IDENTIFIER) {
            checkCurve(algorithmParts.get(1).oid());
        }
        try {
            return KeyFactory.getInstance(name).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException(name + " keys are not supported by this JDK");
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the " + name + " private key cannot be decoded (" + e.getMessage() + ")");
        }
    }

    private static void checkCurve(String curveOid) {
        String curve = CURVES.get(curveOid);
        if (curve == null || curve.startsWith("secp256k1")) {
            throw new IllegalArgumentException("the EC key is on curve " + (curve != null ? curve : curveOid)
                    + ", which TLS in the JDK does not support; use P-256, P-384 or P-521");
        }
    }

    /** Wraps a PKCS#1 RSAPrivateKey (RFC 8017 A.1.2) into PKCS#8 with the rsaEncryption algorithm. */
    static byte[] pkcs1ToPkcs8(byte[] pkcs1) throws DerException {
        List<Tlv> fields = Der.read(pkcs1).expect(Der.SEQUENCE).children();
        if (fields.size() < 9) {
            throw new DerException("an RSA private key has 9 integers, this has " + fields.size() + " fields");
        }
        for (int i = 0; i < 9; i++) {
            fields.get(i).integer();
        }
        return Der.sequence(
                Der.integer(0),
                Der.sequence(Der.oid(OID_RSA), Der.nullValue()),
                Der.octetString(pkcs1));
    }

    /**
     * Wraps a SEC1 ECPrivateKey (RFC 5915) into PKCS#8 with the id-ecPublicKey algorithm and the
     * named curve taken from the key's {@code [0]} parameters.
     */
    static byte[] sec1ToPkcs8(byte[] sec1) throws DerException {
        List<Tlv> fields = Der.read(sec1).expect(Der.SEQUENCE).children();
        if (fields.size() < 2 || !fields.get(0).integer().equals(BigInteger.ONE)) {
            throw new DerException("an EC private key starts with version 1 and the private value");
        }
        fields.get(1).expect(Der.OCTET_STRING);
        String curve = null;
        for (Tlv f : fields.subList(2, fields.size())) {
            if (f.tag() == Der.CONTEXT_0) {
                List<Tlv> params = f.children();
                if (params.size() != 1 || params.get(0).tag() != Der.OBJECT_IDENTIFIER) {
                    throw new IllegalArgumentException("the EC key has explicit curve parameters; "
                            + "use a named curve (openssl ec -in KEY -param_enc named_curve -out KEY.pem)");
                }
                curve = params.get(0).oid();
            }
        }
        if (curve == null) {
            throw new IllegalArgumentException("the EC PRIVATE KEY does not name its curve; "
                    + "convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem)");
        }
        checkCurve(curve);
        return Der.sequence(
                Der.integer(0),
                Der.sequence(Der.oid(OID_EC), Der.oid(curve)),
                Der.octetString(sec1));
    }

    // ---------------------------------------------------------------- key and certificate

    /**
     * Checks that {@code key} belongs to the first certificate of {@code chain}: same modulus and
     * exponent for RSA; for other algorithms, a signature made with the key verifies with the
     * certificate's public key.
     *
     * @throws IllegalArgumentException naming both files and the difference
     */
    public static void checkKeyMatches(PrivateKey key, List<X509Certificate> chain, String keySource, String certSource) {
        X509Certificate leaf = chain.get(0);
        String problem = mismatch(key, leaf.getPublicKey());
        if (problem == null) {
            return;
        }
        String hint = "";
        for (int i = 1; i < chain.size(); i++) {
            if (mismatch(key, chain.get(i).getPublicKey()) == null) {
                hint = "; it matches certificate " + (i + 1) + " in the file (" + chain.get(i).getSubjectX500Principal().getName()
                        + "): the client certificate must come first";
                break;
            }
        }
        throw new IllegalArgumentException("the private key in " + keySource + " does not match the certificate in "
                + certSource + " (" + leaf.getSubjectX500Principal().getName() + ", " + describe(leaf.getPublicKey())
                + "): " + problem + hint);
    }

    /** Why {@code key} is not the private half of {@code pub}, or null if it is. */
    static String mismatch(PrivateKey key, PublicKey pub) {
        String ka = family(key.getAlgorithm());
        String pa = family(pub.getAlgorithm());
        if (!ka.equals(pa)) {
            return "the key is " + key.getAlgorithm() + ", the certificate's key is " + pub.getAlgorithm();
        }
        if (key instanceof RSAKey rk && pub instanceof RSAKey rp) {
            if (!rk.getModulus().equals(rp.getModulus())) {
                return "different RSA modulus";
            }
            if (key instanceof RSAPrivateCrtKey crt && pub instanceof java.security.interfaces.RSAPublicKey rpub
                    && !crt.getPublicExponent().equals(rpub.getPublicExponent())) {
                return "different RSA public exponent";
            }
            return null;
        }
        if (key instanceof ECKey ek && pub instanceof ECKey ep
                && !ek.getParams().getCurve().equals(ep.getParams().getCurve())) {
            return "the key and the certificate are on different curves";
        }
        return signs(key, pub) ? null : "a test signature made with the key does not verify with the certificate";
    }

    private static String family(String algorithm) {
        return switch (algorithm) {
            case "RSA", "RSASSA-PSS" -> "RSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> algorithm;
        };
    }

    private static boolean signs(PrivateKey key, PublicKey pub) {
        String alg = switch (family(key.getAlgorithm())) {
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            default -> key.getAlgorithm();
        };
        try {
            byte[] message = new byte[32];
            new SecureRandom().nextBytes(message);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(message);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(message);
            return v.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** "RSA 2048 bits", "EC P-256", ... for messages. */
    static String describe(PublicKey pub) {
        if (pub instanceof RSAKey r) {
            return pub.getAlgorithm() + " " + r.getModulus().bitLength() + " bits";
        }
        if (pub instanceof ECKey e) {
            return "EC " + e.getParams().getCurve().getField().getFieldSize() + " bits";
        }
        return pub.getAlgorithm();
    }
}
