package dev.mote.cli;

import dev.mote.demo.Demo;
import dev.mote.mqtt.ConnectionRefusedException;
import dev.mote.mqtt.MqttException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code mote} command: {@code pub}, {@code sub}, {@code bench} and {@code demo}.
 * {@link #main} runs it as a process (exit status, Ctrl-C); {@link #run} runs it in this JVM on
 * the given streams and returns the exit status, for tests and embedding.
 */
public final class Main {
    private final Io io;
    private volatile Stoppable active;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile int exitCode;
    private volatile boolean exiting;

    private Main(Io io) {
        this.io = io;
    }

    /** Runs a command as {@code java -jar mote-cli.jar ...} and exits with its status. */
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("demo")) {
            System.exit(Demo.execute(Arrays.copyOfRange(args, 1, args.length), System.out, System.err, Demo.isTerminal()));
        }
        Main main = new Main(new Io(System.in, System.out, System.err, Demo.isTerminal()));
        Runtime.getRuntime().addShutdownHook(new Thread(main::onSignal, "mote-shutdown"));
        int code = main.execute(args);
        main.exitCode = code;
        main.finished.countDown();
        main.exiting = true;
        System.exit(code);
    }

    /**
     * Runs a command in this JVM: {@code args} as on the command line (e.g. {@code "sub", "-t",
     * "a/#"}), stdin from {@code in}, output to {@code out} and {@code err}.
     *
     * @return the exit status the process would have
     */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        if (args.length > 0 && args[0].equals("demo")) {
            return Demo.execute(Arrays.copyOfRange(args, 1, args.length), out, err, false);
        }
        return new Main(new Io(in, out, err, false)).execute(args);
    }

    /**
     * The shutdown hook. On Ctrl-C or SIGTERM (not on the process's own exit) it asks the running
     * command to stop, waits for it to disconnect cleanly and exits with the command's status
     * (for sub: 0, like mosquitto_sub) instead of the JVM's 130.
     */
    private void onSignal() {
        Stoppable s = active;
        if (exiting || s == null) {
            return;
        }
        s.stop();
        try {
            if (finished.await(15, TimeUnit.SECONDS)) {
                io.out().flush();
                io.err().flush();
                Runtime.getRuntime().halt(exitCode);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int execute(String[] args) {
        CommandLine cl = commandLine();
        return cl.execute(args);
    }

    private CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Top(io));
        cl.addSubcommand("pub", new PubCommand(io));
        cl.addSubcommand("sub", new SubCommand(io));
        cl.addSubcommand("bench", new BenchCommand(io));
        cl.addSubcommand("demo", new DemoCommand(io));
        cl.setOut(new PrintWriter(io.out(), true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(io.err(), true, StandardCharsets.UTF_8));
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            String name = c.getCommandSpec().qualifiedName();
            io.err().println(name + ": " + ExitCodes.oneLine(e.getMessage()) + " (" + name + " --help shows the options)");
            io.err().flush();
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((e, c, parseResult) -> {
            // After Ctrl-C, a call it interrupted fails in whatever way it was cut short (waiting, or in the TCP connect).
            ExitCodes.Failure f = c.getCommand() instanceof ClientCommand cc && cc.stopped && e instanceof MqttException
                    && !(e instanceof ConnectionRefusedException) ? cc.stoppedEarly() : ExitCodes.of(e);
            io.out().flush();
            if (f.message() != null) {
                io.err().println(c.getCommandSpec().qualifiedName() + ": " + f.message());
            }
            if (c.getCommand() instanceof ClientCommand cc && cc.broker().debug) {
                e.printStackTrace(io.err());
            }
            io.err().flush();
            return f.code();
        });
        cl.setExecutionStrategy(parseResult -> {
            CommandLine.ParseResult leaf = parseResult;
            while (leaf.subcommand() != null) {
                leaf = leaf.subcommand();
            }
            if (leaf.commandSpec().userObject() instanceof Stoppable s) {
                active = s;
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        return cl;
    }

    /** {@code mote} without a command: the list of commands. */
    @Command(name = "mote", synopsisHeading = "Usage: ", customSynopsis = "mote pub|sub|bench|demo [options]   (mote COMMAND --help for each)",
            description = "MQTT 3.1.1 from the command line, with the Mote client library.",
            commandListHeading = "%nCommands:%n", usageHelpWidth = 100,
            footerHeading = "%n", footer = {"Examples:",
                    "  mote sub -h broker.example -t 'sensors/#' -v",
                    "  mote pub -h broker.example -t sensors/kitchen/temperature -m 21.5 -q 1",
                    "  mote bench -h broker.example -q 1 -P 4 -S 2 --duration 10",
                    "  mote demo",
                    "",
                    ExitCodes.HELP})
    static final class Top implements Callable<Integer> {
        private final Io io;

        @CommandLine.Option(names = "--help", usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        Top(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() {
            spec.commandLine().usage(io.err());
            return ExitCodes.USAGE;
        }
    }
}
