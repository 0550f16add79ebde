package dev.mote.mqtt.internal.config;

import dev.mote.mqtt.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One key's value as given, with where it was given, and the conversions to the types the
 * options want. Every failure is a {@link ConfigException} naming the key and the place; the
 * value itself appears in a message only for keys that are not secret and hold no URL.
 *
 * @param key     the key of the table this value is for
 * @param variant the name it was given under: the key's name, or a {@code File}/{@code Env} variant
 * @param text    the value as text (null when given as a JSON array)
 * @param list    the value as a list (a JSON array, or the comma-separated text)
 * @param where   where it was given, for messages
 * @param baseDir the directory relative paths are resolved against
 * @param env     the environment that {@code ...Env} variants read
 */
public record ConfigValue(ConfigKeys.Key key, String variant, String text, List<String> list, String where,
                          Path baseDir, Map<String, String> env) {

    public ConfigException error(String problem) {
        return new ConfigException(variant, where, problem);
    }

    private String shown() {
        return key.quotable() ? " \"" + (text.length() > 80 ? text.substring(0, 77) + "..." : text) + "\"" : "";
    }

    public String text() {
        if (text == null) {
            throw error("expected a single value, not a list");
        }
        return text;
    }

    public List<String> list() {
        return list;
    }

    public boolean bool() {
        return switch (text().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw error("expected true or false, not" + shown());
        };
    }

    public int integer() {
        try {
            return Integer.parseInt(text().strip());
        } catch (NumberFormatException e) {
            throw error("expected a whole number, not" + shown());
        }
    }

    public long longValue() {
        try {
            return Long.parseLong(text().strip());
        } catch (NumberFormatException e) {
            throw error("expected a whole number, not" + shown());
        }
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h)?");

    /** Whole seconds ({@code 30}), a number with a unit ({@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}) or ISO-8601 ({@code PT30S}). */
    public Duration duration() {
        String t = text().strip();
        Matcher m = DURATION.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
            };
        }
        if (t.toUpperCase(Locale.ROOT).startsWith("P")) {
            try {
                return Duration.parse(t);
            } catch (DateTimeParseException e) {
                // falls through to the message below
            }
        }
        throw error("expected a duration such as 30 (seconds), 500ms, 30s, 2m, 1h or PT30S, not" + shown());
    }

    public <E extends Enum<E>> E enumValue(Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(text().strip())) {
                return e;
            }
        }
        StringBuilder names = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            names.append(names.isEmpty() ? "" : ", ").append(e.name());
        }
        throw error("expected one of " + names + ", not" + shown());
    }

    /** A path, relative ones resolved against the configuration file's directory. */
    public Path path() {
        String t = text().strip();
        if (t.isEmpty()) {
            throw error("expected a file path, not an empty value");
        }
        try {
            Path p = Path.of(t);
            return baseDir != null && !p.isAbsolute() ? baseDir.resolve(p) : p;
        } catch (java.nio.file.InvalidPathException e) {
            throw error("not a valid file path");
        }
    }

    /**
     * The text of a secret: inline, from the file a {@code ...File} variant names (one trailing
     * line break removed), or from the environment variable an {@code ...Env} variant names.
     */
    public String secret() {
        if (variant.endsWith("File")) {
            Path file = path();
            String content = readFile(file);
            if (content.endsWith("\r\n")) {
                content = content.substring(0, content.length() - 2);
            } else if (content.endsWith("\n")) {
                content = content.substring(0, content.length() - 1);
            }
            return content;
        }
        if (variant.endsWith("Env")) {
            return fromEnv();
        }
        return text();
    }

    /** A PEM source: the file the key names, or the text of the environment variable its {@code ...Env} variant names. */
    public Pem pem() {
        if (variant.endsWith("Env")) {
            String name = text().strip();
            return new Pem(null, fromEnv(), "environment variable " + name);
        }
        Path p = path();
        if (!Files.isReadable(p)) {
            throw error(Files.exists(p) ? "cannot read " + p + ": permission denied" : "cannot read " + p + ": no such file");
        }
        return new Pem(p, null, p.toString());
    }

    /** A PEM file's path, or PEM text with a name for messages. */
    public record Pem(Path file, String text, String source) {}

    private String fromEnv() {
        String name = text().strip();
        String v = env.get(name);
        if (v == null) {
            throw error("the environment variable " + name + " is not set");
        }
        return v;
    }

    private String readFile(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw error("cannot read " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw error("cannot read " + file + ": permission denied");
        } catch (java.nio.charset.MalformedInputException e) {
            throw error(file + " is not UTF-8 text");
        } catch (IOException e) {
            throw error("cannot read " + file + (Files.isDirectory(file) ? ": it is a directory" : ""));
        }
    }
}
