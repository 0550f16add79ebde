package dev.mote.mqtt.internal.util;

/** Makes strings that came from the network safe to put in a message or a log line. */
public final class Printable {
    private static final int MAX_SHOWN = 200;

    private Printable() {}

    /**
     * The string in double quotes, with control characters, quotes, backslashes and lone
     * surrogates escaped (so a hostile topic cannot forge a log line), cut at 200 characters.
     */
    public static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_SHOWN) + 2).append('"');
        int n = Math.min(s.length(), MAX_SHOWN);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029
                    || (Character.isSurrogate(c) && !isPaired(s, i))) {
                b.append(String.format("\\u%04X", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > MAX_SHOWN) {
            b.append("...(").append(s.length()).append(" chars)");
        }
        return b.append('"').toString();
    }

    private static boolean isPaired(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
