package dev.mote.cli;

import dev.mote.demo.LatencyHistogram;
import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.Wait;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mote bench}: publishers and subscribers against a broker, counting exactly what was sent,
 * acknowledged, received, lost and duplicated, with throughput and latency.
 */
@Command(name = "bench", sortOptions = false, usageHelpWidth = 100, synopsisHeading = "Usage: ",
        description = {"Measures a broker: N publishers (each its own connection) publish numbered messages to "
                + "PREFIX/<publisher>, M subscribers (each its own connection) subscribe to PREFIX/#. Reports what was "
                + "sent, acknowledged (QoS 1/2), received, lost and duplicated, message rates and the latency from "
                + "publish to arrival (p50/p90/p99/max).",
                "For QoS 1 and 2, sent = acknowledged and received = acknowledged x subscribers when nothing is lost. "
                        + "Exits 0 if no QoS 1/2 message was lost, no QoS 2 message arrived twice and no client failed; "
                        + "1 otherwise."},
        footerHeading = "%n",
        footer = {"Examples:",
                "  mote bench -h broker.example                           # 1 publisher, 1 subscriber, QoS 1, 10 s",
                "  mote bench -h broker.example -P 4 -S 2 -q 2 --duration 30",
                "  mote bench -h broker.example --rate 100 --count 1000 --payload 1024 --json",
                "",
                "Publishers run at most --max-ahead messages ahead of the slowest subscriber (waiting at most",
                "100 ms for it), so a broker's queue limits (Mosquitto: max_queued_messages 1000) do not turn",
                "the benchmark into a measure of dropped messages.",
                "",
                ExitCodes.HELP})
final class BenchCommand extends ClientCommand {
    private static final long SETTLE_TIMEOUT_NANOS = 10_000_000_000L;
    private static final long DRAIN_TIMEOUT_NANOS = 10_000_000_000L;
    private static final long AHEAD_TIMEOUT_NANOS = 100_000_000L;

    @Option(names = {"-P", "--publishers"}, paramLabel = "N", defaultValue = "1", description = "Publishers (default ${DEFAULT-VALUE}).")
    int publishers;

    @Option(names = {"-S", "--subscribers"}, paramLabel = "M", defaultValue = "1", description = "Subscribers (default ${DEFAULT-VALUE}).")
    int subscribers;

    @Option(names = {"-q", "--qos"}, paramLabel = "QOS", defaultValue = "1", description = "QoS 0, 1 or 2 (default ${DEFAULT-VALUE}).")
    int qos;

    @Option(names = {"--payload", "--size"}, paramLabel = "BYTES", defaultValue = "64",
            description = "Payload size, at least " + BenchStats.HEADER_BYTES + " (default ${DEFAULT-VALUE}).")
    int payload;

