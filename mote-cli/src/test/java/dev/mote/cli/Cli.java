package dev.mote.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs {@code mote} in this JVM through {@link Main#run} and keeps what it printed. */
final class Cli {
    private Cli() {
    }

    /**
     * The outcome of one run.
     *
     * @param code the exit status
     * @param out  the bytes written to stdout
     * @param err  what was written to stderr
     */
    record Result(int code, byte[] out, String err) {
        String outText() {
            return new String(out, StandardCharsets.UTF_8);
        }

        /** The lines of stderr. */
        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }

        @Override
        public String toString() {
            return "exit " + code + "\nstdout: " + outText() + "\nstderr: " + err;
        }
    }

    /** A run in progress on its own thread; stdout and stderr can be read while it runs. */
    static final class Running {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final CompletableFuture<Result> result;

        Running(InputStream in, String... args) {
            PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
            PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
            result = CompletableFuture.supplyAsync(() -> {
                int code = Main.run(args, in, o, e);
                o.flush();
                e.flush();
                return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
            }, r -> Thread.ofPlatform().name("mote-cli-test").start(r));
        }

        String outSoFar() {
            return out.toString(StandardCharsets.UTF_8);
        }

        String errSoFar() {
            return err.toString(StandardCharsets.UTF_8);
        }

        /** Waits for the run to end, at most {@code seconds}. */
        Result await(int seconds) {
            try {
                return result.get(seconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("mote did not exit within " + seconds + " s; stdout so far: " + outSoFar()
                        + "\nstderr so far: " + errSoFar());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    /** Runs with an empty stdin and waits at most 30 s. */
    static Result run(String... args) {
        return start(new byte[0], args).await(30);
    }

    /** Runs with {@code stdin} and waits at most 30 s. */
    static Result runWithStdin(byte[] stdin, String... args) {
        return start(stdin, args).await(30);
    }

    static Running start(byte[] stdin, String... args) {
        return new Running(new ByteArrayInputStream(stdin), args);
    }

    static Running start(InputStream stdin, String... args) {
        return new Running(stdin, args);
    }

    /** {@code command}, then the broker's -h/-p, then {@code args}. */
    static String[] args(String command, Mosquitto broker, String... args) {
        List<String> all = new ArrayList<>();
        all.add(command);
        all.addAll(broker.hostPort());
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }
}
