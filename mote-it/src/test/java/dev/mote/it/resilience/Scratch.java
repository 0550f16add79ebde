package dev.mote.it.resilience;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small helpers of the resilience suite. */
final class Scratch {
    private Scratch() {}

    /** A fresh directory under the integration tests' directory ({@code target/it/resilience/}). */
    static Path freshDir(String name) {
        Path d = Path.of(System.getProperty("mote.it.dir", "target/it"), "resilience", name + "-" + System.nanoTime())
                .toAbsolutePath();
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d;
    }

    /** A short pause between two polls of a condition. */
    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
