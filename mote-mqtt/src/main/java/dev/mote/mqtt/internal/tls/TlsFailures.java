package dev.mote.mqtt.internal.tls;

import dev.mote.mqtt.internal.tls.SslContexts.RejectedChainException;
import java.io.EOFException;
import java.net.SocketException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what the JDK throws when a TLS handshake or a TLS read fails into one plain sentence:
 * which certificate, which host, which alert, and what to do about it. It looks at exception
 * types first (the chain our trust manager attached, {@link CertPathValidatorException} reasons,
 * {@link CertificateExpiredException}) and falls back to the JDK's own messages only where the
 * JDK has no type for the case (host name mismatch, alerts received from the server).
 */
public final class TlsFailures {
    private static final Pattern ALERT = Pattern.compile("Received fatal alert: (\\w+)");

    private TlsFailures() {}

    /**
     * What the connection had asked for, to word the advice.
     *
     * @param clientCertificate the subject of the configured client certificate, or null
     */
    public record Context(String host, List<String> alpn, String clientCertificate, String trustSource) {
        boolean hasClientCertificate() {
            return clientCertificate != null;
        }
    }

    /**
     * Explains a failure during or right after the handshake, or returns null if it does not
     * look like a TLS failure (then the caller keeps the original message).
     */
    public static String explain(Throwable failure, Context ctx) {
        RejectedChainException rejected = find(failure, RejectedChainException.class);
        X509Certificate[] chain = rejected != null ? rejected.chain() : new X509Certificate[0];
        X509Certificate leaf = chain.length > 0 ? chain[0] : null;

        CertPathValidatorException pathFailure = find(failure, CertPathValidatorException.class);
        BasicReason reason = pathFailure != null && pathFailure.getReason() instanceof BasicReason r ? r : null;
        if (reason == BasicReason.EXPIRED || find(failure, CertificateExpiredException.class) != null) {
            X509Certificate which = failing(pathFailure, chain, true);
            if (which == null) {
                return "server certificate expired";
            }
            boolean isLeaf = which == leaf || (pathFailure != null && pathFailure.getIndex() == 0);
            return (isLeaf ? "server certificate expired: " : "a certificate in the server's chain expired: ")
                    + name(which) + " was valid until " + which.getNotAfter().toInstant();
        }
        if (reason == BasicReason.NOT_YET_VALID || find(failure, CertificateNotYetValidException.class) != null) {
            X509Certificate which = failing(pathFailure, chain, false);
            return "server certificate is not valid yet" + (which == null ? "" : ": " + name(which) + " is valid from "
                    + which.getNotBefore().toInstant()) + " (is this machine's clock right?)";
        }
        if (reason == BasicReason.REVOKED) {
            return "server certificate has been revoked" + (leaf == null ? "" : ": " + name(leaf));
        }
        String hostProblem = hostnameProblem(failure);
        if (hostProblem != null) {
            if (leaf == null) {
                return "the server certificate does not match host " + ctx.host() + " (" + hostProblem + ")";
            }
            return "certificate for " + String.join(", ", namesOf(leaf)) + " does not match host " + ctx.host();
        }
        if (find(failure, CertPathBuilderException.class) != null
                || (pathFailure != null && reason == null && String.valueOf(pathFailure.getMessage()).contains("trust anchor"))
                || messageContains(failure, "No trusted certificate found")) {
            String source = ctx.trustSource() == null ? "the trust store" : ctx.trustSource();
            if (leaf == null) {
                return "server certificate not trusted: it does not chain to a CA in " + source;
            }
            X509Certificate top = chain[chain.length - 1];
            return "server certificate not trusted: " + name(leaf) + " (issued by "
                    + top.getIssuerX500Principal().getName() + ") does not chain to a CA in " + source;
        }
        if (rejected != null) {
            return "server certificate rejected" + (leaf == null ? "" : " (" + name(leaf) + ")") + ": "
                    + rejected.getCause().getMessage();
        }

        String alert = alert(failure);
        if (alert != null) {
            return explainAlert(alert, ctx);
        }
        if (messageContains(failure, "Unsupported or unrecognized SSL message")
                || messageContains(failure, "plaintext connection")) {
            return "the server does not speak TLS (plain TCP broker on a TLS port?)";
        }
        if (ctx.hasClientCertificate() && find(failure, SocketException.class) != null) {
            // A TLS 1.3 server checks our certificate while we still write our last handshake
            // messages; when it refuses, its alert is lost behind "Broken pipe" or "Connection reset".
            return "the server closed the connection on receiving the client certificate (" + ctx.clientCertificate()
                    + "); it probably rejected it: check that the broker trusts the CA that issued it and accepts it "
                    + "for client authentication (" + failure.getMessage() + ")";
        }
        if (messageContains(failure, "Remote host terminated the handshake")
                || find(failure, EOFException.class) != null
                || (find(failure, SocketException.class) != null && messageContains(failure, "reset"))) {
            return "the server closed the connection during the handshake: it does not speak TLS, or it rejected "
                    + "this client without an alert (plain TCP broker on a TLS port?)";
        }
        return null;
    }

