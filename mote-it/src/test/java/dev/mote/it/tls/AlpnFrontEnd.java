package dev.mote.it.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A TLS front end like AWS IoT Core's port 443: it accepts a connection only if the ClientHello
 * offers the expected ALPN protocol, then relays the decrypted bytes to a plain MQTT broker.
 *
 * <p>Without any ALPN offer it answers with a fatal no_application_protocol alert (the JDK's own
 * server would carry on without ALPN, so the front end reads the ClientHello itself first, then
 * hands it to an {@link SSLSocket} with {@code createSocket(socket, consumed, autoClose)}). With
 * other protocols offered, the JDK's selector returns null and the JDK sends the same alert.
 */
final class AlpnFrontEnd implements AutoCloseable {
    final String protocol;
    final List<String> sniNames = new CopyOnWriteArrayList<>();
    final List<List<String>> offers = new CopyOnWriteArrayList<>();
    private final ServerSocket server;
    private final SSLSocketFactory factory;
    private final int backendPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    AlpnFrontEnd(Path serverP12, String password, String protocol, int backendPort) throws Exception {
        this.protocol = protocol;
        this.backendPort = backendPort;
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(serverP12)) {
            ks.load(in, password.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, password.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        factory = ctx.getSocketFactory();
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                Thread.ofVirtual().start(() -> handle(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket raw) {
        try {
            DataInputStream in = new DataInputStream(raw.getInputStream());
            byte[] header = new byte[5];
            in.readFully(header);
            int length = ((header[3] & 0xFF) << 8) | (header[4] & 0xFF);
            byte[] body = new byte[length];
            in.readFully(body);
            List<String> offered = header[0] == 0x16 ? alpnOffer(body) : null;
            offers.add(offered == null ? List.of() : offered);
            if (offered == null) {
                // Plaintext fatal alert, before any ServerHello: level 2 (fatal), 120 (no_application_protocol).
                OutputStream out = raw.getOutputStream();
                out.write(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 120});
                out.flush();
                raw.close();
                return;
            }
            ByteArrayOutputStream consumed = new ByteArrayOutputStream();
            consumed.write(header);
            consumed.write(body);
            SSLSocket tls = (SSLSocket) factory.createSocket(raw, new ByteArrayInputStream(consumed.toByteArray()), true);
            sockets.add(tls);
            tls.setHandshakeApplicationProtocolSelector((socket, protocols) -> protocols.contains(protocol) ? protocol : null);
            tls.startHandshake();
            List<String> names = new ArrayList<>();
            for (SNIServerName n : ((ExtendedSSLSession) tls.getSession()).getRequestedServerNames()) {
                names.add(n instanceof SNIHostName h ? h.getAsciiName() : n.toString());
            }
            sniNames.add(String.join(",", names));
            Socket backend = new Socket(InetAddress.getLoopbackAddress(), backendPort);
            sockets.add(backend);
            Thread.ofVirtual().start(() -> pump(tls, backend));
            pump(backend, tls);
        } catch (IOException | RuntimeException e) {
            closeQuietly(raw);
        }
    }

    private static void pump(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (IOException ignored) {
            // one side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /**
     * The protocols of the ALPN extension (RFC 7301) in a ClientHello record body (RFC 8446
     * section 4.1.2), or null if it has none.
     */
    static List<String> alpnOffer(byte[] handshake) {
        ByteBuffer b = ByteBuffer.wrap(handshake);
        if (b.get() != 1) {
            return null; // not a ClientHello
        }
        skip(b, 3 + 2 + 32);       // handshake length, legacy_version, random
        skip(b, b.get() & 0xFF);        // legacy_session_id
        skip(b, b.getShort() & 0xFFFF); // cipher_suites
        skip(b, b.get() & 0xFF);        // legacy_compression_methods
        if (!b.hasRemaining()) {
            return null;
        }
        int extensionsLength = b.getShort() & 0xFFFF;
        int end = b.position() + extensionsLength;
        while (b.position() < end) {
            int type = b.getShort() & 0xFFFF;
            int len = b.getShort() & 0xFFFF;
            if (type != 16) {
                skip(b, len);
                continue;
            }
            List<String> protocols = new ArrayList<>();
            int listLength = b.getShort() & 0xFFFF;
            int listEnd = b.position() + listLength;
            while (b.position() < listEnd) {
                byte[] name = new byte[b.get() & 0xFF];
                b.get(name);
                protocols.add(new String(name, java.nio.charset.StandardCharsets.UTF_8));
            }
            return protocols;
        }
        return null;
    }

    private static void skip(ByteBuffer b, int n) {
        b.position(b.position() + n);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
