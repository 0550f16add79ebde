package dev.mote.bench;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The broker's ceiling at QoS 0: a raw socket writes pre-encoded PUBLISH packets in 4 KiB writes
 * and a raw reader counts what the broker forwards. No client library is involved.
 */
final class RawCeiling {

    record Result(int size, int sent, long received, double msgPerSec, double brokerCpuShare) {}

    private static final AtomicInteger RUN = new AtomicInteger();

    private RawCeiling() {}

    static Result run(Mosquitto broker, int size, int n) throws Exception {
        String topic = "bench/raw/" + RUN.incrementAndGet();
        AtomicLong received = new AtomicLong();
        AtomicLong last = new AtomicLong();
        CountDownLatch all = new CountDownLatch(1);
        try (Socket sub = new Socket("127.0.0.1", broker.port()); Socket pub = new Socket("127.0.0.1", broker.port())) {
            sub.setTcpNoDelay(true);
            pub.setTcpNoDelay(true);
            InputStream subIn = new BufferedInputStream(sub.getInputStream(), 1 << 16);
            byte[][] body = {new byte[8192]};
            sub.getOutputStream().write(Raw.connect("rawsub-" + topic.hashCode()));
            Raw.read(subIn, body);
            sub.getOutputStream().write(Raw.subscribe(topic, 0));
            Raw.read(subIn, body);
            Thread reader = Thread.ofPlatform().name("raw-reader").start(() -> {
                try {
                    int h;
                    while ((h = Raw.read(subIn, body)) != -1) {
                        if ((h >>> 28) == 3) {
                            last.set(System.nanoTime());
                            if (received.incrementAndGet() == n) {
                                all.countDown();
                            }
                        }
                    }
                } catch (Exception closed) {
                    // the socket closes at the end of the run
                }
            });
            OutputStream out = pub.getOutputStream();
            InputStream pubIn = pub.getInputStream();
            out.write(Raw.connect("rawpub-" + topic.hashCode()));
            Raw.read(new BufferedInputStream(pubIn), body);

            byte[] one = Raw.publishQos0(topic, new byte[size]);
            int perBatch = Math.max(1, Integer.getInteger("bench.rawBatch", 4096) / one.length);
            byte[] batch = new byte[perBatch * one.length];
            for (int i = 0; i < perBatch; i++) {
                System.arraycopy(one, 0, batch, i * one.length, one.length);
            }
            long brokerCpu0 = broker.cpuNanos();
            long t0 = System.nanoTime();
            int sent = 0;
            while (sent < n) {
                int k = Math.min(perBatch, n - sent);
                out.write(batch, 0, k * one.length);
                sent += k;
            }
            out.flush();
            long before = -1;
            while (!all.await(1, TimeUnit.SECONDS) && received.get() != before) {
                before = received.get();
            }
            long t1 = received.get() > 0 ? last.get() : System.nanoTime();
            long brokerCpu1 = broker.cpuNanos();
            sub.close();
            reader.join(5_000);
            double s = (t1 - t0) / 1e9;
            return new Result(size, n, received.get(), received.get() / s, (brokerCpu1 - brokerCpu0) / 1e9 / s);
        }
    }
}
