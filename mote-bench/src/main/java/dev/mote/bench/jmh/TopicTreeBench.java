package dev.mote.bench.jmh;

import dev.mote.mqtt.internal.topic.TopicTree;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Routing one topic through a tree of 100, 1,000 or 10,000 subscriptions: device filters
 * ("site/S/dev/D/#", "site/S/dev/D/temp"), a few with '+' ("site/+/dev/D/status") and some
 * unrelated ones. If matching were linear in the subscription count, the time per route would
 * grow 100-fold from 100 to 10,000.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TopicTreeBench {

    @Param({"100", "1000", "10000"})
    public int subscriptions;

    private TopicTree<Integer> tree;
    private String[] topics;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        tree = new TopicTree<>();
        int devices = subscriptions / 4;
        for (int i = 0; i < subscriptions; i++) {
            int d = i % devices;
            String filter = switch (i / devices) {
                case 0 -> "site/" + (d % 50) + "/dev/" + d + "/#";
                case 1 -> "site/" + (d % 50) + "/dev/" + d + "/temp";
                case 2 -> "site/+/dev/" + d + "/status";
                default -> "other/" + d + "/+/x";
            };
            tree.add(filter, i);
        }
        topics = new String[1024];
        java.util.Random r = new java.util.Random(42);
        for (int i = 0; i < topics.length; i++) {
            int d = r.nextInt(devices);
            topics[i] = "site/" + (d % 50) + "/dev/" + d + (r.nextBoolean() ? "/temp" : "/status");
        }
    }

    @Benchmark
    public void route(Blackhole bh) {
        String topic = topics[next++ & (topics.length - 1)];
        tree.forEachMatch(topic, bh::consume);
    }
}
