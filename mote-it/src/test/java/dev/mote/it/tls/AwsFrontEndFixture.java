package dev.mote.it.tls;

import org.junit.jupiter.api.BeforeAll;

/**
 * {@link TlsMosquittoFixture} with an ALPN front end that admits only {@value #AWS}, as AWS IoT
 * Core does on port 443, relaying to the broker (and closed with it).
 */
abstract class AwsFrontEndFixture extends TlsMosquittoFixture {
    static final String AWS = "x-amzn-mqtt-ca";

    static AlpnFrontEnd frontEnd;

    @BeforeAll
    static void startFrontEnd() throws Exception {
        frontEnd = broker.awsFrontEnd();
    }
}
