package dev.mote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The TLS options (--cafile, --cert, --key, --insecure, -L mqtts://) against Mosquitto's TLS
 * listeners, with a CA and certificates made by openssl for the test: one listener checks only
 * the server side, one requires a client certificate. The server certificate names "localhost"
 * only, so 127.0.0.1 fails host name verification unless --insecure.
 */
class TlsTest {
    private static Path certs;
    private static Mosquitto broker;
    private static int tlsPort;
    private static int mutualPort;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Mosquitto.available(), "mosquitto is not installed");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
        certs = Files.createTempDirectory("mote-cli-tls");
        Files.setPosixFilePermissions(certs, PosixFilePermissions.fromString("rwxr-xr-x"));
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=mote-cli-test-ca");
        Files.writeString(certs.resolve("server.cnf"), "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n");
        Files.writeString(certs.resolve("client.cnf"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
        for (String name : List.of("server", "client")) {
            openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + (name.equals("server") ? "localhost" : "mote-cli-test-client"));
            openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", name + ".pem", "-days", "2", "-extfile", name + ".cnf");
        }
        try (var files = Files.list(certs)) {
            for (Path f : files.toList()) {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
            }
        }
        tlsPort = Mosquitto.freePort();
        mutualPort = Mosquitto.freePort();
        String tlsFiles = "cafile " + certs.resolve("ca.pem") + "\ncertfile " + certs.resolve("server.pem")
                + "\nkeyfile " + certs.resolve("server.key");
        broker = Mosquitto.start(
                "listener " + tlsPort + " 127.0.0.1", tlsFiles,
                "listener " + mutualPort + " 127.0.0.1", tlsFiles, "require_certificate true");
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/usr/bin/openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(certs.toFile()).redirectErrorStream(true)
                .redirectOutput(new File("/dev/null")).start();
        assertEquals(0, p.waitFor(), "openssl " + String.join(" ", args));
    }

    @AfterAll
    static void stop() throws IOException {
        if (broker != null) {
            broker.close();
        }
        if (certs != null) {
            try (var files = Files.list(certs)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(certs);
        }
    }

    private static String ca() {
        return certs.resolve("ca.pem").toString();
    }

    /** Publishes over TLS with these options and checks that mosquitto_sub (plain listener) got it. */
    private static void publishesOverTls(String... options) throws IOException {
        String topic = "tls/" + System.nanoTime();
        Path out = Files.createTempFile("mote-cli-tls", ".txt");
        try {
            Process sub = broker.sub("tls-sub-" + System.nanoTime(), out, "-t", topic, "-C", "1", "-W", "10");
            List<String> args = new ArrayList<>(List.of("pub", "-t", topic, "-m", "secret", "-q", "1"));
            args.addAll(List.of(options));
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.toString());
            assertEquals(0, Mosquitto.waitFor(sub, 15));
            assertEquals("secret\n", Files.readString(out));
        } finally {
            Files.delete(out);
        }
    }

    private static void failsWithTls(String expected, String... options) {
        List<String> args = new ArrayList<>(List.of("pub", "-t", "tls/x", "-m", "x", "--connect-timeout", "5"));
        args.addAll(List.of(options));
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(1, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.err());
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("mote pub: ") && line.contains("TLS") && line.contains(expected), line);
        assertFalse(line.contains("\tat "), line);
    }

    @Test
    void cafileTrustsTheBrokersCertificate() throws IOException {
        publishesOverTls("-h", "localhost", "-p", Integer.toString(tlsPort), "--cafile", ca());
        publishesOverTls("-L", "mqtts://localhost:" + tlsPort, "--cafile", ca());
    }

    @Test
    void aHostTheCertificateDoesNotNameFailsUnlessInsecure() throws IOException {
        failsWithTls("127.0.0.1", "-h", "127.0.0.1", "-p", Integer.toString(tlsPort), "--cafile", ca());
        publishesOverTls("-h", "127.0.0.1", "-p", Integer.toString(tlsPort), "--cafile", ca(), "--insecure");
    }

    @Test
    void withoutCafileTheJdkTrustStoreDoesNotKnowTheTestCa() {
        failsWithTls("", "-L", "mqtts://localhost:" + tlsPort);
    }

    @Test
    void mutualTlsWithCertAndKey() throws IOException {
        publishesOverTls("-h", "localhost", "-p", Integer.toString(mutualPort), "--cafile", ca(),
                "--cert", certs.resolve("client.pem").toString(), "--key", certs.resolve("client.key").toString());
        Cli.Result r = Cli.run("pub", "-h", "localhost", "-p", Integer.toString(mutualPort), "--cafile", ca(),
                "-t", "tls/x", "-m", "x", "--connect-timeout", "5");
        assertEquals(1, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.err());
    }

    @Test
    void subOverTls() {
        String topic = "tls/sub/" + System.nanoTime();
        String id = "tls-mote-sub-" + System.nanoTime();
        Cli.Running sub = Cli.start(new byte[0], "sub", "-h", "localhost", "-p", Integer.toString(tlsPort), "--cafile", ca(),
                "-i", id, "-t", topic, "-C", "1", "-v");
        broker.awaitSubscribed(id);
        assertEquals(0, broker.pub("-t", topic, "-m", "over tls"));
        Cli.Result r = sub.await(15);
        assertEquals(0, r.code(), r.toString());
        assertEquals(topic + " over tls\n", r.outText());
    }
}
