package dev.mote.mqtt;

import java.util.List;
import java.util.Objects;

/**
 * Who a provisioned device is and where it connects: the broker endpoint, the client id, and the
 * TLS client identity (certificate and private key as PEM text, plus the CA to trust and the ALPN
 * protocols to offer). What an {@link IdentityStore} keeps and a provisioning step (such as
 * {@link AwsFleetProvisioning}) produces. {@link #toString()} never shows the private key.
 *
 * @param endpoint       the broker's host name (for AWS IoT, the account's ATS data endpoint)
 * @param port           the TLS port, e.g. 8883, or 443 with ALPN
 * @param clientId       the client id to connect with (for AWS IoT, often the thing name)
 * @param caPem          the CA certificates to trust, PEM; null trusts the JDK's default store
 * @param certificatePem the client certificate (then any intermediates), PEM
 * @param privateKeyPem  the client's private key, PEM (PKCS#8, PKCS#1 or SEC1), unencrypted
 * @param alpn           the ALPN protocols to offer, e.g. {@code x-amzn-mqtt-ca} on port 443; may be empty
 */
public record DeviceIdentity(String endpoint, int port, String clientId, String caPem, String certificatePem,
                             String privateKeyPem, List<String> alpn) {

    /** Checks the components: an invalid one is an {@link IllegalArgumentException} naming it. */
    public DeviceIdentity {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(certificatePem, "certificatePem");
        Objects.requireNonNull(privateKeyPem, "privateKeyPem");
        if (endpoint.isBlank()) {
            throw new IllegalArgumentException("the endpoint is empty");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("the port must be from 1 to 65535, not " + port);
        }
        alpn = alpn == null ? List.of() : List.copyOf(alpn);
    }

    /** The broker URL, {@code mqtts://endpoint:port}. */
    public String serverUri() {
        return "mqtts://" + (endpoint.indexOf(':') >= 0 ? "[" + endpoint + "]" : endpoint) + ":" + port;
    }

    /**
     * The TLS settings for this identity: trust {@link #caPem()} (or the JDK's store), present the
     * certificate and key, offer {@link #alpn()}.
     *
     * @throws IllegalArgumentException if a PEM cannot be parsed or the key does not match the certificate
     */
    public TlsConfig tlsConfig() {
        TlsConfig.Builder b = TlsConfig.builder();
        if (caPem != null) {
            b.trustPemText(caPem, "the CA of the identity of " + clientId);
        }
        b.clientCertificateText(certificatePem, privateKeyPem, "the identity of " + clientId);
        if (!alpn.isEmpty()) {
            b.alpn(alpn.toArray(String[]::new));
        }
        return b.build();
    }

    /** Options for connecting as this identity, fixed now; add more settings before {@code build()}. */
    public MqttOptions.Builder optionsBuilder() {
        return MqttOptions.builder(serverUri()).clientId(clientId).tls(tlsConfig());
    }

    /** The same identity with a new certificate and key (e.g. from provisioning). */
    public DeviceIdentity withCertificate(String newCertificatePem, String newPrivateKeyPem) {
        return new DeviceIdentity(endpoint, port, clientId, caPem, newCertificatePem, newPrivateKeyPem, alpn);
    }

    /** The same identity with another client id (e.g. the thing name provisioning assigned). */
    public DeviceIdentity withClientId(String newClientId) {
        return new DeviceIdentity(endpoint, port, newClientId, caPem, certificatePem, privateKeyPem, alpn);
    }

    /** Never shows the private key. */
    @Override
    public String toString() {
        return "DeviceIdentity[" + serverUri() + ", clientId=" + clientId + (caPem != null ? ", own CA" : "")
                + (alpn.isEmpty() ? "" : ", alpn=" + alpn) + ", privateKey=<hidden>]";
    }
}
