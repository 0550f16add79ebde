package dev.mote.cli;

import java.nio.charset.StandardCharsets;

/** Topic name and filter checks (MQTT 3.1.1 section 4.7), made before connecting, and filter matching for -T. */
final class Topics {
    private Topics() {
    }

    /** Checks a topic name to publish to; a bad one is a usage error naming {@code what}. */
    static void checkName(String topic, String what) {
        checkString(topic, what);
        if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0) {
            throw CliException.usage("invalid topic '" + topic + "' for " + what + ": a topic to publish to cannot contain + or #");
        }
    }

    /** Checks a topic filter; a bad one is a usage error naming {@code what}. */
    static void checkFilter(String filter, String what) {
        checkString(filter, what);
        String[] levels = filter.split("/", -1);
        for (int i = 0; i < levels.length; i++) {
            String level = levels[i];
            if (level.indexOf('#') >= 0 && (!level.equals("#") || i != levels.length - 1)) {
                throw CliException.usage("invalid topic filter '" + filter + "' for " + what + ": # must be the whole last level");
            }
            if (level.indexOf('+') >= 0 && !level.equals("+")) {
                throw CliException.usage("invalid topic filter '" + filter + "' for " + what + ": + must be a whole level");
            }
        }
    }

    private static void checkString(String s, String what) {
        if (s.isEmpty()) {
            throw CliException.usage(what + " needs a topic, not an empty string");
        }
        if (s.indexOf('\0') >= 0) {
            throw CliException.usage("invalid topic for " + what + ": it contains a NUL character");
        }
        if (s.getBytes(StandardCharsets.UTF_8).length > 65_535) {
            throw CliException.usage("topic for " + what + " is longer than 65535 bytes");
        }
    }

    /**
     * Whether {@code topic} matches {@code filter}: {@code +} is one level, {@code #} the rest
     * (including the parent level), and wildcards at the start do not match {@code $} topics.
     */
    static boolean matches(String filter, String topic) {
        if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) {
            return false;
        }
        String[] f = filter.split("/", -1);
        String[] t = topic.split("/", -1);
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals("#")) {
                return true;
            }
            if (i >= t.length) {
                return false;
            }
            if (!f[i].equals("+") && !f[i].equals(t[i])) {
                return false;
            }
        }
        return f.length == t.length;
    }
}
