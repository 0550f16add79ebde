package dev.mote.bench;

import java.util.List;
import java.util.function.Supplier;

/** The clients under test, in the order the interleaved runs take them. */
public enum Clients {
    MOTE("Mote", MoteClient::new),
    PAHO("Paho 1.2.5", PahoClient::new),
    HIVEMQ("HiveMQ 1.3.7", HiveMqClient::new),
    VERTX("Vert.x 5.0.7", VertxClient::new);

    private final String label;
    private final Supplier<BenchClient> factory;

    Clients(String label, Supplier<BenchClient> factory) {
        this.label = label;
        this.factory = factory;
    }

    public String label() {
        return label;
    }

    public BenchClient create() {
        return factory.get();
    }

    /** The clients named in a comma-separated list (enum names, any case); all if blank. */
    public static List<Clients> parse(String list) {
        if (list == null || list.isBlank()) {
            return List.of(values());
        }
        return java.util.Arrays.stream(list.split(",")).map(s -> valueOf(s.trim().toUpperCase())).toList();
    }
}
