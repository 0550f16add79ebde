package dev.mote.it.broker;

import java.util.EnumMap;
import java.util.Map;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints, at the end of a run, how many scenarios passed, failed and were skipped against each
 * broker, e.g. {@code Integration tests per broker: mosquitto 31 passed, 0 failed, 0 skipped;
 * hivemq 31 passed, 0 failed, 0 skipped}. Registered through
 * {@code META-INF/services/org.junit.platform.launcher.TestExecutionListener}; a test counts for
 * a broker by its display name ({@code [mosquitto]}, {@code [hivemq]}, see {@link BrokerContexts}).
 */
public final class BrokerSummaryListener implements TestExecutionListener {
    private enum Outcome { PASSED, FAILED, SKIPPED }

    private final Map<Broker.Kind, int[]> counts = new EnumMap<>(Broker.Kind.class);

    @Override
    public void testPlanExecutionStarted(TestPlan plan) {
        counts.clear();
    }

    @Override
    public synchronized void executionSkipped(TestIdentifier id, String reason) {
        count(id, Outcome.SKIPPED);
    }

    @Override
    public synchronized void executionFinished(TestIdentifier id, TestExecutionResult result) {
        count(id, switch (result.getStatus()) {
            case SUCCESSFUL -> Outcome.PASSED;
            case ABORTED -> Outcome.SKIPPED;
            case FAILED -> Outcome.FAILED;
        });
    }

    private void count(TestIdentifier id, Outcome outcome) {
        if (!id.isTest()) {
            return;
        }
        for (Broker.Kind k : Broker.Kind.values()) {
            if (id.getDisplayName().equals("[" + k.label() + "]")) {
                counts.computeIfAbsent(k, x -> new int[3])[outcome.ordinal()]++;
            }
        }
    }

    @Override
    public synchronized void testPlanExecutionFinished(TestPlan plan) {
        if (counts.isEmpty()) {
            return;
        }
        StringBuilder b = new StringBuilder("Integration tests per broker: ");
        String sep = "";
        for (Broker.Kind k : Broker.Kind.values()) {
            int[] c = counts.getOrDefault(k, new int[3]);
            b.append(sep).append(k.label()).append(' ')
                    .append(c[0]).append(" passed, ").append(c[1]).append(" failed, ").append(c[2]).append(" skipped");
            sep = "; ";
        }
        System.out.println(b);
    }
}
