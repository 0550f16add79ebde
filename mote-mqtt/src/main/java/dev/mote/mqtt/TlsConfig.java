package dev.mote.mqtt;

import dev.mote.mqtt.internal.tls.Pem;
import dev.mote.mqtt.internal.tls.SslContexts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * How to secure an {@code mqtts://} connection: whom to trust, who the client is, and which
 * application protocol (ALPN) to ask for. Immutable; made with {@link #builder()}. An
 * {@code mqtts://} URL without {@link MqttOptions.Builder#tls(TlsConfig)} uses {@link #defaults()}.
 *
 * <p>Defaults, which only the loudly named methods change: TLS 1.3 and 1.2 only; the server's
 * certificate must chain to the JDK's default trust store (or to the CAs you give) and must name
 * the host of the URL (HTTPS-style host name verification); SNI carries the host name (not for IP
 * addresses); no client certificate; no ALPN.
 *
 * <pre>{@code
 * // AWS IoT Core with a device certificate on port 443:
 * TlsConfig tls = TlsConfig.builder()
 *         .trustPem(Path.of("AmazonRootCA1.pem"))
 *         .clientCertificate(Path.of("device.pem.crt"), Path.of("private.pem.key"))
 *         .alpn("x-amzn-mqtt-ca")
 *         .build();
 * MqttOptions options = MqttOptions.builder("mqtts://abc123-ats.iot.eu-west-1.amazonaws.com:443")
 *         .clientId("sensor-17").tls(tls).build();
 * }</pre>
 *
 * <p>Files are read when the builder method is called, and every problem is an
 * {@link IllegalArgumentException} right there that names the file and what is wrong with it (not
 * a PEM file, no certificate in it, a key that does not belong to the certificate, a wrong PKCS#12
 * password), never a failure at handshake time.
 */
public final class TlsConfig {
    private final SSLContext sslContext;
    private final List<String> alpn;
    private final boolean hostnameVerification;
    private final X509Certificate clientCertificate;
    private final String trust;

    private TlsConfig(SSLContext sslContext, List<String> alpn, boolean hostnameVerification,
                      X509Certificate clientCertificate, String trust) {
        this.sslContext = sslContext;
        this.alpn = alpn;
        this.hostnameVerification = hostnameVerification;
        this.clientCertificate = clientCertificate;
        this.trust = trust;
    }

    /** Starts a configuration; with nothing set it equals {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The JDK's default trust store (which honours {@code -Djavax.net.ssl.trustStore}), host
     * name verification on, no client certificate, no ALPN.
     */
    public static TlsConfig defaults() {
        return new Builder().build();
    }

    /** The context connections are made with: the one given to the builder, or one built from its settings. */
    public SSLContext sslContext() {
        return sslContext;
    }

    /** The ALPN protocols offered, in order of preference; empty if none. */
    public List<String> alpn() {
        return alpn;
    }

    /** This configuration offering {@code protocols} in ALPN instead (used by {@link CloudProfile}s). */
    TlsConfig withAlpn(List<String> protocols) {
        return new TlsConfig(sslContext, List.copyOf(protocols), hostnameVerification, clientCertificate, trust);
    }

    /** True unless {@link Builder#dangerouslyDisableHostnameVerification()} was called. */
    public boolean hostnameVerification() {
        return hostnameVerification;
    }

    /** The client certificate set with {@code clientCertificate} or {@code clientPkcs12}, if any. */
    public Optional<X509Certificate> clientCertificate() {
        return Optional.ofNullable(clientCertificate);
    }

    /** In words, what the server's certificate is checked against, e.g. "CA certificates from ca.pem". */
    public String describeTrust() {
        return trust;
    }

    @Override
    public String toString() {
        return "TlsConfig[trust=" + trust
                + (clientCertificate != null ? ", client=" + clientCertificate.getSubjectX500Principal().getName() : "")
                + (alpn.isEmpty() ? "" : ", alpn=" + alpn)
                + (hostnameVerification ? "" : ", HOSTNAME VERIFICATION DISABLED") + "]";
    }

    /** Builds a {@link TlsConfig}; file-reading methods read and check their files at once. */
    public static final class Builder {
        private final List<X509Certificate> trusted = new ArrayList<>();
        private final List<String> trustSources = new ArrayList<>();
        private SSLContext sslContext;
        private SslContexts.Identity identity;
        private String identitySource;
        private List<String> alpn = List.of();
        private boolean hostnameVerification = true;

        private Builder() {}

        /**
         * Trusts the CA certificates in a PEM file (one certificate or a bundle of several;
         * text between the blocks is ignored). May be called for several files. Trusting
         * anything this way replaces the JDK's default trust store.
         *
         * @throws IllegalArgumentException if the file cannot be read, is not PEM or holds no certificate
         */
        public Builder trustPem(Path caCertificatesPem) {
            Objects.requireNonNull(caCertificatesPem, "caCertificatesPem");
            List<X509Certificate> certs = Pem.certificates(caCertificatesPem);
            trusted.addAll(certs);
            trustSources.add(caCertificatesPem + (certs.size() > 1 ? " (" + certs.size() + " certificates)" : ""));
            return this;
        }

        /**
         * Trusts the CA certificates in PEM text (one or a bundle), as {@link #trustPem(Path)} does
         * for a file: for certificates held in memory, an environment variable or an
         * {@link IdentityStore}. {@code source} names the text in error messages.
         *
         * @throws IllegalArgumentException if the text is not PEM or holds no certificate
         */
        public Builder trustPemText(String caCertificatesPem, String source) {
            Objects.requireNonNull(caCertificatesPem, "caCertificatesPem");
            Objects.requireNonNull(source, "source");
            List<X509Certificate> certs = Pem.certificates(caCertificatesPem, source);
            trusted.addAll(certs);
            trustSources.add(source + (certs.size() > 1 ? " (" + certs.size() + " certificates)" : ""));
            return this;
        }

        /**
         * Trusts the certificate entries of a key store (they are copied now). Replaces the JDK's
         * default trust store, like {@link #trustPem(Path)}, and adds to the certificates given there.
         *
         * @throws IllegalArgumentException if the store has no certificate entry
         */
        public Builder trustStore(KeyStore trustStore) {
            Objects.requireNonNull(trustStore, "trustStore");
            List<X509Certificate> certs = SslContexts.trustedCertificates(trustStore);
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("the trust store (" + trustStore.getType()
                        + ") has no trusted certificate entries");
            }
            trusted.addAll(certs);
            trustSources.add("a " + trustStore.getType() + " key store (" + certs.size() + " certificates)");
            return this;
        }

        /**
         * Uses your own {@link SSLContext} for trust and client identity (for a hardware key, a
         * custom trust manager, ...). Cannot be combined with the trust and client-certificate
         * methods; protocols (TLS 1.3/1.2), host name verification, SNI and ALPN are still applied
         * per connection.
         */
        public Builder sslContext(SSLContext context) {
            Objects.requireNonNull(context, "context");
            List<String> supported = Arrays.asList(context.getSupportedSSLParameters().getProtocols());
            if (SslContexts.PROTOCOLS.stream().noneMatch(supported::contains)) {
                throw new IllegalArgumentException("the SSLContext (" + context.getProtocol()
                        + ") supports neither TLSv1.3 nor TLSv1.2: " + supported);
            }
            this.sslContext = context;
            return this;
        }

        /**
         * The client's certificate chain and private key for mutual TLS, both PEM files (they may
         * be the same file). The certificate file holds the client certificate first, then any
         * intermediate CA certificates. The key may be PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1
         * RSA ({@code BEGIN RSA PRIVATE KEY}) or SEC1 EC ({@code BEGIN EC PRIVATE KEY}), unencrypted.
         *
         * @throws IllegalArgumentException if a file cannot be read or parsed, or the key does not
         *                                  belong to the first certificate
         */
        public Builder clientCertificate(Path certificateChainPem, Path privateKeyPem) {
            Objects.requireNonNull(certificateChainPem, "certificateChainPem");
            Objects.requireNonNull(privateKeyPem, "privateKeyPem");
            checkNoIdentity();
            List<X509Certificate> chain = Pem.certificates(certificateChainPem);
            PrivateKey key = Pem.privateKey(privateKeyPem);
            Pem.checkKeyMatches(key, chain, privateKeyPem.toString(), certificateChainPem.toString());
            this.identity = new SslContexts.Identity(key, chain.toArray(new X509Certificate[0]));
            this.identitySource = certificateChainPem.toString();
            return this;
        }

        /**
         * The client's certificate chain and private key as PEM text, as
         * {@link #clientCertificate(Path, Path)} does for files; {@code source} names them in error
         * messages (never the key's content).
         *
         * @throws IllegalArgumentException if the text cannot be parsed or the key does not belong
         *                                  to the first certificate
         */
        public Builder clientCertificateText(String certificateChainPem, String privateKeyPem, String source) {
            Objects.requireNonNull(certificateChainPem, "certificateChainPem");
            Objects.requireNonNull(privateKeyPem, "privateKeyPem");
            Objects.requireNonNull(source, "source");
            checkNoIdentity();
            List<X509Certificate> chain = Pem.certificates(certificateChainPem, source + " certificate");
            PrivateKey key = Pem.privateKey(privateKeyPem, source + " private key");
            Pem.checkKeyMatches(key, chain, source + " private key", source + " certificate");
            this.identity = new SslContexts.Identity(key, chain.toArray(new X509Certificate[0]));
            this.identitySource = source;
            return this;
        }

        /**
         * The client's certificate and key for mutual TLS from a PKCS#12 file holding one key entry.
         * The password is used now and not kept.
         *
         * @throws IllegalArgumentException if the file cannot be read, the password is wrong, or it
         *                                  holds no (or more than one) private key
         */
        public Builder clientPkcs12(Path pkcs12, char[] password) {
            Objects.requireNonNull(pkcs12, "pkcs12");
            Objects.requireNonNull(password, "password");
            checkNoIdentity();
            this.identity = SslContexts.pkcs12(pkcs12, password);
            this.identitySource = pkcs12.toString();
            return this;
        }

        private void checkNoIdentity() {
            if (identity != null) {
                throw new IllegalArgumentException("a client certificate is already set (from " + identitySource
                        + "); a connection presents one");
            }
        }

        /**
         * Offers these application protocols in the TLS handshake (ALPN, RFC 7301), most preferred
         * first, e.g. {@code "x-amzn-mqtt-ca"} for AWS IoT Core on port 443. The one the server chose
         * is {@link MqttClient#alpnProtocol()}. A server that accepts none of them fails the
         * connection with a message saying so.
         */
        public Builder alpn(String... protocols) {
            Objects.requireNonNull(protocols, "protocols");
            if (protocols.length == 0) {
                throw new IllegalArgumentException("alpn needs at least one protocol name");
            }
            List<String> list = new ArrayList<>();
            for (String p : protocols) {
                Objects.requireNonNull(p, "ALPN protocol");
                int bytes = p.getBytes(StandardCharsets.UTF_8).length;
                if (bytes == 0 || bytes > 255) {
                    throw new IllegalArgumentException("an ALPN protocol name is 1 to 255 bytes, not " + bytes + ": \"" + p + "\"");
                }
                if (list.contains(p)) {
                    throw new IllegalArgumentException("ALPN protocol " + p + " is listed twice");
                }
                list.add(p);
            }
            this.alpn = List.copyOf(list);
            return this;
        }

        /**
         * Accepts a server certificate that does not name the host of the URL (the chain is still
         * checked against the trust store). This lets anyone holding any certificate from your
         * CA impersonate the broker: use it only for test rigs, never in production.
         */
        public Builder dangerouslyDisableHostnameVerification() {
            this.hostnameVerification = false;
            return this;
        }

        /** Checks the combination and builds the {@link SSLContext}. */
        public TlsConfig build() {
            if (sslContext != null) {
                if (!trusted.isEmpty() || identity != null) {
                    throw new IllegalArgumentException("sslContext(...) already decides trust and client identity; "
                            + "do not combine it with trustPem, trustStore, clientCertificate or clientPkcs12");
                }
                return new TlsConfig(sslContext, alpn, hostnameVerification, null, "the trust managers of the given SSLContext");
            }
            String trust;
            KeyStore store = null;
            if (trusted.isEmpty()) {
                String prop = System.getProperty("javax.net.ssl.trustStore");
                trust = prop == null || prop.isEmpty() ? "the JDK's default trust store" : "the trust store " + prop;
            } else {
                store = SslContexts.trustStore(trusted);
                trust = "CA certificates from " + String.join(", ", trustSources);
            }
            X509ExtendedKeyManager km = identity == null ? null : SslContexts.keyManager(identity);
            SSLContext ctx = SslContexts.context(km, SslContexts.trustManager(store));
            return new TlsConfig(ctx, alpn, hostnameVerification, identity == null ? null : identity.chain()[0], trust);
        }
    }
}
