package dev.mote.mqtt.internal.topic;

import java.util.Objects;

/**
 * Validation and matching of MQTT 3.1.1 topic names and topic filters (section 4.7).
 *
 * <p>Topic names are what a PUBLISH (or a will) carries; topic filters are what SUBSCRIBE and
 * UNSUBSCRIBE carry and may contain the wildcards {@code +} and {@code #}. Filters of the form
 * {@code $share/{group}/{filter}} (shared subscriptions, a broker extension outside 3.1.1) are
 * accepted by {@link #validateFilter} and unwrapped by {@link #routingFilter}.
 */
public final class Topics {

    /** A UTF-8 encoded string in MQTT carries a two-byte length prefix (section 1.5.3). */
    private static final int MAX_UTF8_BYTES = 65_535;

    private static final String SHARE_PREFIX = "$share/";

    /** Quoted topics in messages are cut here so a huge hostile string cannot flood a log. */
    private static final int MAX_QUOTED_CHARS = 200;

    private Topics() {
    }

    /**
     * Checks a topic name for PUBLISH or a will message.
     *
     * @throws IllegalArgumentException if the name is null or empty, contains a wildcard or
     *     U+0000 or an unpaired surrogate, or is longer than 65,535 bytes in UTF-8; the message
     *     names the problem, the rule, and the (escaped) name
     * @return the name's length in UTF-8 bytes (without the 2-byte length prefix), counted on the
     *     way, so a caller sizing a packet need not walk the name again
     */
    public static int validateTopicName(String topic) {
        return scan(topic, false);
    }

    /**
     * Checks a topic filter for SUBSCRIBE or UNSUBSCRIBE: the string rules of
     * {@link #validateTopicName}, wildcards only as whole levels with {@code #} last, and for
     * {@code $share/{group}/{filter}} a non-empty group without {@code / + #} followed by a
     * non-empty filter.
     *
     * @throws IllegalArgumentException with a message naming the problem and the filter
     */
    public static void validateFilter(String filter) {
        scan(filter, true);
        if (!filter.startsWith(SHARE_PREFIX)) {
            return;
        }
        int groupEnd = filter.indexOf('/', SHARE_PREFIX.length());
        if (groupEnd < 0) {
            throw invalid(true, filter, "shared subscription needs a topic filter after the group name");
        }
        if (groupEnd == SHARE_PREFIX.length()) {
            throw invalid(true, filter, "shared subscription group name must not be empty");
        }
        for (int i = SHARE_PREFIX.length(); i < groupEnd; i++) {
            char c = filter.charAt(i);
            if (c == '+' || c == '#') {
                throw invalid(true, filter,
                        "shared subscription group name must not contain '" + c + "' (index " + i + ")");
            }
        }
        if (groupEnd == filter.length() - 1) {
            throw invalid(true, filter, "shared subscription needs a topic filter after the group name");
        }
        // The remainder starts on a level boundary, so the wildcard checks of scan() already
        // held for it exactly as they would for a standalone filter.
    }

    /**
     * The filter that incoming messages are routed by: for {@code $share/{group}/{filter}} that
     * is {@code {filter}}, because the broker delivers shared messages under their original topic;
     * any other filter is returned unchanged.
     *
     * @param filter a filter that passed {@link #validateFilter}
     * @throws IllegalArgumentException if a {@code $share/} filter has no {@code /} after the group
     */
    public static String routingFilter(String filter) {
        if (!filter.startsWith(SHARE_PREFIX)) {
            return filter;
        }
        int groupEnd = filter.indexOf('/', SHARE_PREFIX.length());
        if (groupEnd < 0) {
            throw invalid(true, filter, "shared subscription needs a topic filter after the group name");
        }
        return filter.substring(groupEnd + 1);
    }

    /**
     * Whether {@code filter} matches {@code topic} under section 4.7: levels compare
     * case-sensitively, {@code +} matches exactly one (possibly empty) level, {@code #} matches
     * the parent level and everything below, and a filter starting with a wildcard does not
     * match a topic starting with {@code $}. The filter is taken literally: unwrap shared
     * subscriptions with {@link #routingFilter} first. For many filters use {@link TopicTree}.
     *
     * <p>Arguments are expected to be valid; for invalid ones the result is unspecified.
     */
    public static boolean matches(String filter, String topic) {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(topic, "topic");
        if (!filter.isEmpty() && !topic.isEmpty() && topic.charAt(0) == '$') {
            char first = filter.charAt(0);
            if (first == '+' || first == '#') {
                return false; // [MQTT-4.7.2-1]
            }
        }
        int fLen = filter.length();
        int tLen = topic.length();
        int f = 0;
        int t = 0;
        boolean topicConsumed = false;
        while (true) {
            int fEnd = levelEnd(filter, f);
            boolean wildcardLevel = fEnd - f == 1;
            if (wildcardLevel && filter.charAt(f) == '#') {
                return true; // covers the parent level too, hence checked before topicConsumed
            }
            if (topicConsumed) {
                return false;
            }
            int tEnd = levelEnd(topic, t);
            boolean plus = wildcardLevel && filter.charAt(f) == '+';
            if (!plus && (fEnd - f != tEnd - t || !topic.regionMatches(t, filter, f, fEnd - f))) {
                return false;
            }
            if (fEnd == fLen) {
                return tEnd == tLen;
            }
            f = fEnd + 1;
            if (tEnd == tLen) {
                topicConsumed = true;
            } else {
                t = tEnd + 1;
            }
        }
    }

