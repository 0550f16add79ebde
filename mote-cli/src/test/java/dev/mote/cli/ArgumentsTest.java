package dev.mote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad arguments: each gives exit status 2 and one line on stderr that names the problem, before
 * any connection is tried (the port given has no listener, so a connection attempt would show as
 * "cannot connect").
 */
class ArgumentsTest {
    private static String closedPort;

    @BeforeAll
    static void port() {
        closedPort = Integer.toString(Mosquitto.freePort());
    }

    static Stream<Arguments> badArguments() {
        return Stream.of(
                // pub
                Arguments.of("pub -m hello", "no topic"),
                Arguments.of("pub -t a -m x -q 3", "invalid QoS 3 for -q"),
                Arguments.of("pub -t a -m x -f /etc/hostname", "only one of -m, -f, -s, -l and -n"),
                Arguments.of("pub -t a -n -l", "only one of -m, -f, -s, -l and -n"),
                Arguments.of("pub -t a", "no message"),
                Arguments.of("pub -t a -m x --bogus", "Unknown option: '--bogus'"),
                Arguments.of("pub -t a -m x -V mqttv5", "mqttv5 is not supported: Mote speaks MQTT 3.1.1 only"),
                Arguments.of("pub -t a -m x -V mqttv31", "mqttv31 is not supported"),
                Arguments.of("pub -t a -m x -V 4", "invalid protocol version '4'"),
                Arguments.of("pub -t a -m x -p 99999", "invalid port 99999"),
                Arguments.of("pub -t a -m x -p abc", "'abc' is not an int"),
                Arguments.of("pub -t a/+ -m x", "cannot contain + or #"),
                Arguments.of("pub -t a -m x -c", "-c (persistent session) needs a client id"),
                Arguments.of("pub -t a -m x -u u -P p -P q", "should be specified only once"),
                Arguments.of("pub -t a -m x -P secret", "needs a user name (-u)"),
                Arguments.of("pub -t a -m x --will-payload bye", "need --will-topic"),
                Arguments.of("pub -t a -m x --will-topic w --will-qos 5", "invalid QoS 5 for --will-qos"),
                Arguments.of("pub -t a -m x -k -1", "invalid keep-alive -1"),
                Arguments.of("pub -t a -m x --cert c.pem", "--cert needs --key"),
                Arguments.of("pub -t a -m x --cafile /nonexistent/ca.pem", "/nonexistent/ca.pem"),
                Arguments.of("pub -t a -f /nonexistent/payload.bin", "cannot read -f /nonexistent/payload.bin: no such file"),
                Arguments.of("pub -t a -m x -L ws://127.0.0.1/x --cafile ca.pem", "need an mqtts:// or wss:// URL"),
                Arguments.of("pub -m x -L wss://127.0.0.1/x", "no topic: give one with -t"),
                Arguments.of("pub -m x -L http://127.0.0.1/x", "unsupported broker URL scheme"),
                Arguments.of("pub -m x -L not-a-url", "-L needs a URL like mqtt://host"),
                Arguments.of("pub -m x -L mqtt://127.0.0.1/x -h otherhost", "-L/--url cannot be combined with -h or -p"),
                Arguments.of("pub -m x -t y -L mqtt://127.0.0.1/x", "either in the -L URL or with -t"),
                Arguments.of("pub -m x -L mqtt://127.0.0.1/x --cafile ca.pem", "need an mqtts:// or wss:// URL"),
                Arguments.of("pub -t a -m", "Missing required parameter for option '--message'"),
                // sub
                Arguments.of("sub -q 1", "no topic"),
                Arguments.of("sub -t a/#/b", "invalid topic filter 'a/#/b' for -t"),
                Arguments.of("sub -t a -T b+", "invalid topic filter 'b+' for -T"),
                Arguments.of("sub -t a -q -1", "invalid QoS -1"),
                Arguments.of("sub -t a -C 0", "-C needs a count of at least 1"),
                Arguments.of("sub -t a -W 0", "-W needs at least 1 second"),
                Arguments.of("sub -t a -R --retained-only", "-R and --retained-only exclude each other"),
                Arguments.of("sub -t a -F %m", "%m (the message id) is not available"),
                Arguments.of("sub -t a -F %E", "MQTT 5 property"),
                Arguments.of("sub -t a -F %Z", "unknown parameter %Z"),
                Arguments.of("sub -t a -F x%", "ends with a lone %"),
                Arguments.of("sub -t a -F \\q", "unknown escape \\q"),
                Arguments.of("sub -t a -V mqttv5", "Mote speaks MQTT 3.1.1 only"),
                Arguments.of("sub -t a -c", "needs a client id"),
                Arguments.of("sub -t a -x 60", "Unknown options: '-x'"),
                // bench
                Arguments.of("bench -P 0", "-P/--publishers must be from 1 to 1000"),
                Arguments.of("bench -q 3", "invalid QoS 3"),
                Arguments.of("bench --payload 5", "--payload must be from 20"),
                Arguments.of("bench --duration 1 --count 5", "--duration or --count, not both"),
                Arguments.of("bench --rate -1", "--rate must be from 0"),
                Arguments.of("bench -L mqtt://127.0.0.1/topic", "prefix from -t"),
                // top level
                Arguments.of("publish -t a", "Unmatched argument"));
    }

