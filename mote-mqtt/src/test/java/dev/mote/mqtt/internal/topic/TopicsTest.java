package dev.mote.mqtt.internal.topic;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicsTest {

    private static final String EMOJI = "\uD83D\uDE00"; // U+1F600, four bytes in UTF-8

    // ---- matches -------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} vs {1} -> {2}")
    @MethodSource("dev.mote.mqtt.internal.topic.SpecExamples#matching")
    void matchesSpecExamples(String filter, String topic, boolean expected) {
        assertEquals(expected, Topics.matches(filter, topic));
    }

    @Test
    void matchingBothHashAndSysNeedsTwoFilters() {
        // 4.7.2: to get both $SYS/ topics and ordinary ones a client subscribes to both.
        assertTrue(Topics.matches("#", "sport"));
        assertFalse(Topics.matches("#", "$SYS/uptime"));
        assertTrue(Topics.matches("$SYS/#", "$SYS/uptime"));
        assertFalse(Topics.matches("$SYS/#", "sport"));
    }

    @Test
    void matchesTakesSharedFiltersLiterally() {
        assertFalse(Topics.matches("$share/g/a", "a"));
        assertTrue(Topics.matches(Topics.routingFilter("$share/g/a"), "a"));
    }

    @Test
    void matchesRejectsNull() {
        assertThrows(NullPointerException.class, () -> Topics.matches(null, "a"));
        assertThrows(NullPointerException.class, () -> Topics.matches("a", null));
    }

    // ---- validateTopicName ---------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"a", "/", "//", "/finance", "finance/", "sport/tennis/player1",
        "Accounts payable", "$SYS/monitor/Clients", "a/" + EMOJI + "/b", "caf\u00E9", "\u20AC/\u4E2D"})
    void acceptsValidTopicNames(String topic) {
        assertDoesNotThrow(() -> Topics.validateTopicName(topic));
    }

    @Test
    void rejectsNullTopicName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Topics.validateTopicName(null));
        assertEquals("topic name must not be null [MQTT-4.7.3-1]", e.getMessage());
    }

    @Test
    void rejectsEmptyTopicName() {
        assertEquals("Invalid topic name \"\": must be at least one character long [MQTT-4.7.3-1]",
                nameError(""));
    }

    @Test
    void rejectsWildcardsInTopicName() {
        assertEquals("Invalid topic name \"sport/+\": wildcard '+' (index 6) is not allowed in a topic name"
                + " [MQTT-4.7.1-1]", nameError("sport/+"));
        assertEquals("Invalid topic name \"#\": wildcard '#' (index 0) is not allowed in a topic name"
                + " [MQTT-4.7.1-1]", nameError("#"));
        assertTrue(nameError("a+b").contains("'+' (index 1)"));
        assertTrue(nameError("a/b#").contains("'#' (index 3)"));
    }

    @Test
    void rejectsNulCharacter() {
        assertEquals("Invalid topic name \"a\\u0000b\": contains U+0000 (index 1) [MQTT-4.7.3-2]",
                nameError("a\u0000b"));
        assertTrue(filterError("a/\u0000").contains("contains U+0000 (index 2) [MQTT-4.7.3-2]"));
    }

    @Test
    void rejectsUnpairedSurrogates() {
        assertEquals("Invalid topic name \"a\\uD83D\": contains an unpaired surrogate U+D83D (index 1)"
                + " [MQTT-1.5.3-1]", nameError("a\uD83D"));
        assertTrue(nameError("\uDE00a").contains("unpaired surrogate U+DE00 (index 0)"));
        assertTrue(nameError("\uD83Da").contains("unpaired surrogate U+D83D (index 0)"));
        // low before high is two unpaired halves, not a pair
        assertTrue(nameError("x\uDE00\uD83D").contains("unpaired surrogate U+DE00 (index 1)"));
        assertTrue(filterError("a/\uDE00/#").contains("unpaired surrogate U+DE00 (index 2)"));
    }

    @Test
    void acceptsExactlyMaxUtf8Length() {
        assertValidAtLimit("a".repeat(65_535));
        assertValidAtLimit("\u20AC".repeat(21_845)); // 3 bytes each
        assertValidAtLimit(EMOJI.repeat(16_383) + "abc"); // 4 bytes per pair
        assertValidAtLimit("\u00E9".repeat(32_767) + "a"); // 2 bytes each
    }

    private static void assertValidAtLimit(String topic) {
        assertEquals(65_535, topic.getBytes(StandardCharsets.UTF_8).length);
        assertDoesNotThrow(() -> Topics.validateTopicName(topic));
        assertDoesNotThrow(() -> Topics.validateFilter(topic));
    }

    @Test
    void rejectsOneByteOverMaxUtf8Length() {
        assertTooLong("a".repeat(65_536));
        assertTooLong("\u20AC".repeat(21_845) + "a");
        assertTooLong(EMOJI.repeat(16_384));
        assertTooLong("\u00E9".repeat(32_768));
        assertTooLong("a".repeat(1_000_000));
    }

    private static void assertTooLong(String topic) {
        assertEquals(65_536, Math.min(65_536, topic.getBytes(StandardCharsets.UTF_8).length));
        String message = nameError(topic);
        assertTrue(message.endsWith(": longer than 65535 bytes in UTF-8 [MQTT-4.7.3-3]"), message);
        assertTrue(message.contains("... (" + topic.length() + " chars)"), message);
        assertTrue(filterError(topic).contains("longer than 65535 bytes in UTF-8 [MQTT-4.7.3-3]"));
    }

    // ---- validateFilter ------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"#", "+", "+/#", "+/+", "/+", "/#", "a/+/c", "sport/tennis/#", "sport/tennis/+",
        "+/tennis/#", "sport/+/player1", "/", "//", "a//b", "$SYS/#", "$SYS/monitor/+", "a/" + EMOJI + "/+",
        "$share/g/a", "$share/g/#", "$share/g/+/x", "$share/g//", "$share/g/$share/h/x", "$share",
        "$share_x", "$sharex/g", "$SHARE/g", "a/$share/g"})
    void acceptsValidFilters(String filter) {
        assertDoesNotThrow(() -> Topics.validateFilter(filter));
    }

    @Test
    void rejectsNullAndEmptyFilter() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Topics.validateFilter(null));
        assertEquals("topic filter must not be null [MQTT-4.7.3-1]", e.getMessage());
        assertEquals("Invalid topic filter \"\": must be at least one character long [MQTT-4.7.3-1]",
                filterError(""));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a/#/b                  | 2",
        "a#                     | 1",
        "#/                     | 0",
        "##                     | 0",
        "sport/tennis#          | 12",
        "sport/tennis/#/ranking | 13",
        "#/a                    | 0",
        "$share/#/a             | 7"})
    void rejectsMisplacedHash(String filter, int index) {
        assertEquals("Invalid topic filter \"" + filter + "\": '#' (index " + index
                + ") must be the last character and occupy an entire level [MQTT-4.7.1-2]", filterError(filter));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a+       | 1",
        "+a       | 0",
        "sport+   | 5",
        "a/+b/c   | 2",
        "a/b+     | 3",
        "++       | 0",
        "+#       | 0",
        "a/+/c+   | 5"})
    void rejectsPartialLevelPlus(String filter, int index) {
        assertEquals("Invalid topic filter \"" + filter + "\": '+' (index " + index
                + ") must occupy an entire level [MQTT-4.7.1-3]", filterError(filter));
    }

    @Test
    void rejectsMalformedSharedSubscriptions() {
        assertEquals("Invalid topic filter \"$share/g\": shared subscription needs a topic filter after the"
                + " group name", filterError("$share/g"));
        assertEquals("Invalid topic filter \"$share/g/\": shared subscription needs a topic filter after the"
                + " group name", filterError("$share/g/"));
        assertEquals("Invalid topic filter \"$share/\": shared subscription needs a topic filter after the"
                + " group name", filterError("$share/"));
        assertEquals("Invalid topic filter \"$share//a\": shared subscription group name must not be empty",
                filterError("$share//a"));
        assertEquals("Invalid topic filter \"$share/+/a\": shared subscription group name must not contain"
                + " '+' (index 7)", filterError("$share/+/a"));
        // wildcard placement inside the filter part is checked like any filter
        assertTrue(filterError("$share/g/a+").contains("'+' (index 10) must occupy an entire level"));
        assertTrue(filterError("$share/g/#/a").contains("'#' (index 9) must be the last character"));
        // a '+' glued to the group name fails the general wildcard rule first
        assertTrue(filterError("$share/g+/a").contains("'+' (index 8) must occupy an entire level"));
    }

    // ---- routingFilter -------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "$share/g/a/b      | a/b",
        "$share/group/#    | #",
        "$share/g/+/x      | +/x",
        "$share/g//        | /",
        "$share/g/$share/h/x | $share/h/x",
        "a/b               | a/b",
        "#                 | #",
        "$share            | $share",
        "$SHARE/g/a        | $SHARE/g/a",
        "$sharex/g/a       | $sharex/g/a"})
    void routingFilterStripsShareGroup(String filter, String expected) {
        assertEquals(expected, Topics.routingFilter(filter));
    }

    @Test
    void routingFilterRejectsShareWithoutFilter() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Topics.routingFilter("$share/g"));
        assertTrue(e.getMessage().contains("\"$share/g\""), e.getMessage());
    }

    // ---- escaping in messages ------------------------------------------------------------

    @Test
    void messagesCannotForgeLogLines() {
        String hostile = "a/+\n2024-01-01 INFO admin logged in\r\u0085\u2028\u2029";
        String message = nameError(hostile);
        assertEquals("Invalid topic name \"a/+\\n2024-01-01 INFO admin logged in\\r\\u0085\\u2028\\u2029\":"
                + " wildcard '+' (index 2) is not allowed in a topic name [MQTT-4.7.1-1]", message);
        assertFalse(message.chars().anyMatch(c -> c == '\n' || c == '\r' || c == 0x85 || c == 0x2028));
    }

    @Test
    void quoteEscapesQuotesBackslashesControlsAndFormatChars() {
        assertEquals("\"a\\\"b\\\\c\"", Topics.quote("a\"b\\c"));
        assertEquals("\"\\t\\u001B[31m\\u007F\"", Topics.quote("\t\u001B[31m\u007F"));
        // bidi override (Trojan Source) and zero-width chars could hide text in a log viewer
        assertEquals("\"\\u202Eabc\\u200B\\uFEFF\"", Topics.quote("\u202Eabc\u200B\uFEFF"));
        assertEquals("\"\\uD800x\\uDC00\"", Topics.quote("\uD800x\uDC00"));
        assertEquals("\"caf\u00E9 " + EMOJI + " \u4E2D\"", Topics.quote("caf\u00E9 " + EMOJI + " \u4E2D"));
    }

    @Test
    void quoteTruncatesWithoutSplittingSurrogatePair() {
        assertEquals("\"" + "a".repeat(200) + "\"... (201 chars)", Topics.quote("a".repeat(201)));
        assertEquals("\"" + "a".repeat(200) + "\"", Topics.quote("a".repeat(200)));
        // pair straddling the cut is dropped whole rather than escaped in half
        String s = "a".repeat(199) + EMOJI + "b";
        assertEquals("\"" + "a".repeat(199) + "\"... (202 chars)", Topics.quote(s));
    }

    private static String nameError(String topic) {
        return assertThrows(IllegalArgumentException.class, () -> Topics.validateTopicName(topic)).getMessage();
    }

    private static String filterError(String filter) {
        return assertThrows(IllegalArgumentException.class, () -> Topics.validateFilter(filter)).getMessage();
    }
}