    /** Explains a fatal alert received after the handshake (a TLS 1.3 server judges the client certificate then). */
    public static String explainAfterHandshake(Throwable failure, Context ctx) {
        String alert = alert(failure);
        return alert == null ? null : explainAlert(alert, ctx);
    }

    static String explainAlert(String alert, Context ctx) {
        String clientCertHint = ctx.hasClientCertificate() ? ""
                : "; no client certificate is configured (TlsConfig.Builder.clientCertificate or clientPkcs12)";
        return switch (alert) {
            case "no_application_protocol" -> ctx.alpn().isEmpty()
                    ? "the server requires an ALPN protocol (TLS alert no_application_protocol); set one with "
                            + "TlsConfig.Builder.alpn(...), e.g. x-amzn-mqtt-ca for AWS IoT on port 443"
                    : "the server did not accept ALPN protocol " + String.join(", ", ctx.alpn())
                            + " (TLS alert no_application_protocol)";
            case "certificate_required" -> "the server requires a client certificate (TLS alert certificate_required)"
                    + clientCertHint;
            case "bad_certificate", "unsupported_certificate", "certificate_revoked", "certificate_expired",
                    "certificate_unknown", "unknown_ca", "access_denied", "decrypt_error" -> ctx.hasClientCertificate()
                    ? "the server rejected the client certificate " + ctx.clientCertificate() + " (TLS alert " + alert + ")"
                    : "the server refused this client (TLS alert " + alert + ")" + clientCertHint;
            case "handshake_failure" -> "the server refused the handshake (TLS alert handshake_failure): no TLS 1.2/1.3 "
                    + "cipher suite in common, or it requires a client certificate" + clientCertHint;
            case "protocol_version" -> "the server does not accept TLS 1.2 or 1.3 (TLS alert protocol_version)";
            case "unrecognized_name" -> "the server does not know the host name " + ctx.host()
                    + " sent in SNI (TLS alert unrecognized_name)";
            default -> "the server ended the TLS session with alert " + alert;
        };
    }

    private static String alert(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            Matcher m = ALERT.matcher(String.valueOf(t.getMessage()));
            if (m.find()) {
                return m.group(1);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    /** The JDK's host name checker has no exception type of its own; these are its messages. */
    private static String hostnameProblem(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.startsWith("No subject alternative") || m.startsWith("No name matching")) {
                return m;
            }
        }
        return null;
    }

    private static X509Certificate failing(CertPathValidatorException e, X509Certificate[] chain, boolean expired) {
        if (e != null && e.getCertPath() != null && e.getIndex() >= 0 && e.getIndex() < e.getCertPath().getCertificates().size()) {
            Certificate c = e.getCertPath().getCertificates().get(e.getIndex());
            if (c instanceof X509Certificate x) {
                for (X509Certificate mine : chain) {
                    if (mine.equals(x)) {
                        return mine;
                    }
                }
                return x;
            }
        }
        Date now = new Date();
        for (X509Certificate c : chain) {
            if (expired ? c.getNotAfter().before(now) : c.getNotBefore().after(now)) {
                return c;
            }
        }
        return null;
    }

    /** The subject's CN if it has one, else the whole subject. */
    static String name(X509Certificate c) {
        String dn = c.getSubjectX500Principal().getName();
        for (String part : dn.split(",")) {
            if (part.startsWith("CN=")) {
                return part.substring(3);
            }
        }
        return dn;
    }

    /** The DNS and IP names of the certificate's subjectAltName, or its CN if it has none. */
    static List<String> namesOf(X509Certificate c) {
        List<String> names = new ArrayList<>();
        try {
            if (c.getSubjectAlternativeNames() != null) {
                for (List<?> san : c.getSubjectAlternativeNames()) {
                    int type = (Integer) san.get(0);
                    if (type == 2 || type == 7) { // dNSName, iPAddress
                        names.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException ignored) {
            // fall back to the CN
        }
        if (names.isEmpty()) {
            names.add(name(c));
        }
        return names;
    }

    private static boolean messageContains(Throwable failure, String text) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains(text)) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}
