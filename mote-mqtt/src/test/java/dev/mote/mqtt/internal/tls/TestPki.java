package dev.mote.mqtt.internal.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test certificates and keys made with the openssl command line at test time, into a temporary
 * directory (nothing is committed). A CA; server certificates for localhost (good, wrong host,
 * expired, signed by an untrusted CA); client certificates with keys in PKCS#1, SEC1 and PKCS#8
 * form; PKCS#12 files. mote-it uses this same class through mote-mqtt's test jar.
 */
public final class TestPki {
    public static final String OPENSSL = "/usr/bin/openssl";
    public static final String P12_PASSWORD = "changeit";

    public final Path dir;
    public final Path caCert;
    public final Path caKey;
    public final Path serverCert;
    public final Path serverKey;
    public final Path serverP12;
    public final Path wrongHostP12;
    public final Path expiredP12;
    public final Path otherCaCert;
    public final Path untrustedP12;
    public final Path clientRsaCert;
    public final Path clientRsaPkcs1Key;
    public final Path clientRsaPkcs8Key;
    public final Path clientEcCert;
    public final Path clientEcSec1Key;
    public final Path clientEcPkcs8Key;
    public final Path clientP12;
    /** The client EC key's certificate, signed by the CA that nobody trusts. */
    public final Path untrustedClientCert;
    public final Path otherRsaKey;
    public final Path otherEcKey;

    public static boolean available() {
        return Files.isExecutable(Path.of(OPENSSL));
    }

    public TestPki(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        write("req.cnf", """
                [req]
                distinguished_name = dn
                [dn]
                [v3_ca]
                basicConstraints = critical,CA:TRUE
                keyUsage = critical,keyCertSign,cRLSign
                subjectKeyIdentifier = hash
                """);
        write("server.ext", """
                basicConstraints = CA:FALSE
                keyUsage = critical,digitalSignature,keyEncipherment
                extendedKeyUsage = serverAuth
                subjectAltName = DNS:localhost,IP:127.0.0.1
                """);
        write("wrong.ext", """
                basicConstraints = CA:FALSE
                keyUsage = critical,digitalSignature,keyEncipherment
                extendedKeyUsage = serverAuth
                subjectAltName = DNS:wrong.example
                """);
        write("client.ext", """
                basicConstraints = CA:FALSE
                keyUsage = critical,digitalSignature,keyEncipherment
                extendedKeyUsage = clientAuth
                """);
        caKey = ecKey("ca.key");
        caCert = selfSigned("ca.pem", caKey, "/CN=Mote Test CA");
        Path otherCaKey = ecKey("other-ca.key");
        otherCaCert = selfSigned("other-ca.pem", otherCaKey, "/CN=Untrusted Test CA");

        serverKey = ecKey("server.key");
        serverCert = sign("server.pem", serverKey, "/CN=localhost", caCert, caKey, "server.ext");
        serverP12 = p12("server.p12", serverKey, serverCert);

        Path wrongKey = ecKey("wrong.key");
        wrongHostP12 = p12("wrong.p12", wrongKey, sign("wrong.pem", wrongKey, "/CN=wrong.example", caCert, caKey, "wrong.ext"));

        Path expiredKey = ecKey("expired.key");
        expiredP12 = p12("expired.p12", expiredKey, expired("expired.pem", expiredKey));

        Path untrustedKey = ecKey("untrusted.key");
        untrustedP12 = p12("untrusted.p12", untrustedKey,
                sign("untrusted.pem", untrustedKey, "/CN=localhost", otherCaCert, otherCaKey, "server.ext"));

        clientRsaPkcs1Key = dir.resolve("client-rsa.pkcs1.key");
        openssl("genrsa", "-traditional", "-out", clientRsaPkcs1Key.toString(), "2048");
        clientRsaCert = sign("client-rsa.pem", clientRsaPkcs1Key, "/CN=client-rsa", caCert, caKey, "client.ext");
        clientRsaPkcs8Key = dir.resolve("client-rsa.pkcs8.key");
        openssl("pkcs8", "-topk8", "-nocrypt", "-in", clientRsaPkcs1Key.toString(), "-out", clientRsaPkcs8Key.toString());

        clientEcSec1Key = dir.resolve("client-ec.sec1.key");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", clientEcSec1Key.toString()); // with an EC PARAMETERS block
        clientEcCert = sign("client-ec.pem", clientEcSec1Key, "/CN=client-ec", caCert, caKey, "client.ext");
        clientEcPkcs8Key = dir.resolve("client-ec.pkcs8.key");
        openssl("pkcs8", "-topk8", "-nocrypt", "-in", clientEcSec1Key.toString(), "-out", clientEcPkcs8Key.toString());

        untrustedClientCert = sign("client-untrusted.pem", clientEcSec1Key, "/CN=client-untrusted", otherCaCert, otherCaKey,
                "client.ext");

        clientP12 = dir.resolve("client.p12");
        openssl("pkcs12", "-export", "-inkey", clientRsaPkcs1Key.toString(), "-in", clientRsaCert.toString(),
                "-certfile", caCert.toString(), "-name", "client", "-out", clientP12.toString(), "-passout", "pass:" + P12_PASSWORD);

        otherRsaKey = dir.resolve("other-rsa.key");
        openssl("genrsa", "-traditional", "-out", otherRsaKey.toString(), "2048");
        otherEcKey = ecKey("other-ec.key");
    }

