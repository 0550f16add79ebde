package dev.mote.demo;

import dev.mote.mqtt.Qos;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The outcome of a run: one row per QoS and a total, plus any device failures, printed as a table.
 *
 * @param rows     QoS 0, 1, 2 (those that had devices), then the total
 * @param errors   the first failure of each device that had one
 * @param seconds  from the first publish to the last arrival
 */
public record Summary(List<Row> rows, List<String> errors, long unexpected, double seconds) {

    /**
     * One line of the table.
     *
     * @param qos          the QoS, or null for the total
     * @param acknowledged acknowledged publishes (QoS 0 has none)
     * @param received     arrivals, duplicates included
     * @param lost         QoS 1/2: acknowledged but never received; QoS 0: sent but never received
     */
    public record Row(Qos qos, int devices, long sent, long acknowledged, long received, long lost,
                      long duplicates, LatencyHistogram latency) {
    }

    /** Adds up the devices' results per QoS; {@code seconds} is the time the rates are over. */
    public static Summary of(List<DeviceStats> devices, long unexpected, double seconds) {
        List<Row> rows = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Qos qos : Qos.values()) {
            List<DeviceStats> some = devices.stream().filter(d -> d.qos() == qos).toList();
            if (!some.isEmpty()) {
                rows.add(row(qos, some));
            }
        }
        rows.add(row(null, devices));
        for (DeviceStats d : devices) {
            if (d.error() != null) {
                errors.add(d.error());
            }
        }
        return new Summary(List.copyOf(rows), List.copyOf(errors), unexpected, seconds);
    }

    private static Row row(Qos qos, List<DeviceStats> devices) {
        long sent = 0, acknowledged = 0, received = 0, lost = 0, duplicates = 0;
        LatencyHistogram latency = new LatencyHistogram();
        for (DeviceStats d : devices) {
            sent += d.sentCount();
            acknowledged += d.acknowledgedCount();
            received += d.receivedCount();
            lost += d.lost();
            duplicates += d.duplicates();
            latency.add(d.latency());
        }
        return new Row(qos, devices.size(), sent, acknowledged, received, lost, duplicates, latency);
    }

    /** The row of one QoS, or null if no device used it. */
    public Row row(Qos qos) {
        return rows.stream().filter(r -> r.qos() == qos).findFirst().orElse(null);
    }

    /** The last row: all devices together. */
    public Row total() {
        return rows.get(rows.size() - 1);
    }

    /**
     * True if no QoS 1 or 2 message was lost, no QoS 2 message arrived twice, and no device
     * failed. QoS 0 losses are allowed: at most once means exactly that.
     */
    public boolean ok() {
        for (Row r : rows) {
            if (r.qos() == Qos.AT_LEAST_ONCE || r.qos() == Qos.EXACTLY_ONCE) {
                if (r.lost() > 0) {
                    return false;
                }
            }
            if (r.qos() == Qos.EXACTLY_ONCE && r.duplicates() > 0) {
                return false;
            }
        }
        return errors.isEmpty() && unexpected == 0;
    }

    /** Prints the table and a verdict. */
    public void print(PrintStream out) {
        String format = "%-6s %7s %11s %11s %11s %9s %6s %9s %8s %8s %8s %8s%n";
        out.printf(Locale.ROOT, format, "", "devices", "sent", "acked", "received", "lost", "dups", "msg/s",
                "p50 ms", "p90 ms", "p99 ms", "max ms");
        for (Row r : rows) {
            boolean qos0 = r.qos() == Qos.AT_MOST_ONCE;
            out.printf(Locale.ROOT, format,
                    r.qos() == null ? "total" : "QoS " + r.qos().value(),
                    r.devices(),
                    count(r.sent()),
                    qos0 ? "-" : count(r.acknowledged()),
                    count(r.received()),
                    count(r.lost()),
                    count(r.duplicates()),
                    count(seconds > 0 ? Math.round(r.received() / seconds) : 0),
                    millis(r.latency().percentile(0.50)),
                    millis(r.latency().percentile(0.90)),
                    millis(r.latency().percentile(0.99)),
                    millis(r.latency().max()));
        }
        out.printf(Locale.ROOT, "%nmsg/s: messages received per second over %.1f s, from the first publish to the last arrival.%n", seconds);
        out.println("Latency: from publish to arrival at the consumer. Lost: QoS 1/2 acknowledged by the broker but");
        out.println("never received; QoS 0 sent but never received (allowed: at most once).");
        for (String e : errors) {
            out.println("error: " + e);
        }
        if (unexpected > 0) {
            out.println("error: " + unexpected + " messages arrived that no device sent");
        }
        Row qos0 = row(Qos.AT_MOST_ONCE);
        out.println();
        if (ok()) {
            out.println("OK: no QoS 1/2 message lost, no QoS 2 message duplicated"
                    + (qos0 != null && qos0.lost() > 0 ? "; " + count(qos0.lost()) + " QoS 0 messages dropped, as QoS 0 allows." : "."));
        } else {
            out.println("FAILED: " + problems());
        }
    }

    private String problems() {
        List<String> p = new ArrayList<>();
        for (Row r : rows) {
            if (r.qos() != null && r.qos() != Qos.AT_MOST_ONCE && r.lost() > 0) {
                p.add(count(r.lost()) + " QoS " + r.qos().value() + " messages lost");
            }
            if (r.qos() == Qos.EXACTLY_ONCE && r.duplicates() > 0) {
                p.add(count(r.duplicates()) + " QoS 2 messages duplicated");
            }
        }
        if (!errors.isEmpty()) {
            p.add(errors.size() + " device" + (errors.size() == 1 ? "" : "s") + " failed");
        }
        if (unexpected > 0) {
            p.add(unexpected + " unexpected messages");
        }
        return String.join(", ", p) + ".";
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }
}
