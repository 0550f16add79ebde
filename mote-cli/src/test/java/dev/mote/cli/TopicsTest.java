package dev.mote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Filter matching for sub -T, and the checks made before connecting. */
class TopicsTest {

    @ParameterizedTest(name = "{0} matches {1}: {2}")
    @CsvSource({
            "a/b, a/b, true",
            "a/b, a/c, false",
            "a/+, a/b, true",
            "a/+, a/b/c, false",
            "a/+, a, false",
            "a/#, a, true",
            "a/#, a/b/c, true",
            "#, a/b, true",
            "+/+, /b, true",
            "+, /b, false",
            "#, $SYS/x, false",
            "+/x, $SYS/x, false",
            "$SYS/#, $SYS/x, true",
            "a/+/c, a//c, true",
    })
    void matches(String filter, String topic, boolean expected) {
        assertEquals(expected, Topics.matches(filter, topic));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/#/b", "a#", "a/b+", "+a", ""})
    void badFiltersAreUsageErrors(String filter) {
        CliException e = assertThrows(CliException.class, () -> Topics.checkFilter(filter, "-t"));
        assertEquals(ExitCodes.USAGE, e.exitCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/+", "#", "a/#", ""})
    void badTopicNamesAreUsageErrors(String topic) {
        CliException e = assertThrows(CliException.class, () -> Topics.checkName(topic, "-t"));
        assertEquals(ExitCodes.USAGE, e.exitCode());
    }
}
