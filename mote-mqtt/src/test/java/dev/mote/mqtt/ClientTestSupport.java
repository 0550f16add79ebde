package dev.mote.mqtt;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mote.mqtt.internal.client.ClientThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.function.Executable;

/** Assertions and helpers shared by the client tests. */
final class ClientTestSupport {
    private ClientTestSupport() {}

    /**
     * Asserts that {@code call} throws exactly {@code type} (not a subclass) whose message
     * contains every one of {@code words}.
     */
    static <T extends Throwable> T assertFails(Class<T> type, Executable call, String... words) {
        Throwable t = assertThrows(Throwable.class, call);
        return assertFailure(type, t, words);
    }

    /** Asserts that {@code t} is exactly a {@code type} whose message contains every one of {@code words}. */
    static <T extends Throwable> T assertFailure(Class<T> type, Throwable t, String... words) {
        if (t == null) {
            throw new AssertionError("expected " + type.getSimpleName() + ", but nothing was thrown");
        }
        if (t.getClass() != type) {
            throw new AssertionError("expected " + type.getName() + ", but got " + t, t);
        }
        String message = t.getMessage();
        for (String w : words) {
            if (message == null || !message.contains(w)) {
                throw new AssertionError(type.getSimpleName() + " message lacks \"" + w + "\": " + message, t);
            }
        }
        return type.cast(t);
    }

    /**
     * Asserts that no client thread is left: every virtual thread the library started has
     * finished (joined with a bounded deadline), and no platform thread is named "mote-*".
     */
    static void assertNoClientThreadsLeft(Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        for (Thread t : ClientThreads.liveThreads()) {
            long left = Math.max(1, deadline - System.nanoTime());
            try {
                t.join(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while joining " + t.getName(), e);
            }
        }
        List<String> left = new ArrayList<>();
        for (Thread t : ClientThreads.liveThreads()) {
            left.add(t.getName() + " " + t.getState());
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("mote-") && t.isAlive()) {
                left.add(t.getName() + " (platform) " + t.getState());
            }
        }
        if (!left.isEmpty()) {
            fail("client threads still alive " + within.toMillis() + " ms later: " + left);
        }
    }

    /** A call running on a virtual thread of its own, awaited with bounded waits. */
    static final class Async<T> {
        private final FutureTask<T> task;
        private final String name;

        private Async(String name, Callable<T> call) {
            this.name = name;
            this.task = new FutureTask<>(call);
            Thread.ofVirtual().name("test-" + name).start(task);
        }

        static <T> Async<T> start(String name, Callable<T> call) {
            return new Async<>(name, call);
        }

        static Async<Void> run(String name, Executable call) {
            return new Async<>(name, () -> {
                try {
                    call.execute();
                } catch (Exception | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new RuntimeException(t);
                }
                return null;
            });
        }

        boolean isDone() {
            return task.isDone();
        }

        /** The result, waiting at most {@code timeout}; the call's own exception is rethrown as is. */
        T get(Duration timeout) {
            try {
                return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException r) {
                    throw r;
                }
                if (c instanceof Error err) {
                    throw err;
                }
                throw new AssertionError(name + " failed", c);
            } catch (TimeoutException e) {
                throw new AssertionError(name + " still blocked after " + timeout.toMillis() + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + name, e);
            }
        }

        /** What the call threw, waiting at most {@code timeout}; fails if it returned. */
        Throwable failure(Duration timeout) {
            T value;
            try {
                value = task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                return e.getCause();
            } catch (TimeoutException e) {
                throw new AssertionError(name + " still blocked after " + timeout.toMillis() + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + name, e);
            }
            throw new AssertionError(name + " was expected to fail, but returned " + value);
        }

        /** Asserts that the call is still blocked after {@code window} (a short negative check). */
        void assertStillBlocked(Duration window) {
            try {
                T value = task.get(window.toNanos(), TimeUnit.NANOSECONDS);
                throw new AssertionError(name + " was expected to block, but returned " + value);
            } catch (TimeoutException expected) {
                // still blocked, as it should be
            } catch (ExecutionException e) {
                throw new AssertionError(name + " was expected to block, but failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while watching " + name, e);
            }
        }
    }
}
