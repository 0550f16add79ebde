package dev.mote.mqtt.internal.config;

import dev.mote.mqtt.ConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code key = value} lines (or {@code key: value}) with their line numbers, which
 * {@link java.util.Properties} does not keep. Blank lines and lines starting with {@code #} or
 * {@code !} are skipped; the key ends at the first {@code =} or {@code :}; key and value are
 * stripped of surrounding white space. No escapes and no continuation lines: values are taken
 * as written, in UTF-8.
 */
final class PropertiesReader {
    private PropertiesReader() {}

    record Line(String key, String value, int line) {}

    static List<Line> read(String text, String source) {
        List<Line> out = new ArrayList<>();
        String[] lines = text.split("\r\n|\r|\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith("!")) {
                continue;
            }
            int eq = l.indexOf('=');
            int colon = l.indexOf(':');
            int sep = eq < 0 ? colon : colon < 0 ? eq : Math.min(eq, colon);
            if (sep < 0) {
                // The line is not quoted: it may be a secret pasted without its key.
                throw new ConfigException(null, source + ", line " + (i + 1), "expected key = value");
            }
            String key = l.substring(0, sep).strip();
            if (key.isEmpty()) {
                throw new ConfigException(null, source + ", line " + (i + 1), "a line with a value but no key");
            }
            out.add(new Line(key, l.substring(sep + 1).strip(), i + 1));
        }
        return out;
    }
}