    @ParameterizedTest(name = "mote {0}")
    @MethodSource("badArguments")
    void badArgumentsExitTwoWithOneLine(String commandLine, String expected) {
        List<String> args = new ArrayList<>(List.of(commandLine.split(" ")));
        if (!commandLine.contains("-L") && !commandLine.contains(" -p ") && !args.get(0).equals("publish")) {
            args.addAll(1, List.of("-h", "127.0.0.1", "-p", closedPort));
        }
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(ExitCodes.USAGE, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), "one line on stderr: " + r.err());
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("mote" + (args.get(0).equals("publish") ? "" : " " + args.get(0)) + ": "), line);
        assertTrue(line.contains(expected), "expected '" + expected + "' in: " + line);
        assertFalse(line.contains("cannot connect"), line);
        assertFalse(line.contains("Exception"), line);
        assertEquals(0, r.out().length, r.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"pub", "sub", "bench"})
    void helpShowsOptionsExamplesAndExitCodes(String command) {
        Cli.Result r = Cli.run(command, "--help");
        assertEquals(0, r.code(), r.toString());
        String help = r.outText();
        assertTrue(help.startsWith("Usage: mote " + command), help);
        assertTrue(help.contains("Examples:"), help);
        assertTrue(help.contains("  mote " + command + " "), help);
        assertTrue(help.contains("27    sub -W"), help);
        assertTrue(help.contains("2     bad arguments"), help);
        assertTrue(help.contains("-h, --host=HOST"), help);
        assertTrue(help.contains("--cafile=FILE"), help);
        assertEquals("", r.err());
    }

    @Test
    void pubAndSubHaveTheLettersOfMosquittoClients() {
        String pub = Cli.run("pub", "--help").outText();
        for (String option : List.of("-t, --topic", "-m, --message", "-f, --file", "-s, --stdin-file", "-l, --stdin-line",
                "-n, --null-message", "-q, --qos", "-r, --retain", "-i, --id", "-u, --username", "-P, --pw", "-k, --keepalive",
                "-c, --disable-clean-session", "--will-topic", "--will-payload", "--will-qos", "--will-retain", "-d, --debug",
                "-L, --url", "--cert", "--key", "--insecure", "--alpn, --tls-alpn", "-V, --protocol-version")) {
            assertTrue(pub.contains(option), option);
        }
        String sub = Cli.run("sub", "--help").outText();
        for (String option : List.of("-t, --topic", "-T, --filter-out", "-v, --verbose", "-C, --count", "-W, --timeout", "-R",
                "-N", "-F=FORMAT", "--retained-only", "-c, --disable-clean-session")) {
            assertTrue(sub.contains(option), option);
        }
    }

    @Test
    void withoutACommandTheCommandsAreListedAndTheStatusIsTwo() {
        Cli.Result r = Cli.run();
        assertEquals(ExitCodes.USAGE, r.code());
        assertTrue(r.err().contains("pub ") && r.err().contains("sub ") && r.err().contains("bench ") && r.err().contains("demo "),
                r.err());
        Cli.Result help = Cli.run("--help");
        assertEquals(0, help.code());
        assertTrue(help.outText().contains("Commands:"), help.outText());
    }

    @Test
    void demoHelpIsTheDemosOwn() {
        Cli.Result r = Cli.run("demo", "--help");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.outText().startsWith("usage: ./mote demo [options]"), r.outText());
        Cli.Result bad = Cli.run("demo", "--devices", "0");
        assertEquals(2, bad.code());
        assertEquals(List.of("mote demo: --devices must be from 1 to 1000, not 0"), bad.errLines());
    }
}
