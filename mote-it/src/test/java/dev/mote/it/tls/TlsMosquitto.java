package dev.mote.it.tls;

import dev.mote.mqtt.internal.tls.TestPki;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Mosquitto process with a listener per TLS situation, on free ports of 127.0.0.1:
 * server-only TLS, mutual TLS, a certificate for the wrong host, an expired certificate, a
 * certificate from an untrusted CA, and plain TCP. Small and for the TLS tests only (the shared
 * broker fixtures live in dev.mote.it.broker).
 */
final class TlsMosquitto implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/sbin/mosquitto");

    final int serverAuth;
    final int mutual;
    final int wrongHost;
    final int expired;
    final int untrusted;
    final int plain;
    final Path log;
    private final Process process;

    static boolean available() {
        return Files.isExecutable(BINARY);
    }

    TlsMosquitto(TestPki pki, Path dir) throws IOException, InterruptedException {
        int[] ports = freePorts(6);
        serverAuth = ports[0];
        mutual = ports[1];
        wrongHost = ports[2];
        expired = ports[3];
        untrusted = ports[4];
        plain = ports[5];
        log = dir.resolve("mosquitto.log");
        Path d = pki.dir;
        StringBuilder conf = new StringBuilder();
        if ("root".equals(System.getProperty("user.name"))) {
            conf.append("user root\n"); // else Mosquitto drops to user "mosquitto", who cannot read the temp dir
        }
        conf.append("allow_anonymous true\n")
                .append("persistence false\n")
                .append("log_dest file ").append(log).append('\n')
                .append("log_type error\nlog_type warning\nlog_type notice\nlog_type information\n");
        tlsListener(conf, serverAuth, d.resolve("ca.pem"), d.resolve("server.pem"), d.resolve("server.key"), false);
        tlsListener(conf, mutual, d.resolve("ca.pem"), d.resolve("server.pem"), d.resolve("server.key"), true);
        tlsListener(conf, wrongHost, d.resolve("ca.pem"), d.resolve("wrong.pem"), d.resolve("wrong.key"), false);
        tlsListener(conf, expired, d.resolve("ca.pem"), d.resolve("expired.pem"), d.resolve("expired.key"), false);
        tlsListener(conf, untrusted, d.resolve("ca.pem"), d.resolve("untrusted.pem"), d.resolve("untrusted.key"), false);
        conf.append("listener ").append(plain).append(" 127.0.0.1\n");
        Path confFile = dir.resolve("mosquitto.conf");
        Files.writeString(confFile, conf, StandardCharsets.US_ASCII);
        process = new ProcessBuilder(BINARY.toString(), "-c", confFile.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("mosquitto.out").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int port : ports) {
            while (!accepts(port)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    String out = Files.exists(dir.resolve("mosquitto.out")) ? Files.readString(dir.resolve("mosquitto.out")) : "";
                    String logText = Files.exists(log) ? Files.readString(log) : "";
                    close();
                    throw new IOException("Mosquitto did not start its TLS listeners:\n" + out + logText);
                }
                Thread.sleep(20);
            }
        }
    }

    private static void tlsListener(StringBuilder conf, int port, Path ca, Path cert, Path key, boolean requireCertificate) {
        conf.append("listener ").append(port).append(" 127.0.0.1\n")
                .append("cafile ").append(ca).append('\n')
                .append("certfile ").append(cert).append('\n')
                .append("keyfile ").append(key).append('\n');
        if (requireCertificate) {
            conf.append("require_certificate true\n");
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int[] freePorts(int n) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
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
