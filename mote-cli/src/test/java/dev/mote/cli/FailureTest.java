package dev.mote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Failures after the arguments were accepted: each ends the command with its exit status and one
 * line on stderr (no stack trace without -d). The broker here is {@link FakeBroker}.
 */
class FailureTest {

    private static String[] args(String command, int port, String... more) {
        List<String> all = new ArrayList<>(List.of(command, "-h", "127.0.0.1", "-p", Integer.toString(port)));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static void assertOneLine(Cli.Result r, int code, String prefix, String... expected) {
        assertEquals(code, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), "one line on stderr: " + r.err());
        String line = r.errLines().get(0);
        assertTrue(line.startsWith(prefix), line);
        for (String e : expected) {
            assertTrue(line.contains(e), "expected '" + e + "' in: " + line);
        }
        assertFalse(line.contains("\tat "), line);
    }

    @ParameterizedTest(name = "CONNACK code {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5})
    void aRefusedConnectionExitsWithTheConnackCode(int code) {
        String[] why = {"", "unacceptable protocol version", "identifier rejected", "server unavailable",
                "bad user name or password", "not authorized"};
        try (FakeBroker broker = new FakeBroker(FakeBroker.refusing(code))) {
            assertOneLine(Cli.run(args("pub", broker.port(), "-t", "a", "-m", "x")), code, "mote pub: ",
                    "refused the connection (CONNACK code " + code + ")", why[code]);
            assertOneLine(Cli.run(args("sub", broker.port(), "-t", "a")), code, "mote sub: ",
                    "refused the connection (CONNACK code " + code + ")", why[code]);
        }
    }

    @Test
    void anUnreachableBrokerExitsOne() {
        int port = Mosquitto.freePort();
        assertOneLine(Cli.run(args("pub", port, "-t", "a", "-m", "x")), 1, "mote pub: ", "cannot connect to mqtt://127.0.0.1:" + port);
        assertOneLine(Cli.run(args("sub", port, "-t", "a")), 1, "mote sub: ", "cannot connect");
        assertOneLine(Cli.run(args("bench", port, "--duration", "1")), 1, "mote bench: ", "cannot connect");
    }

    @Test
    void aSilentBrokerTimesOutAfterTheConnectTimeout() {
        try (FakeBroker broker = new FakeBroker(FakeBroker.silent())) {
            long start = System.nanoTime();
            Cli.Result r = Cli.run(args("sub", broker.port(), "-t", "a", "--connect-timeout", "1"));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertOneLine(r, 1, "mote sub: ", "no CONNACK", "within 1000 ms");
            assertTrue(seconds >= 0.9 && seconds < 8, "took " + seconds + " s");
        }
    }

    @Test
    void aMalformedConnackIsAProtocolViolation() {
        try (FakeBroker broker = new FakeBroker((in, out) -> {
            FakeBroker.read(in);
            out.write(new byte[] {0x20, 0x03, 0x00, 0x00, 0x00});
            out.flush();
            FakeBroker.drain(in);
        })) {
            Cli.Result r = Cli.run(args("pub", broker.port(), "-t", "a", "-m", "x"));
            assertOneLine(r, 1, "mote pub: ", "CONNACK");
        }
    }

    @Test
    void aProtocolViolationDuringSubEndsIt() {
        try (FakeBroker broker = new FakeBroker(FakeBroker.subscriptions(1, true))) {
            Cli.Result r = Cli.run(args("sub", broker.port(), "-t", "a"));
            assertOneLine(r, 1, "mote sub: ", "broker mqtt://127.0.0.1:" + broker.port());
        }
    }

    @Test
    void debugAddsTheStackTrace() {
        try (FakeBroker broker = new FakeBroker(FakeBroker.refusing(5))) {
            Cli.Result r = Cli.run(args("pub", broker.port(), "-t", "a", "-m", "x", "-d"));
            assertEquals(5, r.code());
            assertTrue(r.err().contains("mote pub: broker mqtt://127.0.0.1:" + broker.port() + " refused the connection"), r.err());
            assertTrue(r.err().contains("NotAuthorizedException") && r.err().contains("\tat "), r.err());
        }
    }

    @Test
    void subExitsOneWhenEveryFilterIsRefused() {
        try (FakeBroker broker = new FakeBroker(FakeBroker.subscriptions(0, false))) {
            Cli.Result r = Cli.run(args("sub", broker.port(), "-t", "a/b", "-t", "c/#", "-q", "1"));
            assertOneLine(r, 1, "mote sub: ", "the broker refused every subscription: a/b, c/#");
        }
    }

    @Test
    void subWarnsAboutSomeRefusedFiltersAndGoesOn() {
        try (FakeBroker broker = new FakeBroker(FakeBroker.subscriptions(1, false))) {
            Cli.Result r = Cli.run(args("sub", broker.port(), "-t", "ok/#", "-t", "denied/#", "-W", "1"));
            assertEquals(ExitCodes.TIMED_OUT, r.code(), r.toString());
            assertEquals(List.of("mote sub: warning: the broker refused denied/#", "mote sub: timed out after 1 s (-W)"),
                    r.errLines());
        }
    }

    @Test
    void aTlsHandshakeWithSomethingElseFailsSayingTls() {
        try (FakeBroker broker = new FakeBroker(FakeBroker.text())) {
            Cli.Result r = Cli.run("pub", "-L", "mqtts://127.0.0.1:" + broker.port(), "-t", "a", "-m", "x");
            assertOneLine(r, 1, "mote pub: ", "TLS");
        }
    }
}
