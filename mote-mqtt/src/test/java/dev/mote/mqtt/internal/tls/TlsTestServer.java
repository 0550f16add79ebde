package dev.mote.mqtt.internal.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A TLS server in the test JVM, made with the JDK only (not with the code under test): it
 * presents a certificate from a PKCS#12 file, may choose an ALPN protocol, records the SNI names
 * and ALPN protocol of each connection, and echoes what it reads (or only reads, or stays silent).
 */
final class TlsTestServer implements AutoCloseable {
    enum Mode { ECHO, READ_ONLY, NEVER_READ }

    final ServerSocket server;
    final List<String> sniNames = new CopyOnWriteArrayList<>();
    final List<String> alpnChosen = new CopyOnWriteArrayList<>();
    final List<String> protocols = new CopyOnWriteArrayList<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    TlsTestServer(Path p12, Mode mode, String[] enabledProtocols,
                  BiFunction<SSLSocket, List<String>, String> alpnSelector) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, TestPki.P12_PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, TestPki.P12_PASSWORD.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        SSLServerSocket s = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        if (enabledProtocols != null) {
            s.setEnabledProtocols(enabledProtocols);
        }
        this.server = s;
        this.acceptor = Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    SSLSocket c = (SSLSocket) server.accept();
                    accepted.add(c);
                    if (alpnSelector != null) {
                        c.setHandshakeApplicationProtocolSelector(alpnSelector);
                    }
                    Thread.ofVirtual().start(() -> serve(c, mode));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    /** A plain TCP server (not TLS) for "wrong port" tests: it reads, then answers {@code reply} and closes. */
    static ServerSocket plain(byte[] reply) throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!s.isClosed()) {
                try (Socket c = s.accept()) {
                    c.getInputStream().read(new byte[1024]);
                    if (reply != null) {
                        c.getOutputStream().write(reply);
                        c.getOutputStream().flush();
                    }
                } catch (IOException e) {
                    // next
                }
            }
        });
        return s;
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve(SSLSocket c, Mode mode) {
        try (c) {
            c.startHandshake();
            ExtendedSSLSession session = (ExtendedSSLSession) c.getSession();
            List<String> names = new ArrayList<>();
            for (SNIServerName n : session.getRequestedServerNames()) {
                names.add(n instanceof SNIHostName h ? h.getAsciiName() : n.toString());
            }
            sniNames.add(String.join(",", names));
            alpnChosen.add(String.valueOf(c.getApplicationProtocol()));
            protocols.add(session.getProtocol());
            if (mode == Mode.NEVER_READ) {
                Thread.sleep(60_000);
                return;
            }
            InputStream in = c.getInputStream();
            OutputStream out = c.getOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (mode == Mode.ECHO) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
        } catch (IOException | InterruptedException e) {
            failures.add(e);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : accepted) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        acceptor.interrupt();
    }
}
