package dev.mote.cli;

import dev.mote.demo.Demo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/**
 * {@code mote demo}: the zero-install demo (mote-demo's {@link Demo}), with its own options and
 * output. {@link Main} hands {@code demo ...} to the demo before picocli parses anything; this
 * command only lists it in {@code mote --help}.
 */
@Command(name = "demo",
        description = "Zero-install demo: simulated devices publish at QoS 0/1/2 through an embedded broker "
                + "(mote demo --help for its options).")
final class DemoCommand implements Callable<Integer> {
    private final Io io;

    @Parameters(arity = "0..*")
    List<String> parameters = new ArrayList<>();

    @Unmatched
    List<String> unmatched = new ArrayList<>();

    DemoCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() {
        List<String> all = new ArrayList<>(unmatched);
        all.addAll(parameters);
        return Demo.execute(all.toArray(String[]::new), io.out(), io.err(), io.terminal());
    }
}
