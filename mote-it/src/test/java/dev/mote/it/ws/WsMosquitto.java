package dev.mote.it.ws;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A Mosquitto process with a plain TCP and a TLS listener on 127.0.0.1, for the proxy tests
 * (small and local to this package; the broker scenarios have their own fixture).
 */
final class WsMosquitto implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/sbin/mosquitto");

    final int tcp;
    final int tls;
    final Path log;
    private final Process process;

    static boolean available() {
        return Files.isExecutable(BINARY);
    }

    WsMosquitto(WsPki pki, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        int[] ports = WsHiveMq.freePorts(2);
        tcp = ports[0];
        tls = ports[1];
        log = dir.resolve("mosquitto.log");
        StringBuilder conf = new StringBuilder();
        if ("root".equals(System.getProperty("user.name"))) {
            conf.append("user root\n"); // else Mosquitto switches to user "mosquitto", who cannot read these files
        }
        conf.append("per_listener_settings false\nallow_anonymous true\npersistence false\n")
                .append("log_dest file ").append(log).append('\n')
                .append("log_type error\nlog_type warning\nlog_type notice\nlog_type information\nconnection_messages true\n")
                .append("listener ").append(tcp).append(" 127.0.0.1\n")
                .append("listener ").append(tls).append(" 127.0.0.1\n")
                .append("cafile ").append(pki.caCert).append('\n')
                .append("certfile ").append(pki.serverCert).append('\n')
                .append("keyfile ").append(pki.serverKey).append('\n');
        Path confFile = dir.resolve("mosquitto.conf");
        Files.writeString(confFile, conf, StandardCharsets.US_ASCII);
        process = new ProcessBuilder(BINARY.toString(), "-c", confFile.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("mosquitto.out").toFile())
                .start();
        try {
            WsHiveMq.awaitAccepting(tcp);
            WsHiveMq.awaitAccepting(tls);
        } catch (IOException e) {
            close();
            throw new IOException("Mosquitto did not start: " + Files.readString(dir.resolve("mosquitto.out"))
                    + (Files.exists(log) ? Files.readString(log) : ""), e);
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
