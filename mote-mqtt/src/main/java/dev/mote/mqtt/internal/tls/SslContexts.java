package dev.mote.mqtt.internal.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Builds the JDK objects TLS needs from what the user gave: a trust manager over the JDK's
 * default trust store or over given CA certificates, a key manager for one client identity, and
 * the {@link SSLContext} that joins them.
 */
public final class SslContexts {
    /** The only protocol versions Mote offers. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private SslContexts() {}

    /** A client key and its certificate chain, leaf first. */
    public record Identity(PrivateKey key, X509Certificate[] chain) {}

    /** An in-memory trust store holding {@code certs} as trusted certificates. */
    public static KeyStore trustStore(List<X509Certificate> certs) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (X509Certificate c : certs) {
                ks.setCertificateEntry("ca-" + (i++), c);
            }
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot create an in-memory key store", e);
        }
    }

    /** The trusted certificates of a key store (its certificate entries). */
    public static List<X509Certificate> trustedCertificates(KeyStore ks) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.isCertificateEntry(alias) && ks.getCertificate(alias) instanceof X509Certificate c) {
                    out.add(c);
                }
            }
        } catch (KeyStoreException e) {
            throw new IllegalArgumentException("the trust store cannot be read: " + e.getMessage());
        }
        return out;
    }

    /**
     * A PKIX trust manager over {@code trusted}, or over the JDK's default trust store (which
     * honours {@code javax.net.ssl.trustStore}) if it is null; wrapped so a rejected server chain
     * travels with the exception and can be described.
     */
    public static X509ExtendedTrustManager trustManager(KeyStore trusted) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trusted);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return new ExplainingTrustManager(x);
                }
            }
            throw new IllegalStateException("the JDK's PKIX trust manager factory made no X509ExtendedTrustManager");
        } catch (KeyStoreException e) {
            throw new IllegalArgumentException("the trust store cannot be used: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no PKIX trust manager", e);
        }
    }

    /** A context for TLS client connections; {@code keyManager} may be null (no client certificate). */
    public static SSLContext context(X509ExtendedKeyManager keyManager, X509ExtendedTrustManager trustManager) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keyManager == null ? null : new KeyManager[] {keyManager}, new TrustManager[] {trustManager}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot create a TLS context", e);
        }
    }

    /** Reads the one key entry of a PKCS#12 file. */
    public static Identity pkcs12(Path file, char[] password) {
        byte[] bytes = Pem.readBytes(file);
        KeyStore ks;
        try {
            ks = KeyStore.getInstance("PKCS12");
            ks.load(new ByteArrayInputStream(bytes), password);
        } catch (IOException e) {
            boolean badPassword = e.getCause() instanceof UnrecoverableKeyException
                    || String.valueOf(e.getMessage()).contains("password");
            throw new IllegalArgumentException(file + (badPassword
                    ? ": wrong password for the PKCS#12 file"
                    : " is not a readable PKCS#12 file (" + e.getMessage() + ")"));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + " is not a readable PKCS#12 file (" + e.getMessage() + ")");
        }
        try {
            List<String> keyAliases = new ArrayList<>();
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(alias)) {
                    keyAliases.add(alias);
                }
            }
            if (keyAliases.isEmpty()) {
                throw new IllegalArgumentException(file + " has no private key entry (only certificates)");
            }
            if (keyAliases.size() > 1) {
                throw new IllegalArgumentException(file + " has " + keyAliases.size() + " private keys " + keyAliases + "; expected one");
            }
            String alias = keyAliases.get(0);
            if (!(ks.getKey(alias, password) instanceof PrivateKey key)) {
                throw new IllegalArgumentException(file + ": entry " + alias + " is not a private key");
            }
            Certificate[] certs = ks.getCertificateChain(alias);
            if (certs == null || certs.length == 0) {
                throw new IllegalArgumentException(file + ": the private key has no certificate");
            }
            X509Certificate[] chain = new X509Certificate[certs.length];
            for (int i = 0; i < certs.length; i++) {
                chain[i] = (X509Certificate) certs[i];
            }
            Pem.checkKeyMatches(key, List.of(chain), file.toString(), file.toString());
            return new Identity(key, chain);
        } catch (UnrecoverableKeyException e) {
            throw new IllegalArgumentException(file + ": the private key cannot be recovered with this password");
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + " cannot be read (" + e.getMessage() + ")");
        }
    }

    /**
     * A key manager that always offers its one identity when the key type fits, whatever CA
     * names the server lists (as OpenSSL clients do): servers such as AWS IoT accept device
     * certificates from CAs they do not name in the CertificateRequest.
     */
    public static X509ExtendedKeyManager keyManager(Identity identity) {
        return new SingleKeyManager(identity);
    }

    private static final class SingleKeyManager extends X509ExtendedKeyManager {
        private static final String ALIAS = "mote-client";
        private final Identity identity;
        private final String family;

        SingleKeyManager(Identity identity) {
            this.identity = identity;
            this.family = family(identity.key().getAlgorithm());
        }

        private static String family(String algorithm) {
            return switch (algorithm) {
                case "Ed25519", "Ed448", "EdDSA" -> "EdDSA";
                default -> algorithm;
            };
        }

        private String choose(String[] keyTypes) {
            if (keyTypes == null) {
                return ALIAS;
            }
            for (String t : keyTypes) {
                if (t != null && family(t).equals(family)) {
                    return ALIAS;
                }
            }
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return choose(keyType);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return choose(keyType);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return choose(new String[] {keyType}) == null ? null : new String[] {ALIAS};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? identity.chain().clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? identity.key() : null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }

    /** Thrown by the trust manager with the server's chain, so the failure can name the certificate. */
    public static final class RejectedChainException extends CertificateException {
        private final transient X509Certificate[] chain;

        RejectedChainException(X509Certificate[] chain, CertificateException cause) {
            super(cause.getMessage(), cause);
            this.chain = chain == null ? new X509Certificate[0] : chain.clone();
        }

        public X509Certificate[] chain() {
            return chain.clone();
        }
    }

    private static final class ExplainingTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;

        ExplainingTrustManager(X509ExtendedTrustManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            try {
                delegate.checkServerTrusted(chain, authType, socket);
            } catch (CertificateException e) {
                throw new RejectedChainException(chain, e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            try {
                delegate.checkServerTrusted(chain, authType, engine);
            } catch (CertificateException e) {
                throw new RejectedChainException(chain, e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                delegate.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                throw new RejectedChainException(chain, e);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            delegate.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }
}
