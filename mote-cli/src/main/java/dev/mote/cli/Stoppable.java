package dev.mote.cli;

/** A command that Ctrl-C (SIGINT) or SIGTERM can end cleanly. */
interface Stoppable {
    /**
     * Asks the running command to finish: stop reading and publishing, disconnect cleanly and
     * return its exit status. Called from the shutdown hook's thread; must not block for long.
     */
    void stop();
}
