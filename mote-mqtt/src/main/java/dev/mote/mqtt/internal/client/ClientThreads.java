package dev.mote.mqtt.internal.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Starts the client's virtual threads and keeps the set of those still running. Virtual threads
 * are not listed by {@link Thread#getAllStackTraces()}, so this set is how tests check that a
 * client leaves no thread behind. Not part of the API (the package is not exported).
 */
public final class ClientThreads {
    private static final Set<Thread> LIVE = ConcurrentHashMap.newKeySet();

    private ClientThreads() {}

    /** Starts a named virtual thread running {@code body}; it counts as live until the body returns. */
    static Thread start(String name, Runnable body) {
        Thread t = Thread.ofVirtual().name(name).unstarted(() -> {
            try {
                body.run();
            } finally {
                LIVE.remove(Thread.currentThread());
            }
        });
        LIVE.add(t);
        try {
            t.start();
        } catch (RuntimeException | Error e) {
            LIVE.remove(t);
            throw e;
        }
        return t;
    }

    /**
     * The client threads (of every client in this JVM) whose body has not returned yet, so a test
     * can join them with a deadline and name the ones left.
     */
    public static List<Thread> liveThreads() {
        return new ArrayList<>(LIVE);
    }
}
