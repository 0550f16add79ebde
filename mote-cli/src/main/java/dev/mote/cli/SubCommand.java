package dev.mote.cli;

import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.SubscriptionRefusedException;
import dev.mote.mqtt.TopicFilter;
import dev.mote.mqtt.Wait;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mote sub}: subscribes and prints the messages as they arrive, like mosquitto_sub. */
@Command(name = "sub", sortOptions = false, usageHelpWidth = 100, synopsisHeading = "Usage: ",
        description = {"Subscribes to one or more topic filters and prints each message as it arrives, until "
                + "Ctrl-C, -C, -W or --retained-only ends it. Reconnects if the connection breaks.",
                "The options mean what they mean for mosquitto_sub. With -c -i ID the broker keeps the session "
                        + "between runs: the next run prints what was queued meanwhile, each QoS 2 message exactly once."},
        footerHeading = "%n",
        footer = {"Examples:",
                "  mote sub -t 'sensors/#' -v",
                "  mote sub -t 'sensors/+/temperature' -T sensors/attic/temperature -F '%%I %%t %%p'",
                "  mote sub -t 'state/#' --retained-only -v            # dump the retained messages, then exit",
                "  mote sub -c -i audit-1 -q 2 -t 'orders/#'           # persistent session, exactly once",
                "  mote sub -t firmware/image -C 1 -N > image.bin       # one binary payload, byte for byte",
                "",
                "-F format: %%t topic, %%p payload, %%q QoS, %%r retain flag, %%l payload length, %%x/%%X payload in hex,",
                "  %%I ISO-8601 time, %%U Unix time with nanoseconds, %%j JSON, %%%% a percent sign; flags -/0, width",
                "  and .max as in %%-20.20t; @Y @m @d @H @M @S @N @z @s (strftime, @@ for @); escapes \\n \\t \\r",
                "  \\0 \\\\ \\a \\e \\v. A newline follows each message unless -N.",
                "",
                ExitCodes.HELP})
final class SubCommand extends ClientCommand {
    @Option(names = {"-t", "--topic"}, paramLabel = "FILTER", description = "Topic filter to subscribe to (repeatable).")
    List<String> topics = new ArrayList<>();

    @Option(names = {"-T", "--filter-out"}, paramLabel = "FILTER",
            description = "Do not print messages whose topic matches this filter (repeatable).")
    List<String> filterOut = new ArrayList<>();

    @Option(names = {"-q", "--qos"}, paramLabel = "QOS", defaultValue = "0",
            description = "QoS to subscribe with, 0, 1 or 2 (default 0).")
    int qos;

    @Option(names = {"-v", "--verbose"}, description = "Print \"topic payload\".")
    boolean verbose;

    @Option(names = "-F", paramLabel = "FORMAT", description = "Print each message in this format (see below); overrides -v.")
    String format;

    @Option(names = "-N", description = "Do not print a newline after each message.")
    boolean noNewline;

    @Option(names = {"-C", "--count"}, paramLabel = "N", description = "Exit (0) after printing N messages.")
    Integer count;

    @Option(names = {"-W", "--timeout"}, paramLabel = "SECONDS",
            description = "Exit with status 27 after this many seconds from connecting, like mosquitto_sub.")
    Integer timeout;

    @Option(names = {"-R", "--no-stale"}, description = "Do not print retained (stale) messages.")
    boolean noRetained;

    @Option(names = "--retained-only",
            description = "Print only retained messages; exit (0) at the first message that is not retained.")
    boolean retainedOnly;

    @Mixin
    SessionOptions session;

    @Mixin
    BrokerOptions broker;

    @Option(names = "--help", usageHelp = true, description = "Show this help and exit.")
    boolean help;

    private final BlockingQueue<Message> arrivals = new ArrayBlockingQueue<>(1024);
    /** Set when no more messages will be printed: handlers then stop queuing. */
    private volatile boolean done;

    SubCommand(Io io) {
        super(io, "sub");
    }

    @Override
    BrokerOptions broker() {
        return broker;
    }

