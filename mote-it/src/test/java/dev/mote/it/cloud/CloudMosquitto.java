package dev.mote.it.cloud;

import dev.mote.mqtt.internal.tls.TestPki;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Mosquitto set up as a cloud broker is: a TLS listener that requires a client certificate from
 * the test CA and takes the certificate's CN as the user name, and ACLs that let a device use only
 * {@code dev/<its CN>/#} and the AWS provisioning topics. A second, plain listener on loopback is for
 * the test's own clients (the provisioning responder, an observer), which are anonymous and may use
 * every topic.
 */
final class CloudMosquitto implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/sbin/mosquitto");

    final int tls;
    final int plain;
    private final Process process;
    private final Path dir;

    static boolean available() {
        return Files.isExecutable(BINARY);
    }

    CloudMosquitto(TestPki pki, Path dir) throws IOException, InterruptedException {
        this.dir = dir;
        int[] ports = freePorts();
        tls = ports[0];
        plain = ports[1];
        Path acl = dir.resolve("acl");
        Files.writeString(acl, """
                # anonymous clients (the test's responder and observer, on the plain listener)
                topic readwrite #
                topic readwrite $aws/#

                # every certificate may use the provisioning topics, as a claim certificate's policy allows
                pattern readwrite $aws/certificates/#
                pattern readwrite $aws/provisioning-templates/#
                # and its own device topics only
                pattern readwrite dev/%u/#
                """, StandardCharsets.US_ASCII);
        StringBuilder conf = new StringBuilder();
        if ("root".equals(System.getProperty("user.name"))) {
            conf.append("user root\n");
        }
        conf.append("allow_anonymous true\npersistence false\n")
                .append("log_dest file ").append(dir.resolve("mosquitto.log")).append('\n')
                .append("log_type all\n")
                .append("acl_file ").append(acl).append('\n')
                .append("listener ").append(tls).append(" 127.0.0.1\n")
                .append("cafile ").append(pki.caCert).append('\n')
                .append("certfile ").append(pki.serverCert).append('\n')
                .append("keyfile ").append(pki.serverKey).append('\n')
                .append("require_certificate true\nuse_identity_as_username true\n")
                .append("listener ").append(plain).append(" 127.0.0.1\n");
        Path confFile = dir.resolve("mosquitto.conf");
        Files.writeString(confFile, conf, StandardCharsets.US_ASCII);
        process = new ProcessBuilder(BINARY.toString(), "-c", confFile.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("mosquitto.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int port : ports) {
            while (!accepts(port)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    String out = Files.readString(dir.resolve("mosquitto.out"));
                    close();
                    throw new IOException("Mosquitto did not start:\n" + out);
                }
                Thread.sleep(20); // polling a port that is not open yet; there is nothing to wait on
            }
        }
    }

    String log() throws IOException {
        Path log = dir.resolve("mosquitto.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int[] freePorts() throws IOException {
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new int[] {a.getLocalPort(), b.getLocalPort()};
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
