package dev.mote.it.ws;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A CA and a server certificate for {@code localhost} (DNS name only, so that {@code 127.0.0.1}
 * is a host name the certificate does not match), made with the openssl command line at test
 * time: PEM files for Mosquitto and for the client's trust, a PKCS#12 key store for HiveMQ.
 */
final class WsPki {
    static final Path OPENSSL = Path.of("/usr/bin/openssl");
    static final String STORE_PASSWORD = "changeit";

    final Path dir;
    final Path caCert;
    final Path serverCert;
    final Path serverKey;
    final Path serverP12;

    static boolean available() {
        return Files.isExecutable(OPENSSL);
    }

    WsPki(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        Files.writeString(dir.resolve("server.ext"), """
                basicConstraints = CA:FALSE
                keyUsage = critical,digitalSignature,keyEncipherment
                extendedKeyUsage = serverAuth
                subjectAltName = DNS:localhost
                """);
        caCert = dir.resolve("ca.pem");
        serverCert = dir.resolve("server.pem");
        serverKey = dir.resolve("server.key");
        serverP12 = dir.resolve("server.p12");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                "-out", "ca.pem", "-days", "2", "-subj", "/CN=Mote WebSocket Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key",
                "-out", "server.csr", "-subj", "/CN=localhost");
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
        openssl("pkcs12", "-export", "-in", "server.pem", "-inkey", "server.key", "-name", "broker",
                "-out", "server.p12", "-passout", "pass:" + STORE_PASSWORD);
    }

    private void openssl(String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(OPENSSL.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("openssl " + String.join(" ", args) + " failed:\n" + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
