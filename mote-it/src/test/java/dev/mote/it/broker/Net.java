package dev.mote.it.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Loopback port helpers for the broker fixtures. */
public final class Net {
    public static final String LOOPBACK = "127.0.0.1";

    private Net() {
    }

    /** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    /** True if something accepts TCP connections on the loopback port now. */
    public static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(LOOPBACK, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Polls until {@code port} accepts connections, {@code giveUp} says to stop (e.g. the process
     * died), or {@code timeout} passes.
     *
     * @return true if the port accepts connections
     */
    public static boolean awaitAccepting(int port, Duration timeout, BooleanSupplier giveUp) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (accepts(port)) {
                return true;
            }
            if (giveUp.getAsBoolean()) {
                return false;
            }
            pause(20);
        }
        return accepts(port);
    }

    /** A short pause between two polls of a condition (never used to wait for an outcome itself). */
    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while polling", e);
        }
    }
}
