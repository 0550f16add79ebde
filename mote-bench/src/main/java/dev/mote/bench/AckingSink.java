package dev.mote.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scripted peer in place of the broker: it reads packets and answers CONNACK, SUBACK, PUBACK,
 * PUBREC, PUBCOMP and PINGRESP from pre-built bytes (only the packet id is patched in), batching
 * its answers until its input runs dry. It forwards nothing, so a client publishing to it runs at
 * its own ceiling. Its threads' CPU time is measured and taken out of the client's.
 */
final class AckingSink implements AutoCloseable {

    record Result(Clients client, int qos, int size, int n, long received, long failed, double msgPerSec,
                  double cpuMicrosPerMsg) {}

    private static final byte[] CONNACK = {0x20, 2, 0, 0};
    private static final byte[] PINGRESP = {(byte) 0xd0, 0};
    private static final AtomicInteger RUN = new AtomicInteger();

    private final ServerSocket server;
    private final Thread acceptor;
    private final List<Thread> workers = new CopyOnWriteArrayList<>();
    private final AtomicLong publishes = new AtomicLong();
    private volatile long target = Long.MAX_VALUE;
    private volatile CountDownLatch reached = new CountDownLatch(1);
    private volatile long lastPublish;

    AckingSink() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofPlatform().name("sink-acceptor").daemon().start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                workers.add(Thread.ofPlatform().name("sink-conn").daemon().start(() -> serve(s)));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        byte[] outBuf = new byte[1 << 16];
        int outLen = 0;
        try (s; InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16)) {
            OutputStream out = s.getOutputStream();
            byte[][] body = {new byte[8192]};
            int h;
            while ((h = Raw.read(in, body)) != -1) {
                int type = h >>> 28;
                int flags = (h >>> 24) & 0x0f;
                byte[] b = body[0];
                byte[] answer = null;
                int id = -1;
                int answerType = 0;
                switch (type) {
                    case 1 -> answer = CONNACK;
                    case 3 -> {
                        int qos = (flags >> 1) & 3;
                        if (qos > 0) {
                            int topicLen = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
                            id = ((b[2 + topicLen] & 0xff) << 8) | (b[3 + topicLen] & 0xff);
                            answerType = qos == 1 ? 0x40 : 0x50;
                        }
                        lastPublish = System.nanoTime();
                        if (publishes.incrementAndGet() == target) {
                            reached.countDown();
                        }
                    }
                    case 6 -> { // PUBREL
                        id = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
                        answerType = 0x70;
                    }
                    case 8 -> { // SUBSCRIBE: grant what was asked, for each filter
                        int len = h & 0xffffff;
                        int granted = 0;
                        byte[] suback = new byte[4 + len];
                        int p = 2;
                        while (p < len) {
                            int fl = ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
                            p += 2 + fl;
                            suback[4 + granted++] = b[p++];
                        }
                        suback[0] = (byte) 0x90;
                        suback[1] = (byte) (2 + granted);
                        suback[2] = b[0];
                        suback[3] = b[1];
                        answer = java.util.Arrays.copyOf(suback, 4 + granted);
                    }
                    case 12 -> answer = PINGRESP;
                    case 14 -> {
                        out.write(outBuf, 0, outLen);
                        return;
                    }
                    default -> { }
                }
                if (outLen + 8 > outBuf.length) {
                    out.write(outBuf, 0, outLen);
                    outLen = 0;
                }
                if (answerType != 0) {
                    outBuf[outLen++] = (byte) answerType;
                    outBuf[outLen++] = 2;
                    outBuf[outLen++] = (byte) (id >>> 8);
                    outBuf[outLen++] = (byte) id;
                } else if (answer != null) {
                    if (outLen + answer.length > outBuf.length) {
                        out.write(outBuf, 0, outLen);
                        outLen = 0;
                    }
                    System.arraycopy(answer, 0, outBuf, outLen, answer.length);
                    outLen += answer.length;
                }
                if (outLen > 0 && in.available() == 0) {
                    out.write(outBuf, 0, outLen);
                    outLen = 0;
                }
            }
        } catch (IOException closed) {
            // the client went away
        }
    }

    private long sinkCpuNanos() {
        ThreadMXBean t = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread w : workers) {
            long c = t.getThreadCpuTime(w.threadId());
            if (c > 0) {
                sum += c;
            }
        }
        return sum;
    }

    /** One client publishes n messages to the sink; the rate runs until the last completion. */
    Result run(Clients kind, int qos, int size, int n) throws Exception {
        int run = RUN.incrementAndGet();
        try (BenchClient c = kind.create()) {
            c.connect("127.0.0.1", port(), "sinkpub-" + run);
            publishes.set(0);
            target = n;
            reached = new CountDownLatch(1);
            String topic = "bench/sink/" + run;
            long sink0 = sinkCpuNanos();
            long cpu0 = ProcStat.processCpuNanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                c.publish(topic, Throughput.payload(size, i), qos);
            }
            boolean done = c.awaitPublished(Duration.ofSeconds(120));
            reached.await(30, TimeUnit.SECONDS);
            // QoS 0 completes on writing, so its end is when the sink had the last message.
            long t1 = qos == 0 ? lastPublish : System.nanoTime();
            long cpu1 = ProcStat.processCpuNanos();
            long sink1 = sinkCpuNanos();
            double s = (t1 - t0) / 1e9;
            long failed = c.failedPublishes() + (done ? 0 : 1);
            return new Result(kind, qos, size, n, publishes.get(), failed, n / s,
                    ((cpu1 - cpu0) - (sink1 - sink0)) / 1e3 / n);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
