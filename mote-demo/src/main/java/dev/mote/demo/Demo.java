package dev.mote.demo;

import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.SubscriptionRefusedException;
import java.io.Console;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./mote demo}: simulated devices publish at QoS 0, 1 and 2 through an embedded Moquette
 * broker to one consumer, with a progress line while it runs and a summary at the end. Exit
 * status: 0 if no QoS 1/2 message was lost and no QoS 2 message duplicated, 1 otherwise, 2 for
 * bad arguments.
 */
public final class Demo {
    /** The consumer's subscription: every device's telemetry. */
    public static final String FILTER = "demo/devices/#";

    private static final long DRAIN_TIMEOUT_NANOS = 10_000_000_000L;

    private Demo() {
    }

    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err, isTerminal()));
    }

    /**
     * What {@code ./mote demo} does, on the given streams: parses the options, runs the demo and
     * prints the summary (or the usage, for {@code --help}).
     *
     * @param terminal whether {@code out} is a terminal (progress rewritten in place)
     * @return the exit status: 0 if nothing was lost, 1 if something was (or the demo failed),
     *         2 for bad arguments
     */
    public static int execute(String[] args, PrintStream out, PrintStream err, boolean terminal) {
        Config config;
        try {
            config = Config.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("mote demo: " + e.getMessage());
            return 2;
        }
        if (config == null) {
            out.print(Config.usage());
            out.flush();
            return 0;
        }
        Summary summary;
        try {
            summary = run(config, out, terminal);
        } catch (RuntimeException e) {
            out.flush();
            err.println("mote demo: " + e);
            return 1;
        }
        out.println();
        summary.print(out);
        out.flush();
        return summary.ok() ? 0 : 1;
    }

    /**
     * Runs the demo: starts the broker, connects the consumer and the devices, lets the devices
     * publish, waits (bounded) for acknowledgements and for the consumer to drain, closes
     * everything and returns the results. Progress goes to {@code out}.
     */
    public static Summary run(Config config, PrintStream out, boolean terminal) {
        List<DeviceStats> stats = new ArrayList<>();
        for (int i = 0; i < config.devices(); i++) {
            stats.add(new DeviceStats(i, "device-" + (i + 1), config.qosOf(i)));
        }
        Consumer consumer = new Consumer(List.copyOf(stats));
        try (EmbeddedBroker broker = EmbeddedBroker.start(config.payloadBytes(), config.devices() * config.lead(Qos.AT_MOST_ONCE));
             Subscribed subscribed = subscribe(broker, consumer)) {
            out.println(banner(config, broker, subscribed.granted()));
            List<MqttClient> clients = new ArrayList<>();
            try {
                for (DeviceStats d : stats) {
                    clients.add(MqttClient.connect(options(broker, "demo-" + d.id())));
                }
                long start = System.nanoTime();
                long deadline = start + config.duration().toNanos();
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < stats.size(); i++) {
                    Device device = new Device(clients.get(i), stats.get(i), config.payloadBytes(),
                            config.count(), deadline, config.rate(), config.lead(stats.get(i).qos()));
                    threads.add(Thread.ofVirtual().name(stats.get(i).id()).start(device));
                }
                Progress progress = new Progress(out, terminal, stats, start);
                progress.start();
                try {
                    for (Thread t : threads) {
                        t.join();
                    }
                    closeAll(clients);
                    drain(consumer, stats);
                } finally {
                    progress.stop();
                }
                double seconds = Math.max(0, consumer.lastArrival() - start) / 1e9;
                return Summary.of(stats, consumer.unexpected(), seconds);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } finally {
                closeAll(clients);
            }
        }
    }

    /**
     * Connects the consumer and subscribes it to {@link #FILTER} at QoS 2, trying up to three
     * times: Moquette 0.17 sometimes drops a connection whose SUBSCRIBE follows its CONNACK too
     * closely ("SUBSCRIBE received on already closed connection").
     */
    private static Subscribed subscribe(EmbeddedBroker broker, Consumer consumer) {
        for (int attempt = 1; ; attempt++) {
            MqttClient client = MqttClient.connect(options(broker, "demo-consumer"));
            try {
                Subscription s = client.subscribe(FILTER, Qos.EXACTLY_ONCE, consumer);
                return new Subscribed(client, s.grantedQosOfFirst());
            } catch (SubscriptionRefusedException e) {
                client.close();
                throw e;
            } catch (MqttException | IllegalStateException e) {
                // IllegalStateException: mote-mqtt may fail with "Can't overwrite cause" when
                // rethrowing a ConnectionLostException that has no cause.
                client.close();
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private record Subscribed(MqttClient client, Qos granted) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
        }
    }

    private static MqttOptions options(EmbeddedBroker broker, String clientId) {
        return MqttOptions.builder(broker.url()).clientId(clientId).build();
    }

    private static String banner(Config config, EmbeddedBroker broker, Qos granted) {
        int[] perQos = new int[3];
        for (int i = 0; i < config.devices(); i++) {
            perQos[config.qosOf(i).value()]++;
        }
        List<String> mix = new ArrayList<>();
        for (int q = 0; q < 3; q++) {
            if (perQos[q] > 0) {
                mix.add(perQos[q] + " at QoS " + q);
            }
        }
        String what = config.count() > 0
                ? String.format(Locale.ROOT, "%,d messages of %,d bytes each", config.count(), config.payloadBytes())
                : String.format(Locale.ROOT, "%,d-byte messages for %s", config.payloadBytes(), seconds(config.duration().toNanos()));
        String howFast = config.rate() > 0
                ? String.format(Locale.ROOT, "at %,d msg/s per device", config.rate())
                : "as fast as the broker delivers them";
        return "Embedded Moquette broker at " + broker.url() + "\n"
                + "Consumer subscribed to " + FILTER + " at QoS 2"
                + (granted == Qos.EXACTLY_ONCE ? "" : " (the broker granted only QoS " + granted.value() + ")") + "\n"
                + config.devices() + " device" + (config.devices() == 1 ? "" : "s") + " (" + String.join(", ", mix) + ") publish "
                + what + ",\n" + howFast + ", each at most " + leads(config) + " ahead of the consumer\n";
    }

    private static String leads(Config config) {
        int qos0 = config.lead(Qos.AT_MOST_ONCE);
        int qos12 = config.lead(Qos.AT_LEAST_ONCE);
        return qos0 == qos12 ? qos0 + (qos0 == 1 ? " message" : " messages")
                : qos0 + " (QoS 0) or " + qos12 + " (QoS 1/2) messages";
    }

    private static String seconds(long nanos) {
        double s = nanos / 1e9;
        return s == Math.rint(s) ? String.format(Locale.ROOT, "%.0f s", s) : String.format(Locale.ROOT, "%.1f s", s);
    }

    /**
     * Waits until every acknowledged QoS 1/2 message has arrived and nothing has arrived for a
     * moment (QoS 0 stragglers), at most 10 s.
     */
    private static void drain(Consumer consumer, List<DeviceStats> stats) throws InterruptedException {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT_NANOS;
        while (System.nanoTime() - deadline < 0) {
            boolean complete = stats.stream()
                    .filter(d -> d.qos() != Qos.AT_MOST_ONCE)
                    .allMatch(d -> d.receivedUnique() >= d.acknowledgedCount());
            if (complete && System.nanoTime() - consumer.lastArrival() > 200_000_000L) {
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

    /** A terminal gets a progress line rewritten in place; a pipe or file gets plain lines. */
    public static boolean isTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            // JDK 22+ may return a console even when output is redirected; it then says so here.
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a console means a terminal
        }
    }
}