    /** Index of the '/' ending the level that starts at {@code from}, or the length. */
    static int levelEnd(String s, int from) {
        int slash = s.indexOf('/', from);
        return slash < 0 ? s.length() : slash;
    }

    /**
     * One pass over the chars: UTF-8 length, forbidden code points, and (for filters) the
     * wildcard placement. Short ASCII strings stay in the first branch throughout.
     */
    /** Checks {@code s} and returns its length in UTF-8 bytes. */
    private static int scan(String s, boolean filter) {
        String kind = filter ? "topic filter" : "topic name";
        if (s == null) {
            throw new IllegalArgumentException(kind + " must not be null [MQTT-4.7.3-1]");
        }
        int len = s.length();
        if (len == 0) {
            throw invalid(filter, s, "must be at least one character long [MQTT-4.7.3-1]");
        }
        if (len > MAX_UTF8_BYTES) {
            throw tooLong(filter, s);
        }
        int bytes = 0;
        int levelStart = 0;
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
                if (c == '/') {
                    levelStart = i + 1;
                } else if (c == '+') {
                    if (!filter) {
                        throw invalid(false, s,
                                "wildcard '+' (index " + i + ") is not allowed in a topic name [MQTT-4.7.1-1]");
                    }
                    if (i != levelStart || (i + 1 < len && s.charAt(i + 1) != '/')) {
                        throw invalid(true, s, "'+' (index " + i + ") must occupy an entire level [MQTT-4.7.1-3]");
                    }
                } else if (c == '#') {
                    if (!filter) {
                        throw invalid(false, s,
                                "wildcard '#' (index " + i + ") is not allowed in a topic name [MQTT-4.7.1-1]");
                    }
                    if (i != levelStart || i + 1 != len) {
                        throw invalid(true, s, "'#' (index " + i
                                + ") must be the last character and occupy an entire level [MQTT-4.7.1-2]");
                    }
                } else if (c == 0) {
                    throw invalid(filter, s, "contains U+0000 (index " + i + ") [MQTT-4.7.3-2]");
                }
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 4;
                    i++;
                } else {
                    throw invalid(filter, s, String.format(
                            "contains an unpaired surrogate U+%04X (index %d) [MQTT-1.5.3-1]", (int) c, i));
                }
            } else {
                bytes += 3;
            }
        }
        if (bytes > MAX_UTF8_BYTES) {
            throw tooLong(filter, s);
        }
        return bytes;
    }

    private static IllegalArgumentException tooLong(boolean filter, String s) {
        return invalid(filter, s, "longer than " + MAX_UTF8_BYTES + " bytes in UTF-8 [MQTT-4.7.3-3]");
    }

    private static IllegalArgumentException invalid(boolean filter, String s, String problem) {
        return new IllegalArgumentException(
                "Invalid " + (filter ? "topic filter " : "topic name ") + quote(s) + ": " + problem);
    }

    /**
     * {@code s} in double quotes with anything that could break a log line or hide text
     * (controls, line and paragraph separators, format chars such as bidi overrides, unpaired
     * surrogates, quote and backslash) escaped, and cut after {@link #MAX_QUOTED_CHARS} chars.
     */
    static String quote(String s) {
        int len = s.length();
        int end = Math.min(len, MAX_QUOTED_CHARS);
        if (end < len && Character.isHighSurrogate(s.charAt(end - 1))) {
            end--; // keep a pair whole rather than printing half of it as an escape
        }
        StringBuilder sb = new StringBuilder(end + 16).append('"');
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
                continue;
            }
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (needsEscape(c)) {
                        sb.append(String.format("\\u%04X", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
        if (end < len) {
            sb.append("... (").append(len).append(" chars)");
        }
        return sb.toString();
    }

    private static boolean needsEscape(char c) {
        if (c >= 0x20 && c < 0x7F) {
            return false;
        }
        if (Character.isISOControl(c) || Character.isSurrogate(c)) {
            return true;
        }
        int type = Character.getType(c);
        return type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR
                || type == Character.FORMAT;
    }
}
