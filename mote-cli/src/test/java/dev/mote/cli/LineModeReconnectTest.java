package dev.mote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mote pub -l -q 1} keeps publishing while the broker restarts: the lines written while it
 * is down are buffered and sent after the reconnect, and none is lost. A mosquitto_sub with a
 * persistent session (the broker saves it on SIGTERM) collects them across the restart.
 */
class LineModeReconnectTest {
    @TempDir
    Path tmp;

    @Test
    void linesWrittenWhileTheBrokerIsDownArriveAfterTheReconnect() throws Exception {
        assumeTrue(Mosquitto.available(), "mosquitto is not installed");
        try (Mosquitto broker = Mosquitto.start("persistence true", "persistence_location ${dir}/")) {
            String topic = "lines/restart/" + System.nanoTime();
            Path out = tmp.resolve("received.txt");
            Process sub = broker.sub("restart-sub", out, "-c", "-q", "1", "-t", topic, "-F", "%p");
            PipedOutputStream stdin = new PipedOutputStream();
            Cli.Running pub = Cli.start(new PipedInputStream(stdin, 1 << 16),
                    Cli.args("pub", broker, "-t", topic, "-l", "-q", "1", "-d"));
            write(stdin, 0, 20);
            awaitLines(out, 20);

            broker.stop();
            write(stdin, 20, 40); // while the broker is down: buffered by the client
            Mosquitto.sleep(300);
            broker.restart();
            write(stdin, 40, 60);
            stdin.close();

            Cli.Result r = pub.await(30);
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.err().contains("mote pub: connection lost"), r.err());
            assertTrue(r.err().contains("mote pub: reconnected to mqtt://127.0.0.1:" + broker.port()), r.err());
            awaitLines(out, 60);
            sub.destroy();
            Mosquitto.waitFor(sub, 10);
            Set<String> unique = new LinkedHashSet<>(Files.readAllLines(out)); // QoS 1 may repeat one
            Set<String> expected = new LinkedHashSet<>();
            for (int i = 0; i < 60; i++) {
                expected.add("line " + i);
            }
            assertEquals(expected, unique, r.err());
        }
    }

    private static void write(PipedOutputStream stdin, int from, int to) throws IOException {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to; i++) {
            s.append("line ").append(i).append('\n');
        }
        stdin.write(s.toString().getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** Waits until {@code out} holds {@code n} distinct lines. */
    private static void awaitLines(Path out, int n) throws IOException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            List<String> lines = Files.exists(out) ? Files.readAllLines(out) : List.of();
            if (new LinkedHashSet<>(lines).size() >= n) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + lines.size() + " of " + n + " lines arrived: " + lines);
            }
            Mosquitto.sleep(50);
        }
    }
}
