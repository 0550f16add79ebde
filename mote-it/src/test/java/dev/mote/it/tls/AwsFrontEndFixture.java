package dev.mote.it.tls;

import dev.mote.mqtt.internal.tls.TestPki;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TLS Mosquitto with its own PKI and, in front of it, an ALPN front end that admits only
 * {@value #AWS} as AWS IoT Core does on port 443; one per test class that extends this.
 */
abstract class AwsFrontEndFixture {
    static final String AWS = "x-amzn-mqtt-ca";

    @TempDir
    static Path dir;
    static TestPki pki;
    static TlsMosquitto broker;
    static AlpnFrontEnd frontEnd;

    @BeforeAll
    static void startBrokerAndFrontEnd() throws Exception {
        broker = TlsMosquitto.startWithPki(dir);
        pki = broker.pki;
        frontEnd = broker.awsFrontEnd();
    }

    @AfterAll
    static void stopBrokerAndFrontEnd() throws Exception {
        // the front end closes with the broker
        if (broker != null) {
            broker.close();
        }
    }
}
