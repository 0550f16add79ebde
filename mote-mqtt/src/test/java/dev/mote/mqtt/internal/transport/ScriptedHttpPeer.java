package dev.mote.mqtt.internal.transport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A server on 127.0.0.1 that plays an HTTP proxy or a WebSocket server for a test: it reads each
 * request head (up to the blank line, byte by byte, so nothing after it is consumed), records it,
 * and hands the socket to a script.
 */
final class ScriptedHttpPeer implements AutoCloseable {

    @FunctionalInterface
    interface Script {
        void run(Socket socket, String requestHead) throws Exception;
    }

    private final ServerSocket server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    ScriptedHttpPeer(Script script) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("scripted-http-accept").start(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                sockets.add(s);
                Thread.ofVirtual().name("scripted-http-peer").start(() -> {
                    try (s) {
                        String head = readHead(s.getInputStream());
                        if (head != null) {
                            requests.add(head);
                            script.run(s, head);
                        }
                    } catch (Exception e) {
                        if (!server.isClosed()) {
                            failures.add(e);
                        }
                    }
                });
            }
        });
    }

    /** The request head up to and including the blank line, or null if the client closed first. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1
                    : c == '\r' ? 1 : 0;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Every request head received so far. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    /** What the scripts threw (except after close). */
    List<Throwable> failures() {
        return List.copyOf(failures);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