    @Option(names = "--rate", paramLabel = "MSG/S", defaultValue = "0",
            description = "Messages per second per publisher; 0 = as fast as possible (default).")
    int rate;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "How long to publish (default 10).")
    Double duration;

    @Option(names = "--count", paramLabel = "N", description = "Messages per publisher, instead of --duration.")
    Long count;

    @Option(names = {"-t", "--topic"}, paramLabel = "PREFIX", description = "Topic prefix (default mote/bench/<random>).")
    String prefix;

    @Option(names = "--max-ahead", paramLabel = "N",
            description = "How many messages a publisher may run ahead of the slowest subscriber; 0 = no limit "
                    + "(default 500 / publishers).")
    Integer maxAhead;

    @Option(names = "--json", description = "Print the report as one JSON object.")
    boolean json;

    @Option(names = "--pw", paramLabel = "PASSWORD", description = "Password (needs -u).")
    String password;

    @Mixin
    BrokerOptions broker;

    @Option(names = "--help", usageHelp = true, description = "Show this help and exit.")
    boolean help;

    BenchCommand(Io io) {
        super(io, "bench");
    }

    @Override
    BrokerOptions broker() {
        return broker;
    }

    @Override
    public Integer call() {
        BrokerOptions.Endpoint endpoint = broker.endpoint();
        if (endpoint.topic() != null) {
            throw CliException.usage("bench takes the topic prefix from -t, not from the -L URL");
        }
        Qos q = Commands.qos(qos, "-q");
        check(publishers >= 1 && publishers <= 1000, "-P/--publishers must be from 1 to 1000, not " + publishers);
        check(subscribers >= 0 && subscribers <= 1000, "-S/--subscribers must be from 0 to 1000, not " + subscribers);
        check(payload >= BenchStats.HEADER_BYTES && payload <= 16 * 1024 * 1024, "--payload must be from "
                + BenchStats.HEADER_BYTES + " (publisher, sequence number, send time) to 16777216 bytes, not " + payload);
        check(rate >= 0 && rate <= 1_000_000, "--rate must be from 0 (as fast as possible) to 1000000, not " + rate);
        check(duration == null || count == null, "give --duration or --count, not both");
        check(duration == null || (duration > 0 && duration <= 86_400), "--duration must be more than 0 and at most 86400 seconds");
        check(count == null || (count >= 1 && count < Integer.MAX_VALUE), "--count must be from 1 to 2147483646");
        check(maxAhead == null || maxAhead >= 0, "--max-ahead must be 0 (no limit) or more");
        String topicPrefix = prefix != null ? prefix : "mote/bench/" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
        Topics.checkName(topicPrefix, "-t");
        int ahead = maxAhead != null ? maxAhead : Math.max(1, 500 / publishers);
        long nanos = Math.round((duration == null ? 10 : duration) * 1e9);
        long perPublisher = count == null ? 0 : count;
        MqttOptions.Builder template = broker.builder(endpoint, password); // checks the options before connecting
        template.build();

        BenchStats stats = new BenchStats(publishers, subscribers, q, topicPrefix);
        String run = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
        List<MqttClient> subClients = new ArrayList<>();
        List<MqttClient> pubClients = new ArrayList<>();
        try {
            for (BenchStats.Sub s : stats.subs) {
                MqttOptions o = options(endpoint, "mote-bench-" + run + "-sub-" + s.index);
                MqttClient c = interruptibly(() -> MqttClient.connect(o));
                subClients.add(c);
                Subscription sub = interruptibly(() -> c.subscribe(topicPrefix + "/#", q, s));
                if (sub.grantedQosOfFirst() != q) {
                    warn("the broker granted QoS " + sub.grantedQosOfFirst().value() + " instead of " + q.value());
                }
            }
            for (BenchStats.Pub p : stats.pubs) {
                MqttOptions o = options(endpoint, "mote-bench-" + run + "-pub-" + p.index);
                pubClients.add(interruptibly(() -> MqttClient.connect(o)));
            }
            if (!json) {
                io.out().println(banner(endpoint, q, topicPrefix, nanos, perPublisher, ahead));
                io.out().flush();
            }
            long start = System.nanoTime();
            long deadline = start + nanos;
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < publishers; i++) {
                MqttClient c = pubClients.get(i);
                BenchStats.Pub p = stats.pubs[i];
                threads.add(Thread.ofVirtual().name("mote-bench-pub-" + i)
                        .start(() -> publish(c, p, stats, perPublisher, deadline, ahead)));
            }
            Progress progress = io.terminal() ? new Progress(stats, start) : null;
            if (progress != null) {
                progress.start();
            }
            long publishedUntil;
            try {
                for (Thread t : threads) {
                    t.join();
                }
                publishedUntil = System.nanoTime();
                drain(stats);
            } finally {
                if (progress != null) {
                    progress.stop();
                }
            }
            long last = stats.lastArrival();
            double seconds = Math.max(0, (last == 0 ? publishedUntil : Math.max(last, publishedUntil)) - start) / 1e9;
            double publishSeconds = (publishedUntil - start) / 1e9;
            closeAll(pubClients);
            closeAll(subClients);
            Report report = Report.of(stats, endpoint.serverUri(), payload, rate, seconds, publishSeconds);
            if (json) {
                io.out().println(report.json());
            } else {
                report.print(io.out());
            }
            io.out().flush();
            return report.ok() ? ExitCodes.OK : ExitCodes.FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.FAILURE, "interrupted");
        } finally {
            closeAll(pubClients);
            closeAll(subClients);
        }
    }

    private MqttOptions options(BrokerOptions.Endpoint endpoint, String clientId) {
        return broker.builder(endpoint, password)
                .clientId(clientId)
                .reconnect(ReconnectPolicy.disabled())
                .connectionListener(events())
                .build();
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw CliException.usage(message);
        }
    }

    private String banner(BrokerOptions.Endpoint endpoint, Qos q, String topicPrefix, long nanos, long perPublisher, int ahead) {
        String what = perPublisher > 0
                ? String.format(Locale.ROOT, "%,d messages each", perPublisher)
                : String.format(Locale.ROOT, "for %.1f s", nanos / 1e9);
        String howFast = rate > 0 ? String.format(Locale.ROOT, "at %,d msg/s each", rate) : "as fast as possible";
        return String.format(Locale.ROOT, "mote bench: %d publisher%s -> %s -> %d subscriber%s, QoS %d, %,d-byte payloads, %s, %s%n"
                        + "topics %s/<publisher>, each publisher at most %s ahead of the slowest subscriber",
                publishers, publishers == 1 ? "" : "s", endpoint.serverUri(), subscribers, subscribers == 1 ? "" : "s",
                q.value(), payload, what, howFast, topicPrefix, ahead == 0 ? "any number of messages" : ahead + " messages");
    }

    private record Pending(long seq, Delivery delivery) {
    }

    /** One publisher's loop, on its own virtual thread. */
    private void publish(MqttClient client, BenchStats.Pub p, BenchStats stats, long count, long deadline, int ahead) {
        Qos q = stats.qos;
        int window = client.options().inFlightWindow();
        ArrayDeque<Pending> pending = new ArrayDeque<>();
        long period = rate == 0 ? 0 : 1_000_000_000L / rate;
        long base = System.nanoTime();
        try {
            for (long seq = 0; !stopped && (count > 0 ? seq < count : System.nanoTime() - deadline < 0); seq++) {
                if (seq == Integer.MAX_VALUE - 1) {
                    break; // sequence numbers are bits of a BitSet
                }
                if (period > 0) {
                    long now = System.nanoTime();
                    long due = base + seq * period;
                    if (now - due > 100_000_000L) {
                        base = now - seq * period; // fell behind (a slow broker): no burst to catch up
                    } else if (due - now > 0) {
                        LockSupport.parkNanos(due - now);
                    }
                }
                if (ahead > 0) {
                    awaitSubscribers(stats, p.index, seq - ahead);
                }
                Delivery d = client.publish(p.topic, BenchStats.payload(p.index, seq, payload), q, false, Wait.NONE);
                p.sent.incrementAndGet();
                if (q != Qos.AT_MOST_ONCE) {
                    pending.add(new Pending(seq, d));
                    while (!pending.isEmpty() && (pending.size() >= window || pending.peek().delivery().isDone())) {
                        if (!settle(p, pending.poll(), SETTLE_TIMEOUT_NANOS)) {
                            return;
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            p.failed("publisher " + p.index + ": " + ExitCodes.oneLine(e.getMessage()));
        } finally {
            long until = System.nanoTime() + SETTLE_TIMEOUT_NANOS;
            for (Pending x : pending) {
                settle(p, x, Math.max(1, until - System.nanoTime()));
            }
        }
    }

    /** Waits (at most 100 ms) until every subscriber has received message {@code seq} of publisher {@code index} or a later one. */
    private void awaitSubscribers(BenchStats stats, int index, long seq) {
        if (seq < 0) {
            return;
        }
        long until = System.nanoTime() + AHEAD_TIMEOUT_NANOS;
        for (BenchStats.Sub s : stats.subs) {
            while (s.highest.get(index) < seq && System.nanoTime() - until < 0 && !stopped) {
                LockSupport.parkNanos(50_000);
            }
        }
    }

    private static boolean settle(BenchStats.Pub p, Pending x, long timeoutNanos) {
        try {
            if (x.delivery().await(Duration.ofNanos(timeoutNanos))) {
                p.acknowledged(x.seq());
                return true;
            }
            p.failed("publisher " + p.index + ": no acknowledgement for message " + x.seq() + " within "
                    + timeoutNanos / 1_000_000 + " ms");
        } catch (MqttException e) {
            p.failed("publisher " + p.index + ": message " + x.seq() + " failed: " + ExitCodes.oneLine(e.getMessage()));
        }
        return false;
    }

    /** Waits until the subscribers have everything they should get and nothing arrived for 200 ms (at most 10 s). */
    private static void drain(BenchStats stats) throws InterruptedException {
        if (stats.subs.length == 0) {
            return;
        }
        long until = System.nanoTime() + DRAIN_TIMEOUT_NANOS;
        long quietSince = System.nanoTime();
        long lastSeen = stats.received();
        while (System.nanoTime() - until < 0) {
            long now = System.nanoTime();
            long received = stats.received();
            if (received != lastSeen) {
                lastSeen = received;
                quietSince = now;
            }
            long quiet = now - quietSince;
            if (stats.complete() ? quiet > 200_000_000L : stats.qos == Qos.AT_MOST_ONCE && quiet > 1_000_000_000L) {
                return;
            }
            Thread.sleep(20);
        }
    }

    private static void closeAll(List<MqttClient> clients) {
        for (MqttClient c : clients) {
            c.close();
        }
    }

    /** The live progress line on a terminal's stderr, rewritten five times a second. */
    private final class Progress {
        private final BenchStats stats;
        private final long start;
        private final Thread thread;
        private long lastNanos;
        private long lastReceived;
        private int lastLength;

        Progress(BenchStats stats, long start) {
            this.stats = stats;
            this.start = start;
            this.lastNanos = start;
            this.thread = Thread.ofPlatform().daemon().name("mote-bench-progress").unstarted(this::loop);
        }

        void start() {
            thread.start();
        }

        void stop() {
            thread.interrupt();
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            print();
            io.err().println();
            io.err().flush();
        }

        private void loop() {
            while (true) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
                print();
            }
        }

        private synchronized void print() {
            long now = System.nanoTime();
            long sent = stats.sent();
            long acked = stats.acknowledged();
            long received = stats.received();
            double rateNow = now > lastNanos ? (received - lastReceived) * 1e9 / (now - lastNanos) : 0;
            lastNanos = now;
            lastReceived = received;
            long inFlight = stats.qos == Qos.AT_MOST_ONCE ? Math.max(0, sent * stats.subs.length - received) : sent - acked;
            LatencyHistogram h = stats.latency();
            String line = String.format(Locale.ROOT, "%6.1f s  sent %,d  acked %,d  received %,d  in flight %,d  %,.0f msg/s  "
                            + "latency p50 %.2f ms  p99 %.2f ms",
                    (now - start) / 1e9, sent, acked, received, inFlight, rateNow,
                    h.percentile(0.5) / 1e6, h.percentile(0.99) / 1e6);
            io.err().print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
            io.err().flush();
            lastLength = line.length();
        }
    }

    /** The final numbers. */
    record Report(String broker, int publishers, int subscribers, Qos qos, int payloadBytes, int rate,
                  double seconds, double publishSeconds, long sent, long acknowledged, long received, long expected,
                  long lost, long duplicates, long unexpected, LatencyHistogram latency, List<String> errors) {

        static Report of(BenchStats stats, String broker, int payloadBytes, int rate, double seconds, double publishSeconds) {
            long lost = 0;
            long duplicates = 0;
            long unexpected = 0;
            for (BenchStats.Sub s : stats.subs) {
                for (BenchStats.Pub p : stats.pubs) {
                    lost += s.lost(p.index);
                }
                duplicates += s.duplicates();
                unexpected += s.unexpected();
            }
            List<String> errors = new ArrayList<>();
            for (BenchStats.Pub p : stats.pubs) {
                if (p.error() != null) {
                    errors.add(p.error());
                }
            }
            long sent = stats.sent();
            long acknowledged = stats.acknowledged();
            long expected = (stats.qos == Qos.AT_MOST_ONCE ? sent : acknowledged) * stats.subs.length;
            return new Report(broker, stats.pubs.length, stats.subs.length, stats.qos, payloadBytes, rate, seconds,
                    publishSeconds, sent, acknowledged, stats.received(), expected, lost, duplicates, unexpected,
                    stats.latency(), List.copyOf(errors));
        }

        /** No QoS 1/2 message lost, no QoS 2 message twice, no unexpected message, no failure. */
        boolean ok() {
            return errors.isEmpty() && unexpected == 0
                    && (qos == Qos.AT_MOST_ONCE || lost == 0)
                    && (qos != Qos.EXACTLY_ONCE || duplicates == 0);
        }

        double receivedPerSecond() {
            return seconds > 0 ? received / seconds : 0;
        }

        double sentPerSecond() {
            return publishSeconds > 0 ? sent / publishSeconds : 0;
        }

        void print(java.io.PrintStream out) {
            boolean qos0 = qos == Qos.AT_MOST_ONCE;
            out.println();
            out.printf(Locale.ROOT, "%14s %14s %14s %14s %10s %10s%n", "sent", "acknowledged", "received", "expected", "lost", "duplicates");
            out.printf(Locale.ROOT, "%,14d %14s %,14d %,14d %,10d %,10d%n", sent, qos0 ? "-" : String.format(Locale.ROOT, "%,d", acknowledged),
                    received, expected, lost, duplicates);
            out.println();
            out.printf(Locale.ROOT, "throughput  %,.0f msg/s sent (over %.1f s), %,.0f msg/s received (over %.1f s)%n",
                    sentPerSecond(), publishSeconds, receivedPerSecond(), seconds);
            out.printf(Locale.ROOT, "latency     p50 %.2f ms   p90 %.2f ms   p99 %.2f ms   max %.2f ms   (publish to arrival)%n",
                    millis(latency.percentile(0.50)), millis(latency.percentile(0.90)), millis(latency.percentile(0.99)),
                    millis(latency.max()));
            out.println("expected: " + (qos0 ? "sent" : "acknowledged") + " x subscribers; lost: " + (qos0
                    ? "sent but not received (allowed at QoS 0)" : "acknowledged by the broker but not received"));
            for (String e : errors) {
                out.println("error: " + e);
            }
            if (unexpected > 0) {
                out.println("error: " + unexpected + " messages arrived that no publisher of this run sent");
            }
            out.println();
            if (ok()) {
                out.println(qos0 ? "OK" + (lost > 0 ? String.format(Locale.ROOT, ": %,d QoS 0 messages dropped, as QoS 0 allows.", lost) : ".")
                        : "OK: every acknowledged message arrived at every subscriber" + (qos == Qos.EXACTLY_ONCE ? ", exactly once." : "."));
            } else {
                out.println("FAILED: " + problems());
            }
        }

        private String problems() {
            List<String> p = new ArrayList<>();
            if (qos != Qos.AT_MOST_ONCE && lost > 0) {
                p.add(String.format(Locale.ROOT, "%,d QoS %d messages lost", lost, qos.value()));
            }
            if (qos == Qos.EXACTLY_ONCE && duplicates > 0) {
                p.add(String.format(Locale.ROOT, "%,d QoS 2 messages duplicated", duplicates));
            }
            if (!errors.isEmpty()) {
                p.add(errors.size() + " publisher" + (errors.size() == 1 ? "" : "s") + " failed");
            }
            if (unexpected > 0) {
                p.add(unexpected + " unexpected messages");
            }
            return String.join(", ", p) + ".";
        }

        String json() {
            StringBuilder s = new StringBuilder(512);
            s.append('{');
            s.append("\"broker\":");
            OutputFormat.quote(s, broker);
            s.append(",\"publishers\":").append(publishers)
                    .append(",\"subscribers\":").append(subscribers)
                    .append(",\"qos\":").append(qos.value())
                    .append(",\"payloadBytes\":").append(payloadBytes)
                    .append(",\"rate\":").append(rate)
                    .append(",\"seconds\":").append(decimal(seconds, 3))
                    .append(",\"publishSeconds\":").append(decimal(publishSeconds, 3))
                    .append(",\"sent\":").append(sent)
                    .append(",\"acknowledged\":").append(qos == Qos.AT_MOST_ONCE ? "null" : Long.toString(acknowledged))
                    .append(",\"received\":").append(received)
                    .append(",\"expected\":").append(expected)
                    .append(",\"lost\":").append(lost)
                    .append(",\"duplicates\":").append(duplicates)
                    .append(",\"unexpected\":").append(unexpected)
                    .append(",\"sentPerSecond\":").append(decimal(sentPerSecond(), 1))
                    .append(",\"receivedPerSecond\":").append(decimal(receivedPerSecond(), 1))
                    .append(",\"latencyMs\":{")
                    .append("\"p50\":").append(decimal(millis(latency.percentile(0.50)), 3))
                    .append(",\"p90\":").append(decimal(millis(latency.percentile(0.90)), 3))
                    .append(",\"p99\":").append(decimal(millis(latency.percentile(0.99)), 3))
                    .append(",\"max\":").append(decimal(millis(latency.max()), 3))
                    .append("},\"errors\":[");
            for (int i = 0; i < errors.size(); i++) {
                if (i > 0) {
                    s.append(',');
                }
                OutputFormat.quote(s, errors.get(i));
            }
            s.append("],\"ok\":").append(ok()).append('}');
            return s.toString();
        }

        private static double millis(long nanos) {
            return nanos / 1e6;
        }

        private static String decimal(double v, int places) {
            return String.format(Locale.ROOT, "%." + places + "f", v);
        }
    }
}
