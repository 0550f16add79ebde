package dev.mote.cli;

import dev.mote.mqtt.ConnectionRefusedException;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttTimeoutException;
import dev.mote.mqtt.ProtocolViolationException;
import dev.mote.mqtt.SubscriptionRefusedException;
import javax.net.ssl.SSLException;
import picocli.CommandLine;

/**
 * The exit statuses of {@code mote}, following mosquitto_pub and mosquitto_sub where they define
 * one, and the mapping from failures to a status and a one-line reason.
 */
final class ExitCodes {
    /** Success; also {@code sub} stopped by Ctrl-C, by {@code -C} or by {@code --retained-only}. */
    static final int OK = 0;
    /** Any failure that is not a refused connection: unreachable, silent, TLS, protocol, lost messages. */
    static final int FAILURE = 1;
    /**
     * Bad arguments. mosquitto_pub and mosquitto_sub exit 1 for these (and for {@code --help});
     * mote uses 2 like {@code ./mote demo}, picocli and most Unix tools, so a script can tell a
     * typo from a broker that is down.
     */
    static final int USAGE = 2;
    /** {@code sub -W}: the time ran out, as mosquitto_sub's 27 (libmosquitto's MOSQ_ERR_TIMEOUT). */
    static final int TIMED_OUT = 27;
    /**
     * {@code sub} found stdout closed (as in {@code mote sub ... | head -1}): the status of a
     * process killed by SIGPIPE, which is what ends mosquitto_sub there, and nothing on stderr.
     */
    static final int STDOUT_CLOSED = 128 + 13;

    /** The text shown at the end of every {@code --help}. */
    static final String HELP = """
            Exit status:
              0     success; for sub also: stopped by Ctrl-C, -C count reached, --retained-only done
              1     failure: broker unreachable or silent (no CONNACK within --connect-timeout),
                    TLS handshake failed, the broker broke the protocol, every subscription
                    refused, a QoS 1/2 message not acknowledged, connection lost for good
              2     bad arguments (mosquitto_pub/mosquitto_sub exit 1 for these)
              1-5   the broker refused the connection: the CONNACK return code, as mosquitto does
                    (1 protocol version, 2 identifier rejected, 3 server unavailable,
                    4 bad user name or password, 5 not authorized); stderr says which
              27    sub -W: the time ran out (like mosquitto_sub)
              141   sub: stdout was closed (e.g. | head -1), silently, as SIGPIPE ends mosquitto_sub
            Errors are one line on stderr; -d adds the stack trace.""";

    private ExitCodes() {
    }

    /** An exit status and the one-line reason for it (null: nothing to say). */
    record Failure(int code, String message) {
    }

    /** The exit status and reason for a failure that ended a command. */
    static Failure of(Throwable t) {
        return switch (t) {
            case CliException c -> new Failure(c.exitCode(), c.getMessage() == null ? null : oneLine(c.getMessage()));
            case CommandLine.ParameterException p -> new Failure(USAGE, oneLine(p.getMessage()));
            case ConnectionRefusedException r -> new Failure(r.returnCode() >= 1 && r.returnCode() <= 255 ? r.returnCode() : FAILURE,
                    oneLine(r.getMessage()));
            case SubscriptionRefusedException s -> new Failure(FAILURE, oneLine(s.getMessage()));
            case ProtocolViolationException p -> new Failure(FAILURE, oneLine(p.getMessage()));
            case MqttTimeoutException m -> new Failure(FAILURE, oneLine(m.getMessage()));
            case MqttException m -> new Failure(FAILURE, oneLine(tls(m)));
            case IllegalArgumentException i -> new Failure(USAGE, oneLine(i.getMessage()));
            default -> new Failure(FAILURE, oneLine(t.toString()));
        };
    }

    /** The message, saying "TLS" if a TLS failure is behind it and the message does not say so already. */
    private static String tls(MqttException e) {
        String message = String.valueOf(e.getMessage());
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c instanceof SSLException && !message.contains("TLS")) {
                return "TLS failure: " + message;
            }
        }
        return message;
    }

    /** Folds a message onto one line. */
    static String oneLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        return message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
