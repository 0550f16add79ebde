package dev.mote.cli;

import dev.mote.mqtt.Message;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * How {@code sub} prints a message: the payload (default), "topic payload" ({@code -v}) or a
 * {@code -F} format string, as mosquitto_sub does. The bytes are written as they are; a newline
 * follows each message unless {@code -N}.
 *
 * <p>{@code -F} supports {@code %%}, {@code %t} topic, {@code %p} payload, {@code %q} QoS,
 * {@code %r} retain flag (0/1), {@code %l} payload length, {@code %x}/{@code %X} payload in hex,
 * {@code %I} ISO-8601 time, {@code %U} Unix time with nanoseconds, {@code %j} JSON, optional
 * {@code -}/{@code 0} flags, a field width and a {@code .max} width; {@code @} followed by a
 * strftime letter (Y m d H M S N z s e j a A b B, and {@code @@}); the escapes {@code \\ \0 \a
 * \e \n \r \t \v}. The MQTT 5 parameters and {@code %m} (the packet id, which Mote does not expose)
 * are refused when the format is parsed.
 */
final class OutputFormat {
    private interface Part {
        void write(Message m, ZonedDateTime now, ByteArrayOutputStream out);
    }

    /** The parts of a -F format; null for the payload alone, {@link #VERBOSE} for -v. */
    private final List<Part> parts;
    private final boolean newline;
    private static final List<Part> VERBOSE = new ArrayList<>();

    private OutputFormat(List<Part> parts, boolean newline) {
        this.parts = parts;
        this.newline = newline;
    }

    /** The payload alone; an empty payload prints nothing at all (as mosquitto_sub). */
    static OutputFormat payloadOnly(boolean newline) {
        return new OutputFormat(null, newline);
    }

    /**
     * {@code -v}: topic, a space and the payload; "topic (null)" for an empty payload, or nothing
     * at all for one with {@code -N} (as mosquitto_sub).
     */
    static OutputFormat verbose(boolean newline) {
        return new OutputFormat(VERBOSE, newline);
    }

