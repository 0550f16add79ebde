package dev.mote.cli;

/**
 * Ends a command with an exit status and a one-line reason for stderr. Thrown for problems the
 * command itself detects (bad arguments, a refused subscription, a timeout).
 */
final class CliException extends RuntimeException {
    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** A bad argument or combination of arguments: exit status {@link ExitCodes#USAGE}. */
    static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message);
    }

    /** Ends the command with {@code exitCode} and nothing on stderr. */
    static CliException silent(int exitCode) {
        return new CliException(exitCode, null);
    }

    int exitCode() {
        return exitCode;
    }
}
