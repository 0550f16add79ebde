package dev.mote.bench;

import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Round-trip latency: one QoS 1 message at a time, from the call to publish to the moment the
 * subscriber's handler has it (timestamped in the handler); the next is published once it arrived.
 */
final class Latency {

    record Result(Clients client, int samples, long lost, double p50Micros, double p99Micros, double p999Micros) {}

    private static final AtomicInteger RUN = new AtomicInteger();

    private Latency() {}

    static Result run(Clients kind, Mosquitto broker, int warmup, int n) throws Exception {
        int run = RUN.incrementAndGet();
        String topic = "bench/lat/" + run;
        ArrayBlockingQueue<Long> receipts = new ArrayBlockingQueue<>(16);
        try (BenchClient sub = kind.create(); BenchClient pub = kind.create()) {
            sub.connect("127.0.0.1", broker.port(), "lsub-" + run);
            sub.subscribe(topic, 1, p -> receipts.offer(System.nanoTime()));
            pub.connect("127.0.0.1", broker.port(), "lpub-" + run);
            long[] samples = new long[n];
            int lost = 0;
            byte[] payload = new byte[64];
            for (int i = -warmup; i < n; i++) {
                long t0 = System.nanoTime();
                pub.publish(topic, payload.clone(), 1);
                Long t1 = receipts.poll(10, TimeUnit.SECONDS);
                if (t1 == null) {
                    lost++;
                    continue;
                }
                if (i >= 0) {
                    samples[i] = t1 - t0;
                }
            }
            pub.awaitPublished(java.time.Duration.ofSeconds(10));
            Arrays.sort(samples);
            return new Result(kind, n, lost, pct(samples, 0.50), pct(samples, 0.99), pct(samples, 0.999));
        }
    }

    static double pct(long[] sorted, double p) {
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e3;
    }
}
