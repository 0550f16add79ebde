package dev.mote.it.broker;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A scenario run once per broker, shown as {@code [mosquitto]} and {@code [hivemq]}. The method
 * takes a {@link TestBed} (and may take the {@link Broker} too); the test bed closes every client,
 * proxy and extra broker the scenario made once it ends.
 *
 * <p>The Mosquitto run is skipped, with a message saying so, where Mosquitto is not installed.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(BrokerContexts.class)
public @interface BrokerTest {
}
