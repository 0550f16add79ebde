package dev.mote.demo;

import dev.mote.mqtt.Qos;
import java.time.Duration;

/**
 * The demo's settings, parsed by hand from the command line.
 *
 * @param devices      how many simulated devices; device {@code i} publishes at QoS {@code i % 3}
 * @param duration     how long the devices publish (ignored when {@code count} is set)
 * @param count        messages per device, or 0 to publish for {@code duration}
 * @param payloadBytes payload size; at least {@link Device#HEADER_BYTES}
 * @param rate         messages per second per device, or 0 for as fast as the broker delivers them
 */
public record Config(int devices, Duration duration, long count, int payloadBytes, int rate) {

    /** The largest payload the demo accepts (the embedded broker's packet limit is raised to fit it). */
    public static final int MAX_PAYLOAD = 1 << 20;

    /** Six devices (two per QoS), 10 s, 64-byte payloads, as fast as possible. */
    public static final Config DEFAULTS = new Config(6, Duration.ofSeconds(10), 0, 64, 0);

    public Config {
        check(devices >= 1 && devices <= 1000, "--devices must be from 1 to 1000, not " + devices);
        check(!duration.isNegative() && !duration.isZero() && duration.compareTo(Duration.ofHours(1)) <= 0,
                "--duration must be more than 0 and at most 3600 seconds");
        check(count >= 0, "--count must be at least 1, not " + count);
        check(payloadBytes >= Device.HEADER_BYTES && payloadBytes <= MAX_PAYLOAD, "--payload must be from "
                + Device.HEADER_BYTES + " (device, sequence number, send time) to " + MAX_PAYLOAD + " bytes, not " + payloadBytes);
        check(rate >= 0 && rate <= 1_000_000, "--rate must be from 0 (as fast as possible) to 1000000, not " + rate);
    }

    /**
     * How many messages a device at {@code qos} may run ahead of what the consumer has received.
     * QoS 0: 50, or fewer so that all devices together stay within 48 KiB of payload (Moquette
     * drops packets for a subscriber whose connection has 64 KiB waiting). QoS 1 and 2: at most 2,
     * since Moquette sends a subscriber no more than 10 unacknowledged QoS 1/2 messages at a time
     * and the rest would only wait in its queue. Always at least 1.
     */
    public int lead(Qos qos) {
        long all = (long) payloadBytes * devices;
        int lead = (int) Math.max(1, Math.min(50, 48 * 1024 / all));
        return qos == Qos.AT_MOST_ONCE ? lead : Math.min(2, lead);
    }

    /** The QoS device {@code index} publishes at: 0, 1, 2, 0, 1, 2, ... */
    public Qos qosOf(int index) {
        return Qos.of(index % 3);
    }

    /** The usage text printed by {@code --help}. */
    public static String usage() {
        return """
                usage: ./mote demo [options]

                Starts an embedded MQTT broker (Moquette) on a free loopback port, connects one consumer
                subscribed to demo/devices/# at QoS 2 and simulated devices that publish at QoS 0, 1 and 2
                (each its own client, on its own virtual thread), shows progress, and ends with a summary:
                sent, acknowledged, received, lost, duplicates, messages per second, latency percentiles.
                Exits 0 if no QoS 1/2 message was lost and no QoS 2 message arrived twice, 1 otherwise.

                options:
                  --devices N        simulated devices, QoS 0/1/2 in turn (default 6: two per QoS)
                  --duration SECONDS how long the devices publish (default 10)
                  --count N          messages per device instead of a duration
                  --payload BYTES    payload size, at least 20 (default 64)
                  --rate N           messages per second per device; 0 = as fast as the broker
                                     delivers them (default 0)
                  --help             this text

                Whatever the rate, a device never runs more than a few messages ahead of what the
                consumer has received (QoS 0: 50, QoS 1/2: 2; fewer when devices x payload exceeds
                48 KiB): Moquette accepts messages faster than it can deliver them and, once its queues
                or its connection to the consumer are full, drops work, leaving QoS 1/2 publishes
                unacknowledged, or delayed until it resends them 5 s later.
                """;
    }

    /**
     * Parses options like {@code --devices 6} or {@code --devices=6}.
     *
     * @return the settings, or null if {@code --help} was asked for
     * @throws IllegalArgumentException naming the bad argument
     */
    public static Config parse(String... args) {
        int devices = DEFAULTS.devices();
        Duration duration = DEFAULTS.duration();
        long count = DEFAULTS.count();
        int payload = DEFAULTS.payloadBytes();
        int rate = DEFAULTS.rate();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                return null;
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            switch (name) {
                case "--devices", "--duration", "--count", "--payload", "--rate" -> {
                    if (value == null) {
                        check(i + 1 < args.length, name + " needs a value");
                        value = args[++i];
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + arg + "' (try --help)");
            }
            switch (name) {
                case "--devices" -> devices = (int) number(name, value, Integer.MAX_VALUE);
                case "--duration" -> duration = seconds(name, value);
                case "--count" -> {
                    count = number(name, value, Integer.MAX_VALUE);
                    check(count >= 1, "--count must be at least 1, not " + count);
                }
                case "--payload" -> payload = (int) number(name, value, Integer.MAX_VALUE);
                case "--rate" -> rate = (int) number(name, value, Integer.MAX_VALUE);
                default -> throw new AssertionError(name);
            }
        }
        return new Config(devices, duration, count, payload, rate);
    }

    private static long number(String name, String value, long max) {
        try {
            long n = Long.parseLong(value.strip());
            check(n <= max, name + " is too large: " + value);
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a whole number, not '" + value + "'");
        }
    }

    private static Duration seconds(String name, String value) {
        double s;
        try {
            s = Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a number of seconds, not '" + value + "'");
        }
        check(s > 0 && s <= 3600, name + " must be more than 0 and at most 3600 seconds, not " + value);
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
