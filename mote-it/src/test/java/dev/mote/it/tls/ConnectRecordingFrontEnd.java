package dev.mote.it.tls;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A TLS front end for a plain Mosquitto that records the user name and password of every CONNECT
 * it relays (TLS hides them from a byte-level fault proxy), and can cut every live connection.
 * The broker behind it is real; this only terminates TLS and reads the first packet on its way.
 */
final class ConnectRecordingFrontEnd implements AutoCloseable {
    /** The user name and password of one CONNECT. */
    record Credentials(String username, String password) {}

    final List<Credentials> connects = new CopyOnWriteArrayList<>();
    private final SSLServerSocket server;
    private final int backendPort;
    private final List<Socket> live = new CopyOnWriteArrayList<>();

    ConnectRecordingFrontEnd(Path serverP12, String password, int backendPort) throws Exception {
        this.backendPort = backendPort;
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(serverP12)) {
            ks.load(in, password.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, password.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Closes every relayed connection, both sides; new connections are still accepted. */
    void cut() {
        for (Socket s : live) {
            closeQuietly(s);
        }
        live.clear();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                live.add(s);
                Thread.ofVirtual().start(() -> handle(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try {
            Socket backend = new Socket(InetAddress.getLoopbackAddress(), backendPort);
            live.add(backend);
            byte[] connect = readPacket(new DataInputStream(client.getInputStream()));
            connects.add(credentials(connect));
            backend.getOutputStream().write(connect);
            Thread.ofVirtual().start(() -> pump(client, backend));
            pump(backend, client);
        } catch (IOException | RuntimeException e) {
            closeQuietly(client);
        }
    }

    /** One whole MQTT packet: fixed header, remaining length, body. */
    private static byte[] readPacket(DataInputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(in.readUnsignedByte());
        int length = 0;
        for (int shift = 0; ; shift += 7) {
            int b = in.readUnsignedByte();
            out.write(b);
            length |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        byte[] body = new byte[length];
        in.readFully(body);
        out.write(body);
        return out.toByteArray();
    }

    /** The user name and password of a CONNECT packet (MQTT 3.1.1 section 3.1), null where absent. */
    static Credentials credentials(byte[] packet) {
        ByteBuffer b = ByteBuffer.wrap(packet);
        b.get();
        while ((b.get() & 0x80) != 0) {
            // remaining length
        }
        string(b);        // protocol name
        b.get();          // level
        int flags = b.get() & 0xff;
        b.getShort();     // keep-alive
        string(b);        // client id
        if ((flags & 0x04) != 0) {
            string(b);    // will topic
            string(b);    // will payload
        }
        String user = (flags & 0x80) != 0 ? string(b) : null;
        String pass = (flags & 0x40) != 0 ? string(b) : null;
        return new Credentials(user, pass);
    }

    private static String string(ByteBuffer b) {
        byte[] s = new byte[b.getShort() & 0xffff];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static void pump(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            in.transferTo(out);
        } catch (IOException ignored) {
            // one side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
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
        cut();
    }
}