    public Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.US_ASCII);
        return p;
    }

    private Path ecKey(String name) throws IOException {
        Path p = dir.resolve(name);
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", p.toString());
        return p;
    }

    private Path selfSigned(String name, Path key, String subject) throws IOException {
        Path p = dir.resolve(name);
        openssl("req", "-x509", "-new", "-config", dir.resolve("req.cnf").toString(), "-extensions", "v3_ca",
                "-key", key.toString(), "-subj", subject, "-days", "30", "-out", p.toString());
        return p;
    }

    private Path csr(Path key, String subject) throws IOException {
        Path p = dir.resolve(key.getFileName() + ".csr");
        openssl("req", "-new", "-config", dir.resolve("req.cnf").toString(), "-key", key.toString(), "-subj", subject,
                "-out", p.toString());
        return p;
    }

    private Path sign(String name, Path key, String subject, Path ca, Path caKey, String ext) throws IOException {
        Path p = dir.resolve(name);
        openssl("x509", "-req", "-in", csr(key, subject).toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(),
                "-set_serial", String.valueOf(System.nanoTime() & 0xFFFFFFF), "-days", "30", "-sha256",
                "-extfile", dir.resolve(ext).toString(), "-out", p.toString());
        return p;
    }

    /** Valid in January 2020 only, signed by the CA, via "openssl ca" (which takes explicit dates). */
    private Path expired(String name, Path key) throws IOException {
        Path caDir = Files.createDirectories(dir.resolve("ca-db"));
        Files.writeString(caDir.resolve("index.txt"), "");
        Files.writeString(caDir.resolve("serial"), "1000\n");
        Path cnf = write("ca.cnf", """
                [ca]
                default_ca = ca_default
                [ca_default]
                database = %1$s/index.txt
                new_certs_dir = %1$s
                serial = %1$s/serial
                default_md = sha256
                policy = any
                unique_subject = no
                [any]
                commonName = supplied
                """.formatted(caDir));
        Path p = dir.resolve(name);
        openssl("ca", "-batch", "-notext", "-config", cnf.toString(), "-cert", caCert.toString(), "-keyfile", caKey.toString(),
                "-in", csr(key, "/CN=localhost").toString(), "-startdate", "20200101000000Z", "-enddate", "20200201000000Z",
                "-extfile", dir.resolve("server.ext").toString(), "-out", p.toString());
        return p;
    }

    private Path p12(String name, Path key, Path cert) throws IOException {
        Path p = dir.resolve(name);
        openssl("pkcs12", "-export", "-inkey", key.toString(), "-in", cert.toString(), "-name", "server",
                "-out", p.toString(), "-passout", "pass:" + P12_PASSWORD);
        return p;
    }

    public void openssl(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(OPENSSL);
        cmd.addAll(List.of(args));
        Process proc = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] output = proc.getInputStream().readAllBytes();
        try {
            if (!proc.waitFor(60, TimeUnit.SECONDS)) {
                proc.destroyForcibly();
                throw new IOException("openssl timed out: " + cmd);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (proc.exitValue() != 0) {
            throw new IOException("openssl failed (" + proc.exitValue() + "): " + String.join(" ", cmd) + "\n"
                    + new String(output, StandardCharsets.UTF_8));
        }
    }
}
