package dev.mote.cli;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * The streams a command works with: the process's own, or a test's.
 *
 * @param terminal whether stderr is an interactive terminal (for live progress lines)
 */
record Io(InputStream in, PrintStream out, PrintStream err, boolean terminal) {
}
