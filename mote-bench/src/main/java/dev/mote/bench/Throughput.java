package dev.mote.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end throughput: one publisher and one subscriber of the same client library through the
 * broker, N messages as fast as the publisher's window allows. The rate is measured from the first
 * publish to the last receipt; the JVM's CPU time over the same span, divided by N, is the client
 * overhead (both clients, the harness and the JVM's own threads; the broker is another process).
 */
final class Throughput {

    record Result(Clients client, int qos, int size, int sent, int received, long lost, long duplicates,
                  long failed, double msgPerSec, double cpuMicrosPerMsg, double brokerCpuShare) {}

    private static final AtomicInteger RUN = new AtomicInteger();

    private Throughput() {}

    /** Fills a payload of {@code size} bytes whose first four carry the sequence number. */
    static byte[] payload(int size, int seq) {
        byte[] p = new byte[size];
        p[0] = (byte) (seq >>> 24);
        p[1] = (byte) (seq >>> 16);
        p[2] = (byte) (seq >>> 8);
        p[3] = (byte) seq;
        return p;
    }

    static int seq(byte[] p) {
        return ((p[0] & 0xff) << 24) | ((p[1] & 0xff) << 16) | ((p[2] & 0xff) << 8) | (p[3] & 0xff);
    }

    static Result run(Clients kind, Mosquitto broker, int qos, int size, int n) throws Exception {
        int run = RUN.incrementAndGet();
        String topic = "bench/tp/" + run;
        byte[] seen = new byte[n];
        AtomicInteger distinct = new AtomicInteger();
        AtomicLong dups = new AtomicLong();
        AtomicLong lastReceipt = new AtomicLong();
        CountDownLatch all = new CountDownLatch(1);
        try (BenchClient sub = kind.create(); BenchClient pub = kind.create()) {
            sub.connect("127.0.0.1", broker.port(), "sub-" + run);
            sub.subscribe(topic, qos, p -> {
                int s = seq(p);
                if (s < 0 || s >= n) {
                    return;
                }
                if (seen[s] != 0) {
                    dups.incrementAndGet();
                    return;
                }
                seen[s] = 1;
                lastReceipt.set(System.nanoTime());
                if (distinct.incrementAndGet() == n) {
                    all.countDown();
                }
            });
            pub.connect("127.0.0.1", broker.port(), "pub-" + run);

            long brokerCpu0 = broker.cpuNanos();
            long cpu0 = ProcStat.processCpuNanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                pub.publish(topic, payload(size, i), qos);
            }
            boolean completed = pub.awaitPublished(Duration.ofSeconds(120));
            // QoS 0 may lose messages: stop waiting once nothing arrived for a second.
            int before = -1;
            while (!all.await(1, TimeUnit.SECONDS)) {
                int now = distinct.get();
                if (now == before) {
                    break;
                }
                before = now;
            }
            long t1 = distinct.get() > 0 ? lastReceipt.get() : System.nanoTime();
            long cpu1 = ProcStat.processCpuNanos();
            long brokerCpu1 = broker.cpuNanos();
            double seconds = (t1 - t0) / 1e9;
            int received = distinct.get();
            long failed = pub.failedPublishes() + (completed ? 0 : 1);
            return new Result(kind, qos, size, n, received, n - received, dups.get(), failed,
                    received / seconds, (cpu1 - cpu0) / 1e3 / n,
                    (brokerCpu1 - brokerCpu0) / 1e9 / seconds);
        }
    }
}
