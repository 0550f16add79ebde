package dev.mote.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many idle connections in one JVM: each client connects and subscribes to a topic of its own.
 * Up to 64 connects are under way at once (each a blocking connect + subscribe on a virtual
 * thread, the same for every client). Heap after GC, RSS and platform threads are read before
 * and after; the differences divided by the connection count are the per-connection costs.
 */
final class Connections {

    record Result(Clients client, int wanted, int connected, double seconds, double heapBytesPerConn,
                  double rssBytesPerConn, int threadsAdded, String note) {}

    private static final AtomicInteger RUN = new AtomicInteger();

    private Connections() {}

    static Result run(Clients kind, Mosquitto broker, int n) throws Exception {
        int run = RUN.incrementAndGet();
        long heap0 = ProcStat.heapAfterGc();
        long rss0 = ProcStat.rssBytes();
        int threads0 = ProcStat.platformThreads();
        List<BenchClient> clients = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            clients.add(kind.create());
        }
        Semaphore concurrent = new Semaphore(64);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger firstErrorShown = new AtomicInteger();
        String[] error = new String[1];
        long t0 = System.nanoTime();
        try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int id = i;
                concurrent.acquire();
                fs.add(exec.submit(() -> {
                    try {
                        BenchClient c = clients.get(id);
                        c.connect("127.0.0.1", broker.port(), "c" + run + "-" + id);
                        c.subscribe("conn/" + run + "/" + id, 1, p -> { });
                        ok.incrementAndGet();
                    } catch (Throwable e) {
                        if (firstErrorShown.getAndIncrement() == 0) {
                            error[0] = e.toString();
                        }
                    } finally {
                        concurrent.release();
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        int threads1 = ProcStat.platformThreads();
        long heap1 = ProcStat.heapAfterGc();
        long rss1 = ProcStat.rssBytes();
        if (Boolean.getBoolean("bench.histogram")) {
            // For finding what a connection holds: jcmd PID GC.class_histogram meanwhile.
            System.err.println("[bench] connected; pid " + ProcessHandle.current().pid() + ", pausing 15 s for a histogram");
            Thread.sleep(15_000);
        }
        try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
            Semaphore closing = new Semaphore(64);
            for (BenchClient c : clients) {
                closing.acquire();
                exec.submit(() -> {
                    try {
                        c.disconnect();
                    } catch (Throwable ignored) {
                        // counted above; a failed client may not disconnect
                    } finally {
                        closing.release();
                    }
                });
            }
        }
        int connected = ok.get();
        int per = Math.max(1, connected);
        return new Result(kind, n, connected, seconds, (heap1 - heap0) / (double) per,
                (rss1 - rss0) / (double) per, threads1 - threads0, error[0] == null ? "" : error[0]);
    }
}
