package dev.mote.it.resilience;

import dev.mote.it.broker.MosquittoBroker;
import dev.mote.mqtt.ConnectionEvent;
import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Wait;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One counted run through faults: a publisher and a subscriber with persistent sessions talk to a
 * Mosquitto process through a {@link ChaosProxy}. The publisher sends {@code messages} sequence
 * numbers with {@link Wait#NONE} while the run cuts every connection every {@code cutEvery}
 * messages, restarts the broker {@code restarts} times (SIGTERM, or SIGKILL with {@code kill}),
 * and, when {@code allFaults} is set, adds latency (a quarter of the run), a throttle (another
 * quarter) and one black hole that only keep-alive can detect. Then it waits for every
 * acknowledgement and every message, and counts.
 */
final class ChaosRun {

    record Config(String name, Qos qos, int messages, int cutEvery, int restarts, boolean kill, boolean allFaults,
            List<String> brokerConfig) {}

    record Result(Config config, int sent, int acknowledged, int unique, int lost, int duplicates, int flaggedDup, int cuts,
            int handshakeCuts, int restarts, int blackHoles, int pubReconnects, int subReconnects, int sessionsLost,
            long resendsDropped, double seconds, String missing) {
        @Override
        public String toString() {
            return String.format("%s, QoS %d: sent %,d, acknowledged %,d, received unique %,d, lost %,d, duplicates delivered %,d"
                            + " (%,d arrived with DUP=1, %,d resends answered without delivery); faults: %d connection cuts (and %d more just"
                            + " after CONNACK), %d broker %s, %d black hole(s);"
                            + " reconnects %d (publisher %d, subscriber %d), sessions lost by the broker %d; %.1f s%s",
                    config.name(), config.qos().value(), sent, acknowledged, unique, lost, duplicates, flaggedDup, resendsDropped,
                    cuts, handshakeCuts, restarts,
                    config.kill() ? "kills (SIGKILL) and restarts" : "restarts (SIGTERM)", blackHoles,
                    pubReconnects + subReconnects, pubReconnects, subReconnects, sessionsLost, seconds,
                    missing.isEmpty() ? "" : "; first missing: " + missing);
        }
    }

    private ChaosRun() {}

    static Result run(Config cfg) throws Exception {
        Qos qos = cfg.qos();
        MosquittoBroker.Builder b = MosquittoBroker.builder(cfg.name() + "-q" + qos.value()).persistence(true);
        cfg.brokerConfig().forEach(b::config);
        long started = System.nanoTime();
        AtomicInteger brokerRestarts = new AtomicInteger();
        try (MosquittoBroker broker = b.start();
                ChaosProxy proxy = new ChaosProxy(broker.host(), broker.port())) {
            int n = cfg.messages();
            SequenceCounter counter = new SequenceCounter(n);
            Watch subWatch = new Watch();
            Watch pubWatch = new Watch();
            String root = "chaos/q" + qos.value();
            MqttClient sub = MqttClient.connect(options(proxy.uri(), cfg.name() + "-sub-q" + qos.value(), subWatch)
                    .defaultHandler(counter::accept)
                    .build());
            sub.subscribe(root + "/#", qos, counter::accept);
            MqttClient pub = MqttClient.connect(options(proxy.uri(), cfg.name() + "-pub-q" + qos.value(), pubWatch)
                    .build());
            Delivery[] deliveries = new Delivery[n];
            int quarter = n / 4;
            int restartEvery = cfg.restarts() == 0 ? Integer.MAX_VALUE : n / (cfg.restarts() + 1);
            Thread chaos = null;
            int restarts = 0;
            int blackHoles = 0;
            int pubAtCut = -1; // reconnect counts at the last cut (-1: no cut yet)
            int cutsMade = 0;
            int subAtCut = -1;
            for (int i = 0; i < n; i++) {
                if (cfg.allFaults()) {
                    if (i == quarter) {
                        proxy.delay(5);
                    } else if (i == 2 * quarter) {
                        proxy.delay(0).throttle(256 * 1024);
                    } else if (i == 3 * quarter) {
                        proxy.throttle(0);
                    }
                }
                boolean restartNow = i > 0 && i % restartEvery == 0 && restarts < cfg.restarts();
                boolean blackHoleNow = cfg.allFaults() && i == 5 * n / 8;
                if (restartNow || blackHoleNow) {
                    if (chaos != null) {
                        chaos.join();
                    }
                    if (restartNow) {
                        restarts++;
                        // Publishing goes on while the broker is down: into the offline buffer.
                        chaos = Thread.ofVirtual().name("broker-restart").start(() -> {
                            if (cfg.kill()) {
                                broker.kill();
                            } else {
                                broker.stop();
                            }
                            broker.restart();
                            brokerRestarts.incrementAndGet();
                        });
                    } else {
                        blackHoles++;
                        chaos = Thread.ofVirtual().name("black-hole").start(() -> blackHole(proxy, pubWatch, subWatch));
                    }
                } else if (i > 0 && i % cfg.cutEvery() == 0) {
                    // A cut while a client is still reconnecting from the last one would miss it, and the
                    // run would prove less than it claims: each cut waits until both have reconnected
                    // since the last one (events arrive on a thread of their own, so "connected" alone
                    // can still be the state from before the last cut).
                    pubWatch.awaitReconnectedSince(pubAtCut, 10_000);
                    subWatch.awaitReconnectedSince(subAtCut, 10_000);
                    pubAtCut = pubWatch.reconnects.get();
                    subAtCut = subWatch.reconnects.get();
                    proxy.cut();
                    if (cfg.allFaults() && ++cutsMade % 4 == 0) {
                        // Every fourth time both clients' next connections die again just after CONNACK,
                        // while the broker resumes their sessions: the case where Mosquitto 2.0 resends
                        // released QoS 2 messages as new PUBLISHes (docs/resilience.md).
                        proxy.cutNextHandshakes(2);
                    }
                }
                deliveries[i] = pub.publish(root + "/" + (i % 10), SequenceCounter.payload(i, 24), qos, false, Wait.NONE);
            }
            if (chaos != null) {
                chaos.join();
            }
            int acknowledged = 0;
            for (Delivery d : deliveries) {
                try {
                    if (d.await(Duration.ofSeconds(60))) {
                        acknowledged++;
                    }
                } catch (RuntimeException e) {
                    // failed: counted as not acknowledged
                }
            }
            counter.awaitAll(cfg.kill() ? 5_000 : 30_000);
            counter.awaitQuiet(500, 5_000); // give late duplicates a chance to show up
            double seconds = (System.nanoTime() - started) / 1e9;
            int unique = counter.unique();
            Result r = new Result(cfg, n, acknowledged, unique, n - unique, counter.duplicates(), counter.flaggedDup(),
                    proxy.cuts(), proxy.handshakeCuts(), brokerRestarts.get(), blackHoles, pubWatch.reconnects.get(), subWatch.reconnects.get(),
                    pubWatch.sessionsLost.get() + subWatch.sessionsLost.get(), sub.metrics().duplicatesDropped(), seconds,
                    counter.missing(n, 10));
            System.out.println("[resilience] " + r);
            pub.close();
            sub.close();
            return r;
        }
    }

    /** Swallows all traffic until both clients noticed (by keep-alive) and started to reconnect. */
    private static void blackHole(ChaosProxy proxy, Watch a, Watch b) {
        int da = a.disconnects.get();
        int db = b.disconnects.get();
        proxy.blackHole(true);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((a.disconnects.get() == da || b.disconnects.get() == db) && System.nanoTime() < deadline) {
            Scratch.pause(20);
        }
        proxy.blackHole(false);
    }

    /** Counts a client's connection events. */
    static final class Watch {
        final AtomicInteger reconnects = new AtomicInteger();
        final AtomicInteger disconnects = new AtomicInteger();
        final AtomicInteger sessionsLost = new AtomicInteger();
        private final Object lock = new Object();
        private boolean connected;

        void on(ConnectionEvent e) {
            switch (e) {
                case ConnectionEvent.Connected c -> {
                    synchronized (lock) {
                        if (c.reconnect()) {
                            reconnects.incrementAndGet();
                        }
                        connected = true;
                        lock.notifyAll();
                    }
                }
                case ConnectionEvent.Disconnected d -> {
                    disconnects.incrementAndGet();
                    setConnected(false);
                }
                case ConnectionEvent.SessionLost s -> sessionsLost.incrementAndGet();
                default -> { }
            }
        }

        private void setConnected(boolean value) {
            synchronized (lock) {
                connected = value;
                lock.notifyAll();
            }
        }

        /**
         * Waits until the client is connected and has reconnected more than {@code since} times,
         * at most {@code millis}; false if that did not happen.
         */
        boolean awaitReconnectedSince(int since, long millis) throws InterruptedException {
            long deadline = System.nanoTime() + millis * 1_000_000L;
            synchronized (lock) {
                while (!connected || reconnects.get() <= since) {
                    long left = (deadline - System.nanoTime()) / 1_000_000L;
                    if (left <= 0) {
                        return false;
                    }
                    lock.wait(left);
                }
                return true;
            }
        }
    }

    private static MqttOptions.Builder options(String uri, String clientId, Watch watch) {
        return MqttOptions.builder(uri)
                .clientId(clientId)
                .cleanSession(false)
                .keepAlive(Duration.ofSeconds(2))
                .connectTimeout(Duration.ofSeconds(3))
                .ackTimeout(Duration.ofSeconds(90))
                .closeTimeout(Duration.ofSeconds(2))
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(10), Duration.ofMillis(200)))
                .connectionListener(watch::on);
    }
}