    @Override
    public Integer call() {
        BrokerOptions.Endpoint endpoint = broker.endpoint();
        List<String> filters = new ArrayList<>(topics);
        if (endpoint.topic() != null) {
            filters.add(0, endpoint.topic());
        }
        if (filters.isEmpty()) {
            throw CliException.usage("no topic: give at least one filter with -t (or in the -L URL)");
        }
        for (String f : filters) {
            Topics.checkFilter(f, "-t");
        }
        for (String f : filterOut) {
            Topics.checkFilter(f, "-T");
        }
        Qos q = Commands.qos(qos, "-q");
        if (count != null && count < 1) {
            throw CliException.usage("-C needs a count of at least 1, not " + count);
        }
        if (timeout != null && timeout < 1) {
            throw CliException.usage("-W needs at least 1 second, not " + timeout);
        }
        if (noRetained && retainedOnly) {
            throw CliException.usage("-R and --retained-only exclude each other: together they would print nothing");
        }
        OutputFormat out = format != null ? OutputFormat.parse(format, !noNewline)
                : verbose ? OutputFormat.verbose(!noNewline) : OutputFormat.payloadOnly(!noNewline);

        MqttOptions.Builder b = broker.builder(endpoint, session.password);
        session.apply(b);
        // Messages of a resumed session can arrive right after CONNACK, before SUBSCRIBE: they go
        // to the default handler, into the same queue, so none is lost.
        b.defaultHandler(this::arrived);
        b.connectionListener(events());
        b.reconnect(ReconnectPolicy.defaults());
        MqttOptions options = b.build();
        MqttClient client = interruptibly(() -> MqttClient.connect(options));
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout * 1_000_000_000L;
        try {
            interruptibly(() -> {
                subscribe(client, filters, q);
                return null;
            });
            return print(client, out, deadline);
        } finally {
            done = true;
            arrivals.clear(); // unblocks handlers so close does not wait for them
            client.close();
        }
    }

    private void subscribe(MqttClient client, List<String> filters, Qos q) {
        List<TopicFilter> requested = filters.stream().map(f -> TopicFilter.of(f, q)).toList();
        Subscription s;
        try {
            s = client.subscribe(requested, this::arrived, Wait.ACK);
        } catch (SubscriptionRefusedException e) {
            if (e.refusedFilters().size() >= filters.size()) {
                throw new CliException(ExitCodes.FAILURE, "the broker refused every subscription: "
                        + String.join(", ", e.refusedFilters()));
            }
            warn("the broker refused " + String.join(", ", e.refusedFilters()));
            s = e.subscription();
        }
        List<Qos> granted = s.grantedQos();
        for (int i = 0; i < filters.size(); i++) {
            Qos g = granted.get(i);
            debug("subscribed to " + filters.get(i) + (g == null ? ": refused" : " (granted QoS " + g.value() + ")"));
        }
    }

    /** Handler of the subscription and default handler: queues the message for printing (blocks while the queue is full). */
    private void arrived(Message m) {
        try {
            while (!done && !arrivals.offer(m, 100, TimeUnit.MILLISECONDS)) {
                // back-pressure: the library stops reading from the network meanwhile
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Prints messages until -C, -W, --retained-only, a stop or a fatal failure ends it. A stop
     * (Ctrl-C) closes the client while printing on: every message the client acknowledged to the
     * broker is printed, so a persistent session (-c) loses nothing between runs.
     */
    private int print(MqttClient client, OutputFormat out, long deadline) {
        int printed = 0;
        Thread closer = null;
        while (true) {
            if (closer == null && stopped) {
                debug("stopping: disconnecting, then printing what has arrived");
                closer = Thread.ofVirtual().name("mote-sub-close").start(client::close);
            }
            if (closer != null && !closer.isAlive() && arrivals.isEmpty()) {
                return ExitCodes.OK;
            }
            if (closer == null && fatal() != null) {
                throw fatal();
            }
            long wait = 100_000_000L;
            if (deadline != 0 && closer == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new CliException(ExitCodes.TIMED_OUT, "timed out after " + timeout + " s (-W)");
                }
                wait = Math.min(wait, left);
            }
            Message m;
            try {
                m = arrivals.poll(closer == null ? wait : 20_000_000L, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCodes.OK;
            }
            if (m == null) {
                continue;
            }
            if (retainedOnly && !m.retained()) {
                debug("--retained-only: " + m.topic() + " is not retained; done");
                return ExitCodes.OK;
            }
            if (noRetained && m.retained()) {
                continue;
            }
            if (filteredOut(m.topic())) {
                continue;
            }
            byte[] bytes = out.render(m, OutputFormat.now());
            io.out().write(bytes, 0, bytes.length);
            io.out().flush();
            if (io.out().checkError()) {
                throw CliException.silent(ExitCodes.STDOUT_CLOSED);
            }
            printed++;
            if (count != null && printed >= count) {
                return ExitCodes.OK;
            }
        }
    }

    private boolean filteredOut(String topic) {
        for (String f : filterOut) {
            if (Topics.matches(f, topic)) {
                return true;
            }
        }
        return false;
    }
}
