package dev.mote.demo;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * The progress line: elapsed time, sent, acknowledged, received and the current receive rate.
 * On a terminal it is rewritten in place five times a second; otherwise a plain line is printed
 * every second.
 */
final class Progress {
    private final PrintStream out;
    private final boolean terminal;
    private final List<DeviceStats> devices;
    private final long start;
    private final Thread thread;
    private long lastNanos;
    private long lastReceived;
    private int lastLength;

    Progress(PrintStream out, boolean terminal, List<DeviceStats> devices, long start) {
        this.out = out;
        this.terminal = terminal;
        this.devices = devices;
        this.start = start;
        this.lastNanos = start;
        this.thread = Thread.ofPlatform().daemon().name("demo-progress").unstarted(this::loop);
    }

    void start() {
        thread.start();
    }

    /** Stops the updates and prints a last line (ending the line rewritten in place). */
    void stop() {
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        print(true);
        if (terminal) {
            out.println();
        }
        out.flush();
    }

    private void loop() {
        long interval = terminal ? 200 : 1000;
        while (true) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            print(false);
        }
    }

    /** Prints the counts and the receive rate since the last line (or, for the last line, overall). */
    private synchronized void print(boolean last) {
        long now = System.nanoTime();
        long sent = 0, acknowledged = 0, received = 0;
        for (DeviceStats d : devices) {
            sent += d.sentCount();
            acknowledged += d.acknowledgedCount();
            received += d.receivedCount();
        }
        long since = last ? start : lastNanos;
        long before = last ? 0 : lastReceived;
        double rate = now > since ? (received - before) * 1e9 / (now - since) : 0;
        lastNanos = now;
        lastReceived = received;
        String line = String.format(Locale.ROOT, "%6.1f s   sent %,11d   acked %,11d   received %,11d   %,9.0f msg/s%s",
                (now - start) / 1e9, sent, acknowledged, received, rate, last ? " on average" : "");
        if (terminal) {
            out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
            lastLength = line.length();
        } else {
            out.println(line);
        }
        out.flush();
    }
}
