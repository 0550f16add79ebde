package dev.mote.it.broker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingStream;

/**
 * Counts virtual threads pinned to their carrier while it is open (a JFR stream of
 * {@code jdk.VirtualThreadPinned} with no threshold), keeping where the first five happened.
 */
public final class PinnedThreads implements AutoCloseable {
    private final AtomicInteger pinned = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> where = new ConcurrentLinkedQueue<>();
    private final RecordingStream stream = new RecordingStream();

    /** Starts watching. */
    public PinnedThreads() {
        stream.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
        stream.onEvent("jdk.VirtualThreadPinned", e -> {
            pinned.incrementAndGet();
            if (e.getStackTrace() != null && where.size() < 5) {
                List<RecordedFrame> frames = e.getStackTrace().getFrames();
                List<String> names = new ArrayList<>();
                for (RecordedFrame f : frames.subList(0, Math.min(6, frames.size()))) {
                    names.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
                }
                where.add(String.join(" < ", names));
            }
        });
        stream.startAsync();
    }

    /** Pinned events so far. */
    public int count() {
        return pinned.get();
    }

    /** Where the first (at most five) happened, innermost frames first. */
    public List<String> where() {
        return List.copyOf(where);
    }

    /** Stops watching; the count and places stay readable. */
    @Override
    public void close() {
        stream.stop();
        stream.close();
    }
}
