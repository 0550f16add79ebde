package dev.mote.it;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of the live threads of this JVM, virtual ones included. {@link Thread#getAllStackTraces()}
 * lists platform threads only, and Mote runs on virtual threads; the JDK's JSON thread dump lists
 * both.
 */
final class Threads {
    private static final Pattern NAME = Pattern.compile("\"name\": \"((?:[^\"\\\\]|\\\\.)*)\"");

    private Threads() {
    }

    static List<String> liveNames() {
        try {
            Path dir = Files.createTempDirectory("mote-it-threads");
            Path file = dir.resolve("threads.json");
            try {
                ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                        .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
                List<String> names = new ArrayList<>();
                Matcher m = NAME.matcher(Files.readString(file));
                while (m.find()) {
                    names.add(unescape(m.group(1)));
                }
                return names;
            } finally {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot dump threads", e);
        }
    }

    /** Live threads whose name contains {@code part}. */
    static List<String> named(String part) {
        return liveNames().stream().filter(n -> n.contains(part)).toList();
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                switch (n) {
                    case 'u' -> {
                        b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                        i += 4;
                    }
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    default -> b.append(n);
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
