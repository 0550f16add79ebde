package dev.mote.it.ws;

import dev.mote.it.broker.MosquittoBroker;
import dev.mote.it.broker.Net;

/**
 * Mosquitto (the shared {@link MosquittoBroker} fixture) with its plain TCP listener and a TLS
 * listener with the WebSocket tests' certificates, for the proxy tests.
 */
final class WsMosquitto implements AutoCloseable {
    final int tcp;
    final int tls = Net.freePort();
    private final MosquittoBroker broker;

    static boolean available() {
        return MosquittoBroker.isAvailable();
    }

    WsMosquitto(WsPki pki) {
        broker = MosquittoBroker.builder("ws-proxy")
                .listener(tls, "cafile " + pki.caCert, "certfile " + pki.serverCert, "keyfile " + pki.serverKey)
                .start();
        tcp = broker.port();
    }

    String logText() {
        return broker.log();
    }

    @Override
    public void close() {
        broker.close();
    }
}