    /** Parses a {@code -F} format; a bad one is a usage error. */
    static OutputFormat parse(String format, boolean newline) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < format.length()) {
            char c = format.charAt(i);
            if (c == '\\' || c == '@' || c == '%') {
                if (i + 1 >= format.length()) {
                    throw CliException.usage("invalid -F format: it ends with a lone " + c);
                }
            }
            if (c == '\\') {
                char e = format.charAt(i + 1);
                literal.append(switch (e) {
                    case '\\' -> '\\';
                    case '0' -> '\0';
                    case 'a' -> '\007';
                    case 'e' -> '\033';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case 't' -> '\t';
                    case 'v' -> '\013';
                    default -> throw CliException.usage("invalid -F format: unknown escape \\" + e);
                });
                i += 2;
            } else if (c == '@') {
                char t = format.charAt(i + 1);
                if (t == '@') {
                    literal.append('@');
                } else {
                    flush(literal, parts);
                    parts.add(time(t));
                }
                i += 2;
            } else if (c == '%') {
                int j = i + 1;
                boolean left = false;
                boolean zero = false;
                while (j < format.length() && (format.charAt(j) == '-' || format.charAt(j) == '0')) {
                    left |= format.charAt(j) == '-';
                    zero |= format.charAt(j) == '0';
                    j++;
                }
                int width = 0;
                while (j < format.length() && Character.isDigit(format.charAt(j))) {
                    width = Math.min(10_000, width * 10 + (format.charAt(j) - '0'));
                    j++;
                }
                int max = -1;
                if (j < format.length() && format.charAt(j) == '.') {
                    j++;
                    max = 0;
                    while (j < format.length() && Character.isDigit(format.charAt(j))) {
                        max = Math.min(10_000, max * 10 + (format.charAt(j) - '0'));
                        j++;
                    }
                }
                if (j >= format.length()) {
                    throw CliException.usage("invalid -F format: '" + format.substring(i) + "' has no parameter letter");
                }
                char p = format.charAt(j);
                if (p == '%') {
                    literal.append('%');
                } else {
                    flush(literal, parts);
                    parts.add(padded(parameter(p), left, zero && !left && "lxX".indexOf(p) >= 0, width, max));
                }
                i = j + 1;
            } else {
                literal.append(c);
                i++;
            }
        }
        flush(literal, parts);
        return new OutputFormat(List.copyOf(parts), newline);
    }

    /** The bytes to print for {@code m}, received at {@code now}. */
    byte[] render(Message m, ZonedDateTime now) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(m.payload().length + 64);
        if (parts == VERBOSE) {
            if (m.payload().length == 0) {
                return newline ? utf8(m.topic() + " (null)\n") : new byte[0];
            }
            out.writeBytes(utf8(m.topic() + " "));
            out.writeBytes(m.payload());
        } else if (parts == null) {
            if (m.payload().length == 0) {
                return new byte[0];
            }
            out.writeBytes(m.payload());
        } else {
            for (Part p : parts) {
                p.write(m, now, out);
            }
        }
        if (newline) {
            out.write('\n');
        }
        return out.toByteArray();
    }

    private static void flush(StringBuilder literal, List<Part> parts) {
        if (!literal.isEmpty()) {
            byte[] bytes = literal.toString().getBytes(StandardCharsets.UTF_8);
            parts.add((m, now, out) -> out.writeBytes(bytes));
            literal.setLength(0);
        }
    }

    private interface Value {
        byte[] of(Message m, ZonedDateTime now);
    }

    private static Value parameter(char p) {
        return switch (p) {
            case 't' -> (m, now) -> utf8(m.topic());
            case 'p' -> (m, now) -> m.payload();
            case 'q' -> (m, now) -> utf8(Integer.toString(m.qos().value()));
            case 'r' -> (m, now) -> utf8(m.retained() ? "1" : "0");
            case 'l' -> (m, now) -> utf8(Integer.toString(m.payload().length));
            case 'x' -> (m, now) -> utf8(HexFormat.of().formatHex(m.payload()));
            case 'X' -> (m, now) -> utf8(HexFormat.of().withUpperCase().formatHex(m.payload()));
            case 'I' -> (m, now) -> utf8(now.format(ISO_SECONDS));
            case 'U' -> (m, now) -> utf8(String.format(Locale.ROOT, "%d.%09d", now.toEpochSecond(), now.getNano()));
            case 'j' -> OutputFormat::json;
            case 'm' -> throw CliException.usage("-F %m (the message id) is not available: Mote does not expose packet ids");
            case 'A', 'C', 'D', 'E', 'F', 'P', 'R', 'S' -> throw CliException.usage(
                    "-F %" + p + " is an MQTT 5 property; Mote speaks MQTT 3.1.1");
            case 'J' -> throw CliException.usage("-F %J is not supported; use %j (the payload as a JSON string)");
            default -> throw CliException.usage("invalid -F format: unknown parameter %" + p);
        };
    }

    private static final DateTimeFormatter ISO_SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxx", Locale.ROOT);
    private static final DateTimeFormatter ISO_MICROS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxx", Locale.ROOT);

    private static Part padded(Value value, boolean left, boolean zero, int width, int max) {
        return (m, now, out) -> {
            byte[] v = value.of(m, now);
            if (max >= 0 && v.length > max) {
                v = java.util.Arrays.copyOf(v, max);
            }
            int pad = width - v.length;
            if (pad > 0 && !left) {
                out.writeBytes(fill(pad, zero ? (byte) '0' : (byte) ' '));
            }
            out.writeBytes(v);
            if (pad > 0 && left) {
                out.writeBytes(fill(pad, (byte) ' '));
            }
        };
    }

    private static byte[] fill(int n, byte b) {
        byte[] a = new byte[n];
        java.util.Arrays.fill(a, b);
        return a;
    }

    /** {@code @X}: one strftime conversion. */
    private static Part time(char t) {
        DateTimeFormatter f = switch (t) {
            case 'Y' -> DateTimeFormatter.ofPattern("uuuu", Locale.ROOT);
            case 'm' -> DateTimeFormatter.ofPattern("MM", Locale.ROOT);
            case 'd' -> DateTimeFormatter.ofPattern("dd", Locale.ROOT);
            case 'e' -> DateTimeFormatter.ofPattern("ppd", Locale.ROOT);
            case 'H' -> DateTimeFormatter.ofPattern("HH", Locale.ROOT);
            case 'M' -> DateTimeFormatter.ofPattern("mm", Locale.ROOT);
            case 'S' -> DateTimeFormatter.ofPattern("ss", Locale.ROOT);
            case 'z' -> DateTimeFormatter.ofPattern("xx", Locale.ROOT);
            case 'j' -> DateTimeFormatter.ofPattern("DDD", Locale.ROOT);
            case 'a' -> DateTimeFormatter.ofPattern("EEE", Locale.ROOT);
            case 'A' -> DateTimeFormatter.ofPattern("EEEE", Locale.ROOT);
            case 'b' -> DateTimeFormatter.ofPattern("MMM", Locale.ROOT);
            case 'B' -> DateTimeFormatter.ofPattern("MMMM", Locale.ROOT);
            case 'N', 's' -> null;
            default -> throw CliException.usage("invalid -F format: @" + t + " is not supported (try @Y @m @d @H @M @S @N @z @s)");
        };
        if (t == 'N') {
            return (m, now, out) -> out.writeBytes(utf8(String.format(Locale.ROOT, "%09d", now.getNano())));
        }
        if (t == 's') {
            return (m, now, out) -> out.writeBytes(utf8(Long.toString(now.toEpochSecond())));
        }
        return (m, now, out) -> out.writeBytes(utf8(now.format(f)));
    }

    /** {@code %j}: {"tst":..., "topic":..., "qos":..., "retain":..., "payloadlen":..., "payload":...}. */
    private static byte[] json(Message m, ZonedDateTime now) {
        StringBuilder s = new StringBuilder(64 + m.payload().length);
        s.append("{\"tst\":\"").append(now.format(ISO_MICROS)).append("\",\"topic\":");
        quote(s, m.topic());
        s.append(",\"qos\":").append(m.qos().value())
                .append(",\"retain\":").append(m.retained() ? 1 : 0)
                .append(",\"payloadlen\":").append(m.payload().length)
                .append(",\"payload\":");
        if (m.payload().length == 0) {
            s.append("null");
        } else {
            quote(s, new String(m.payload(), StandardCharsets.UTF_8));
        }
        return utf8(s.append('}').toString());
    }

    /** Appends {@code v} as a JSON string. */
    static void quote(StringBuilder s, String v) {
        s.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        s.append('"');
    }

    /** The current time in the local zone, for %I, %U, %j and @ conversions. */
    static ZonedDateTime now() {
        return ZonedDateTime.ofInstant(Instant.now(), ZoneId.systemDefault());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
