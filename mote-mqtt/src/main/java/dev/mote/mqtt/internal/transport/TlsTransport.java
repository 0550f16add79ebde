package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.TlsConfig;
import dev.mote.mqtt.internal.tls.SslContexts;
import dev.mote.mqtt.internal.tls.TlsFailures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * TLS over TCP with the JDK's {@link SSLSocket}.
 *
 * <p>Why {@code SSLSocket} and not {@code SSLEngine} over the {@code SocketChannel}: in JDK 21 the
 * socket's locks are {@code java.util.concurrent} locks and its plain socket parks a blocked
 * virtual thread instead of pinning its carrier, so it costs what {@link TcpTransport} costs on our
 * reader and writer threads. It already allows one reader and one writer at the same time, and it
 * handles TLS 1.3 post-handshake messages (session tickets, key updates) and close_notify itself.
 * With {@code SSLEngine} we would write the wrap/unwrap loops and coordinate reader and writer for
 * those messages ourselves: more code and more ways to be wrong, for no gain at MQTT's rates.
 *
 * <p>The handshake happens in {@link #connect}, bounded by what is left of the connect timeout
 * ({@code SO_TIMEOUT} during the handshake, cleared after). Failures become an
 * {@link SSLHandshakeException} (or a {@link SocketTimeoutException}) whose message says plainly
 * what went wrong; the JDK's exception is the cause.
 */
public final class TlsTransport implements Transport {
    private static final int CHUNK = 16 * 1024; // the largest TLS record payload
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final Socket plain;
    private final SSLSocket ssl;
    private final InputStream in;
    private final OutputStream out;
    private final String description;
    private final String applicationProtocol;
    private final TlsFailures.Context context;
    private final byte[] readChunk = new byte[CHUNK];
    private final byte[] writeChunk = new byte[CHUNK];
    /** Writes in progress; close sends close_notify only when none is, so it cannot wait behind a stuck write. */
    private final AtomicInteger writing = new AtomicInteger();
    private volatile boolean closed;
    /** Counted down when a read fails or ends; {@link #alertReceived} then says why, if it was an alert from the server. */
    private final CountDownLatch readFailed = new CountDownLatch(1);
    private volatile String alertReceived;

    private TlsTransport(Socket plain, SSLSocket ssl, String description, TlsFailures.Context context) throws IOException {
        this.plain = plain;
        this.ssl = ssl;
        this.in = ssl.getInputStream();
        this.out = ssl.getOutputStream();
        this.description = description;
        String ap = ssl.getApplicationProtocol();
        this.applicationProtocol = ap == null || ap.isEmpty() ? null : ap;
        this.context = context;
    }

    /**
     * Connects to {@code host:port} and completes the TLS handshake, all within {@code timeout}.
     *
     * @throws SSLHandshakeException  if the handshake fails; the message says why
     * @throws SocketTimeoutException if the TCP connection or the handshake took too long
     * @throws IOException            if the host cannot be resolved or reached
     */
    public static TlsTransport connect(String host, int port, TlsConfig tls, Duration timeout) throws IOException {
        return connect(host, port, tls, true, timeout);
    }

    /** As {@link #connect(String, int, TlsConfig, Duration)}; {@code offerAlpn} false leaves out the TlsConfig's ALPN (for WebSocket). */
    static TlsTransport connect(String host, int port, TlsConfig tls, boolean offerAlpn, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Socket plain = new Socket();
        try {
            plain.setTcpNoDelay(true);
            plain.setKeepAlive(true);
            InetSocketAddress address = new InetSocketAddress(host, port);
            if (address.isUnresolved()) {
                throw new IOException("cannot resolve host " + host);
            }
            int millis = millisLeft(deadline);
            try {
                plain.connect(address, millis);
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("no TCP connection to " + host + ":" + port + " within " + millis + " ms");
            }
            return handshake(plain, host, port, tls, offerAlpn, deadline, timeout, "");
        } catch (IOException | RuntimeException e) {
            closeQuietly(plain);
            throw e;
        }
    }

    /**
     * Completes the TLS handshake with {@code host:port} over a socket that is already connected
     * to it (a tunnel through a proxy), by {@code deadline}; closes the socket on failure.
     * {@code via} is appended to the description.
     */
    static TlsTransport over(Socket connected, String host, int port, TlsConfig tls, long deadline, Duration timeout, String via)
            throws IOException {
        return over(connected, host, port, tls, true, deadline, timeout, via);
    }

    /** As {@link #over(Socket, String, int, TlsConfig, long, Duration, String)}; {@code offerAlpn} false leaves out ALPN (for WebSocket). */
    static TlsTransport over(Socket connected, String host, int port, TlsConfig tls, boolean offerAlpn, long deadline,
                             Duration timeout, String via) throws IOException {
        try {
            return handshake(connected, host, port, tls, offerAlpn, deadline, timeout, via);
        } catch (IOException | RuntimeException e) {
            closeQuietly(connected);
            throw e;
        }
    }

    private static TlsTransport handshake(Socket plain, String host, int port, TlsConfig tls, boolean offerAlpn, long deadline,
                                          Duration timeout, String via) throws IOException {
        SSLSocket ssl = (SSLSocket) tls.sslContext().getSocketFactory().createSocket(plain, host, port, true);
        ssl.setUseClientMode(true);
        ssl.setSSLParameters(parameters(ssl, host, tls, offerAlpn));
        String clientSubject = tls.clientCertificate().map(c -> c.getSubjectX500Principal().getName()).orElse(null);
        TlsFailures.Context ctx = new TlsFailures.Context(host, offerAlpn ? tls.alpn() : List.of(), clientSubject, tls.describeTrust());
        String peer = host + ":" + port;
        try {
            ssl.setSoTimeout(millisLeft(deadline));
            ssl.startHandshake();
            ssl.setSoTimeout(0);
        } catch (IOException e) {
            closeQuietly(ssl);
            if (isTimeout(e)) {
                SocketTimeoutException t = new SocketTimeoutException("TLS handshake with " + peer + " did not finish within "
                        + timeout.toMillis() + " ms of connecting");
                t.initCause(e);
                throw t;
            }
            String why = TlsFailures.explain(e, ctx);
            SSLHandshakeException h = new SSLHandshakeException("TLS handshake with " + peer + " failed: "
                    + (why != null ? why : e.getMessage()));
            h.initCause(e);
            throw h;
        }
        return new TlsTransport(plain, ssl, "mqtts://" + peer + " (" + ssl.getSession().getProtocol() + ")" + via, ctx);
    }

    static SSLParameters parameters(SSLSocket ssl, String host, TlsConfig tls, boolean offerAlpn) throws SSLException {
        SSLParameters p = ssl.getSSLParameters();
        List<String> supported = Arrays.asList(ssl.getSupportedProtocols());
        List<String> protocols = new ArrayList<>();
        for (String v : SslContexts.PROTOCOLS) {
            if (supported.contains(v)) {
                protocols.add(v);
            }
        }
        if (protocols.isEmpty()) {
            throw new SSLException("the SSLContext supports neither TLSv1.3 nor TLSv1.2: " + supported);
        }
        p.setProtocols(protocols.toArray(new String[0]));
        p.setEndpointIdentificationAlgorithm(tls.hostnameVerification() ? "HTTPS" : null);
        if (!isIpLiteral(host)) {
            String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
            try {
                p.setServerNames(List.of(new SNIHostName(name)));
            } catch (IllegalArgumentException e) {
                // Not a valid DNS name for SNI (e.g. an underscore): connect without SNI.
                p.setServerNames(List.of());
            }
        } else {
            p.setServerNames(List.of()); // RFC 6066 section 3: no IP addresses in SNI
        }
        if (offerAlpn && !tls.alpn().isEmpty()) {
            p.setApplicationProtocols(tls.alpn().toArray(new String[0]));
        }
        return p;
    }

    static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || IPV4.matcher(host).matches();
    }

    private static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static int millisLeft(long deadline) {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, left));
    }

    @Override
    public int bytesBuffered() {
        try {
            // Decrypted bytes waiting in the TLS layer, then whatever the socket holds; the TLS layer
            // reads one record at a time, so no whole record waits in between.
            return in.available() + plain.getInputStream().available();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        try {
            if (dst.hasArray()) {
                int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
                if (n > 0) {
                    dst.position(dst.position() + n);
                } else if (n < 0) {
                    readFailed.countDown();
                }
                return n;
            }
            int n = in.read(readChunk, 0, Math.min(readChunk.length, dst.remaining()));
            if (n > 0) {
                dst.put(readChunk, 0, n);
            } else if (n < 0) {
                readFailed.countDown();
            }
            return n;
        } catch (IOException e) {
            String why = e instanceof SSLException ? TlsFailures.explainAfterHandshake(e, context) : null;
            alertReceived = why;
            readFailed.countDown();
            if (why == null) {
                throw e;
            }
            SSLException x = new SSLException(why);
            x.initCause(e);
            throw x;
        }
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        writing.incrementAndGet();
        try {
            if (closed) {
                throw new java.net.SocketException("the TLS connection is closed");
            }
            if (src.hasArray()) {
                out.write(src.array(), src.arrayOffset() + src.position(), src.remaining());
                src.position(src.limit());
                return;
            }
            while (src.hasRemaining()) {
                int n = Math.min(writeChunk.length, src.remaining());
                src.get(writeChunk, 0, n);
                out.write(writeChunk, 0, n);
            }
        } catch (SSLException e) {
            throw explained(e);
        } catch (IOException e) {
            throw alertBehind(e);
        } finally {
            writing.decrementAndGet();
        }
    }

    /**
     * A TLS 1.3 server judges the client certificate after the client's handshake is over, then
     * sends an alert and closes; our next write fails with "Broken pipe" while the alert that says
     * why waits in the receive buffer for the reader. Give the reader a moment to find it, so the
     * connection fails with the reason and not with the symptom.
     */
    private IOException alertBehind(IOException writeFailure) {
        if (closed) {
            return writeFailure;
        }
        try {
            if (readFailed.await(250, TimeUnit.MILLISECONDS) && alertReceived != null) {
                return new SSLException(alertReceived, writeFailure);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return writeFailure;
    }

    /** An alert after the handshake (a TLS 1.3 server rejects a client certificate then), in plain words. */
    private SSLException explained(SSLException e) {
        String why = TlsFailures.explainAfterHandshake(e, context);
        if (why == null) {
            return e;
        }
        SSLException x = new SSLException(why);
        x.initCause(e);
        return x;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public String applicationProtocol() {
        return applicationProtocol;
    }

    @Override
    public void shutdownOutput() throws IOException {
        ssl.shutdownOutput(); // close_notify, then the TCP half-close
    }

    /** The TLS version agreed, e.g. {@code TLSv1.3}. */
    String protocol() {
        return ssl.getSession().getProtocol();
    }

    /**
     * Sends close_notify when no write is stuck (the JDK's close would wait for the writer's lock),
     * then closes the TCP socket, which unblocks a reader and a writer in any case.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (writing.get() == 0) {
            closeQuietly(ssl);
        }
        closeQuietly(plain);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // the connection is gone either way
        }
    }
}
