package dev.mote.mqtt.internal.topic;

import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** The matching examples of MQTT 3.1.1 section 4.7, shared by the matcher and the tree tests. */
final class SpecExamples {

    private SpecExamples() {
    }

    /** (filter, topic, expected match). */
    static Stream<Arguments> matching() {
        return Stream.of(
                // 4.7.1.2 multi-level wildcard
                Arguments.of("sport/tennis/player1/#", "sport/tennis/player1", true),
                Arguments.of("sport/tennis/player1/#", "sport/tennis/player1/ranking", true),
                Arguments.of("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true),
                Arguments.of("sport/tennis/player1/#", "sport/tennis/player2", false),
                Arguments.of("sport/tennis/player1/#", "sport/tennis", false),
                Arguments.of("sport/#", "sport", true),
                Arguments.of("sport/#", "sport/", true),
                Arguments.of("sport/#", "sports", false),
                Arguments.of("#", "sport/tennis/player1", true),
                Arguments.of("#", "/", true),
                Arguments.of("sport/tennis/#", "sport/tennis", true),
                Arguments.of("sport/tennis/#", "sport/tennis/player1", true),
                // 4.7.1.3 single-level wildcard
                Arguments.of("sport/tennis/+", "sport/tennis/player1", true),
                Arguments.of("sport/tennis/+", "sport/tennis/player2", true),
                Arguments.of("sport/tennis/+", "sport/tennis/player1/ranking", false),
                Arguments.of("sport/+", "sport", false),
                Arguments.of("sport/+", "sport/", true),
                Arguments.of("+", "sport", true),
                Arguments.of("+/tennis/#", "sport/tennis/player1", true),
                Arguments.of("+/tennis/#", "sport/tennis", true),
                Arguments.of("+/tennis/#", "sport/golf", false),
                Arguments.of("sport/+/player1", "sport/tennis/player1", true),
                Arguments.of("sport/+/player1", "sport/tennis/player2", false),
                Arguments.of("+/+", "/finance", true),
                Arguments.of("/+", "/finance", true),
                Arguments.of("+", "/finance", false),
                // 4.7.2 topics beginning with $
                Arguments.of("#", "$SYS/monitor/Clients", false),
                Arguments.of("+/monitor/Clients", "$SYS/monitor/Clients", false),
                Arguments.of("+", "$SYS", false),
                Arguments.of("+/#", "$SYS", false),
                Arguments.of("$SYS/#", "$SYS/monitor/Clients", true),
                Arguments.of("$SYS/#", "$SYS", true),
                Arguments.of("$SYS/#", "$SYS/x", true),
                Arguments.of("$SYS/monitor/+", "$SYS/monitor/Clients", true),
                Arguments.of("+/monitor/Clients", "a/monitor/Clients", true),
                // '$' only matters at the start of the topic
                Arguments.of("a/+", "a/$SYS", true),
                Arguments.of("a/#", "a/$SYS/x", true),
                // 4.7.3 semantics: case-sensitive, spaces allowed, leading '/' makes a distinct level
                Arguments.of("ACCOUNTS", "Accounts", false),
                Arguments.of("Accounts", "Accounts", true),
                Arguments.of("Accounts payable", "Accounts payable", true),
                Arguments.of("/finance", "finance", false),
                Arguments.of("finance", "/finance", false),
                Arguments.of("/finance", "/finance", true),
                Arguments.of("/", "/", true),
                Arguments.of("/", "//", false),
                Arguments.of("+/+", "/", true),
                Arguments.of("+", "/", false),
                Arguments.of("a/b", "a/b/c", false),
                Arguments.of("a/b/c", "a/b", false),
                Arguments.of("a/b", "a/bc", false),
                Arguments.of("a/bc", "a/b", false),
                // outside the BMP: levels compare by the whole code point
                Arguments.of("a/\uD83D\uDE00/b", "a/\uD83D\uDE00/b", true),
                Arguments.of("a/+/b", "a/\uD83D\uDE00/b", true),
                Arguments.of("a/\uD83D\uDE00/b", "a/\uD83D\uDE01/b", false));
    }
}
