package dev.mote.it.tls;

import dev.mote.mqtt.internal.tls.TestPki;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** A Mosquitto with TLS listeners and a PKI of its own, one per test class that extends this. */
abstract class TlsMosquittoFixture {
    @TempDir
    static Path dir;
    static TestPki pki;
    static TlsMosquitto broker;

    @BeforeAll
    static void startTlsMosquitto() throws Exception {
        broker = TlsMosquitto.startWithPki(dir);
        pki = broker.pki;
    }

    @AfterAll
    static void stopTlsMosquitto() throws Exception {
        if (broker != null) {
            broker.close(); // and the front ends made by broker.awsFrontEnd()
        }
    }
}
