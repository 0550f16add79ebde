package dev.mote.it.cloud;

import dev.mote.it.broker.MosquittoBroker;
import dev.mote.it.broker.Net;
import dev.mote.mqtt.internal.tls.TestPki;

/**
 * Mosquitto (the shared {@link MosquittoBroker} fixture) set up as a cloud broker is: a TLS
 * listener that requires a client certificate from the test CA and takes the certificate's CN as
 * the user name, and ACLs that let a device use only {@code dev/<its CN>/#} and the AWS
 * provisioning topics. The fixture's own plain listener is for the test's own clients (the
 * provisioning responder, an observer), which are anonymous and may use every topic.
 */
final class CloudMosquitto implements AutoCloseable {
    final int tls = Net.freePort();
    final int plain;
    private final MosquittoBroker broker;

    static boolean available() {
        return MosquittoBroker.isAvailable();
    }

    CloudMosquitto(TestPki pki) {
        broker = MosquittoBroker.builder("cloud")
                .file("acl", """
                        # anonymous clients (the test's responder and observer, on the plain listener)
                        topic readwrite #
                        topic readwrite $aws/#

                        # every certificate may use the provisioning topics, as a claim certificate's policy allows
                        pattern readwrite $aws/certificates/#
                        pattern readwrite $aws/provisioning-templates/#
                        # and its own device topics only
                        pattern readwrite dev/%u/#
                        """)
                .config("acl_file ${dir}/acl")
                .listener(tls, "cafile " + pki.caCert, "certfile " + pki.serverCert, "keyfile " + pki.serverKey,
                        "require_certificate true", "use_identity_as_username true")
                .start();
        plain = broker.port();
    }

    String log() {
        return broker.log();
    }

    @Override
    public void close() {
        broker.close();
    }
}
