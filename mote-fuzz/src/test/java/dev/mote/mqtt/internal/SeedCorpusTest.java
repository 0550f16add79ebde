package dev.mote.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.codec.SeedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Keeps the checked-in seed corpora equal to what the generators make. Run with
 * {@code -Dfuzz.writeSeeds=true} to (re)write them after changing a generator.
 */
class SeedCorpusTest {
    private static final Path RESOURCES = Path.of("src/test/resources");

    @Test
    void decoderSeeds() throws IOException {
        check(SeedFiles.DECODER_DIR, SeedFiles.decoder());
    }

    @Test
    void sessionSeeds() throws IOException {
        check(SeedFiles.SESSION_DIR, SeedFiles.session());
    }

    private static void check(String dir, Map<String, byte[]> seeds) throws IOException {
        Path base = RESOURCES.resolve(dir);
        boolean write = Boolean.getBoolean("fuzz.writeSeeds");
        if (write) {
            Files.createDirectories(base);
        }
        for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
            Path file = base.resolve("seed-" + e.getKey());
            if (write) {
                Files.write(file, e.getValue());
            }
            assertTrue(Files.isRegularFile(file), file + " is missing; run with -Dfuzz.writeSeeds=true");
            assertArrayEquals(e.getValue(), Files.readAllBytes(file), file + " differs from its generator");
        }
    }
}
