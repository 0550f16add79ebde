package dev.mote.mqtt;

import static dev.mote.mqtt.ClientTestSupport.assertNoClientThreadsLeft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.internal.client.ClientThreads;
import dev.mote.mqtt.internal.codec.Connack;
import dev.mote.mqtt.internal.codec.Connect;
import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.PacketDecoder;
import dev.mote.mqtt.internal.codec.PacketEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Thousands of connect/close cycles leave no thread, no file descriptor and no heap behind.
 * Against a minimal in-process broker (accept, CONNACK, read until the client closes), so the
 * numbers measure the client alone.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ResourceBoundsTest {
    private static final int WARM_UP = 200;
    private static final int CYCLES = 5_000;
    private static final int FD_TOLERANCE = 16;
    private static final long HEAP_TOLERANCE = 8L << 20;

    @Test
    void connectCloseCyclesLeakNothing() throws Exception {
        try (MinimalBroker broker = new MinimalBroker()) {
            MqttOptions options = MqttOptions.builder(broker.uri())
                    .clientId("cycler")
                    .reconnect(ReconnectPolicy.disabled())
                    .closeTimeout(Duration.ofSeconds(2))
                    .build();
            cycles(options, WARM_UP); // class loading, JIT, the carrier threads of virtual threads
            assertNoClientThreadsLeft(Duration.ofSeconds(5));
            long fdsBefore = openFileDescriptors();
            long heapBefore = usedHeapAfterGc();
            int platformBefore = Thread.activeCount();

            long start = System.nanoTime();
            cycles(options, CYCLES);
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertNoClientThreadsLeft(Duration.ofSeconds(5));
            assertEquals(List.of(), ClientThreads.liveThreads());
            broker.awaitAllClosed(Duration.ofSeconds(5));
            long fdsAfter = openFileDescriptors();
            long heapAfter = usedHeapAfterGc();
            int platformAfter = Thread.activeCount();
            System.out.printf("[resources] %d connect/close cycles in %d ms (%.1f ms each): fds %d -> %d, heap %d -> %d KiB,"
                            + " platform threads %d -> %d%n", CYCLES, millis, (double) millis / CYCLES,
                    fdsBefore, fdsAfter, heapBefore >> 10, heapAfter >> 10, platformBefore, platformAfter);
            assertEquals(WARM_UP + CYCLES, broker.accepted.get());
            assertTrue(fdsAfter - fdsBefore <= FD_TOLERANCE, "file descriptors " + fdsBefore + " -> " + fdsAfter);
            assertTrue(heapAfter - heapBefore <= HEAP_TOLERANCE, "heap " + heapBefore + " -> " + heapAfter);
            assertTrue(platformAfter - platformBefore <= 2, "platform threads " + platformBefore + " -> " + platformAfter);
        }
    }

    private static void cycles(MqttOptions options, int n) {
        for (int i = 0; i < n; i++) {
            MqttClient client = MqttClient.connect(options);
            assertTrue(client.isConnected());
            client.close();
        }
    }

    private static long openFileDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        // The lowest of a few collections: one may run while a finished client is still being reclaimed.
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            Runtime r = Runtime.getRuntime();
            used = Math.min(used, r.totalMemory() - r.freeMemory());
        }
        return used;
    }

    /** Accepts, answers CONNECT with CONNACK, reads until the client closes, closes. */
    private static final class MinimalBroker implements AutoCloseable {
        final ServerSocket server = new ServerSocket();
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger open = new AtomicInteger();
        final Thread acceptor;

        MinimalBroker() throws IOException {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
            acceptor = Thread.ofVirtual().name("minimal-broker").start(this::acceptLoop);
        }

        String uri() {
            return "mqtt://127.0.0.1:" + server.getLocalPort();
        }

        private void acceptLoop() {
            while (true) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException closed) {
                    return;
                }
                accepted.incrementAndGet();
                open.incrementAndGet();
                Thread.ofVirtual().name("minimal-broker-conn").start(() -> serve(s));
            }
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                PacketDecoder decoder = new PacketDecoder(1 << 16);
                byte[] buf = new byte[512];
                boolean connected = false;
                int n;
                while ((n = in.read(buf)) >= 0) {
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                    Packet p;
                    while ((p = decoder.decode(b)) != null) {
                        if (p instanceof Connect && !connected) {
                            connected = true;
                            s.getOutputStream().write(PacketEncoder.encode(new Connack(false, 0)));
                        }
                    }
                }
            } catch (Exception e) {
                // the client went away
            } finally {
                open.decrementAndGet();
            }
        }

        void awaitAllClosed(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (open.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, open.get(), "connections the broker still has open");
        }

        @Override
        public void close() throws Exception {
            server.close();
            acceptor.join(Duration.ofSeconds(5));
        }
    }
}
