package dev.mote.it.broker;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.opentest4j.TestAbortedException;

/** Runs each {@link BrokerTest} once against Mosquitto and once against HiveMQ. */
final class BrokerContexts implements TestTemplateInvocationContextProvider {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(BrokerContexts.class);

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return context.getTestMethod().map(m -> m.isAnnotationPresent(BrokerTest.class)).orElse(false);
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        return Stream.of(Broker.Kind.MOSQUITTO, Broker.Kind.HIVEMQ).map(Invocation::new);
    }

    static SharedBrokers shared(ExtensionContext context) {
        return context.getRoot().getStore(NS).getOrComputeIfAbsent(SharedBrokers.class);
    }

    /** One run of a scenario against one broker. */
    private record Invocation(Broker.Kind kind) implements TestTemplateInvocationContext {
        @Override
        public String getDisplayName(int invocationIndex) {
            return "[" + kind.label() + "]";
        }

        @Override
        public List<Extension> getAdditionalExtensions() {
            return List.of(new Availability(kind), new Resolver(kind), new Diagnostics());
        }
    }

    /** Skips the Mosquitto run where Mosquitto is not installed. */
    private record Availability(Broker.Kind kind) implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (kind == Broker.Kind.MOSQUITTO && !MosquittoBroker.isAvailable()) {
                return ConditionEvaluationResult.disabled(MosquittoBroker.MISSING);
            }
            return ConditionEvaluationResult.enabled(kind.label() + " is available");
        }
    }

    /** Supplies the broker and a test bed that is closed when the scenario ends. */
    private record Resolver(Broker.Kind kind) implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
            Class<?> t = p.getParameter().getType();
            return t == Broker.class || t == TestBed.class;
        }

        @Override
        public Object resolveParameter(ParameterContext p, ExtensionContext c) {
            TestBed bed = c.getStore(NS).getOrComputeIfAbsent(TestBed.class, k -> {
                SharedBrokers brokers = shared(c);
                Broker broker = kind == Broker.Kind.MOSQUITTO ? brokers.mosquitto() : brokers.hivemq();
                return new TestBed(broker, c.getRequiredTestMethod().getName());
            }, TestBed.class);
            return p.getParameter().getType() == Broker.class ? bed.broker() : bed;
        }
    }

    /** Attaches the broker's log tail to a failure, so a failed run says what the broker saw. */
    private static final class Diagnostics implements TestExecutionExceptionHandler {
        @Override
        public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
            TestBed bed = context.getStore(NS).get(TestBed.class, TestBed.class);
            if (bed != null && !(failure instanceof TestAbortedException)) {
                failure.addSuppressed(new BrokerLog(bed.diagnostics()));
            }
            throw failure;
        }
    }

    /** Carries broker diagnostics in a failure report. */
    static final class BrokerLog extends RuntimeException {
        BrokerLog(String text) {
            super(text, null, false, false);
        }
    }
}
