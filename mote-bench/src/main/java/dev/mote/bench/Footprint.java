package dev.mote.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Jar sizes: the library's own jar and its runtime dependency closure, as Maven resolves it for
 * the client alone (the ./bench script copies each closure into target/footprint/NAME with the
 * small poms in mote-bench/footprint; Mote's is its own jar, its pom declares test dependencies only).
 */
final class Footprint {

    record Result(Clients client, String jar, long jarBytes, int deps, long depBytes) {}

    private Footprint() {}

    static Result of(Clients c, Path benchDir, Path moteJar) throws IOException {
        if (c == Clients.MOTE) {
            return new Result(c, moteJar.getFileName().toString(), Files.size(moteJar), 0, 0);
        }
        String dir = switch (c) {
            case PAHO -> "paho";
            case HIVEMQ -> "hivemq";
            case VERTX -> "vertx";
            default -> throw new IllegalArgumentException(c.name());
        };
        String root = switch (c) {
            case PAHO -> "org.eclipse.paho.client.mqttv3-";
            case HIVEMQ -> "hivemq-mqtt-client-";
            case VERTX -> "vertx-mqtt-";
            default -> "";
        };
        Path d = benchDir.resolve("target/footprint").resolve(dir);
        if (!Files.isDirectory(d)) {
            return null;
        }
        List<Path> jars;
        try (Stream<Path> s = Files.list(d)) {
            jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
        Path main = jars.stream().filter(p -> p.getFileName().toString().startsWith(root)).findFirst().orElseThrow();
        long depBytes = 0;
        for (Path j : jars) {
            if (!j.equals(main)) {
                depBytes += Files.size(j);
            }
        }
        return new Result(c, main.getFileName().toString(), Files.size(main), jars.size() - 1, depBytes);
    }
}
