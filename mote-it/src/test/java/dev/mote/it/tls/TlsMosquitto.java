package dev.mote.it.tls;

import dev.mote.it.broker.MosquittoBroker;
import dev.mote.it.broker.Net;
import dev.mote.mqtt.internal.tls.TestPki;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One Mosquitto (the shared {@link MosquittoBroker} fixture) with a listener per TLS situation:
 * server-only TLS, mutual TLS, a certificate for the wrong host, an expired certificate, a
 * certificate from an untrusted CA, and plain TCP (the fixture's own listener).
 */
final class TlsMosquitto implements AutoCloseable {
    final int serverAuth = Net.freePort();
    final int mutual = Net.freePort();
    final int wrongHost = Net.freePort();
    final int expired = Net.freePort();
    final int untrusted = Net.freePort();
    final int plain;
    private final MosquittoBroker broker;
    private AlpnFrontEnd awsFrontEnd;

    /** The test CA and certificates the listeners use. */
    final TestPki pki;

    /**
     * Makes a test PKI under {@code dir} and starts the broker with it; skips the calling test
     * class (JUnit assumption) where openssl or mosquitto is missing.
     */
    static TlsMosquitto startWithPki(Path dir) throws Exception {
        assumeTrue(TestPki.available(), "openssl is not installed");
        assumeTrue(MosquittoBroker.isAvailable(), MosquittoBroker.MISSING);
        return new TlsMosquitto(new TestPki(dir.resolve("pki")));
    }

    private TlsMosquitto(TestPki pki) {
        this.pki = pki;
        Path d = pki.dir;
        Path ca = d.resolve("ca.pem");
        broker = MosquittoBroker.builder("tls")
                .listener(serverAuth, tls(ca, d, "server"))
                .listener(mutual, "cafile " + ca, "certfile " + d.resolve("server.pem"), "keyfile " + d.resolve("server.key"),
                        "require_certificate true")
                .listener(wrongHost, tls(ca, d, "wrong"))
                .listener(expired, tls(ca, d, "expired"))
                .listener(untrusted, tls(ca, d, "untrusted"))
                .start();
        plain = broker.port();
    }

    private static String[] tls(Path ca, Path dir, String name) {
        return new String[] {"cafile " + ca, "certfile " + dir.resolve(name + ".pem"), "keyfile " + dir.resolve(name + ".key")};
    }

    /**
     * A TLS front end on 443-style terms, as AWS IoT Core: it admits only ALPN
     * {@code x-amzn-mqtt-ca} and relays to the plain listener. Made on first use (from {@code @BeforeAll}), closed with the broker.
     */
    AlpnFrontEnd awsFrontEnd() throws Exception {
        if (awsFrontEnd == null) {
            awsFrontEnd = new AlpnFrontEnd(pki.serverP12, TestPki.P12_PASSWORD, "x-amzn-mqtt-ca", plain);
        }
        return awsFrontEnd;
    }

    String logText() {
        return broker.log();
    }

    @Override
    public void close() {
        try {
            if (awsFrontEnd != null) {
                awsFrontEnd.close();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            broker.close();
        }
    }
}
