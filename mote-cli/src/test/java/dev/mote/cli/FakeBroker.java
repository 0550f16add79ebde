package dev.mote.cli;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A scripted stand-in for a broker, for the failures a real one will not produce on demand: a
 * refused CONNACK, silence, malformed packets, refused subscriptions. Serves connections one
 * after another on its own thread, each with the same {@link Script}.
 */
final class FakeBroker implements AutoCloseable {
    /** What the broker does with one connection. */
    interface Script {
        void serve(DataInputStream in, OutputStream out) throws IOException;
    }

    private final ServerSocket server;
    private final List<Socket> sockets = new ArrayList<>();
    private final Thread thread;
    private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();

    FakeBroker(Script script) {
        try {
            server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        thread = Thread.ofPlatform().daemon().name("fake-broker").start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    synchronized (sockets) {
                        sockets.add(s);
                    }
                    accepted.incrementAndGet();
                    Thread.ofPlatform().daemon().name("fake-broker-connection").start(() -> {
                        try (s) {
                            script.serve(new DataInputStream(s.getInputStream()), s.getOutputStream());
                        } catch (IOException ignored) {
                            // the client went away
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    int port() {
        return server.getLocalPort();
    }

    /** Waits until {@code n} connections were accepted, at most 20 s. */
    void awaitConnections(int n) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (accepted.get() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + accepted.get() + " of " + n + " connections came");
            }
            Mosquitto.sleep(20);
        }
    }

    /** One MQTT packet: the first byte (type and flags) and the body. */
    record Packet(int header, byte[] body) {
        int type() {
            return header >> 4;
        }
    }

    /** Reads one packet; EOFException at the end of the stream. */
    static Packet read(DataInputStream in) throws IOException {
        int header = in.read();
        if (header < 0) {
            throw new EOFException();
        }
        int length = 0;
        for (int shift = 0; ; shift += 7) {
            int b = in.readUnsignedByte();
            length |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        byte[] body = new byte[length];
        in.readFully(body);
        return new Packet(header, body);
    }

    /** Reads until the client closes the connection. */
    static void drain(InputStream in) throws IOException {
        byte[] buffer = new byte[1024];
        while (in.read(buffer) >= 0) {
            // discard
        }
    }

    /** Reads CONNECT and answers CONNACK with this return code. */
    static void connack(DataInputStream in, OutputStream out, int code) throws IOException {
        Packet connect = read(in);
        if (connect.type() != 1) {
            throw new IOException("expected CONNECT, got type " + connect.type());
        }
        out.write(new byte[] {0x20, 0x02, 0x00, (byte) code});
        out.flush();
    }

    /** A broker that refuses every connection with {@code code}. */
    static Script refusing(int code) {
        return (in, out) -> {
            connack(in, out, code);
            drain(in);
        };
    }

    /** A broker that accepts the TCP connection and never says anything. */
    static Script silent() {
        return (in, out) -> drain(in);
    }

    /**
     * A broker that accepts the connection, answers each SUBSCRIBE by granting the first
     * {@code granted} filters QoS 0 and refusing (0x80) the rest, and answers PINGREQ; with
     * {@code violateAfterSuback} it then sends a packet of the reserved type 0.
     */
    static Script subscriptions(int granted, boolean violateAfterSuback) {
        return (in, out) -> {
            connack(in, out, 0);
            while (true) {
                Packet p = read(in);
                switch (p.type()) {
                    case 8 -> { // SUBSCRIBE: packet id, then (filter, QoS) pairs
                        int filters = 0;
                        for (int i = 2; i < p.body().length; ) {
                            int len = ((p.body()[i] & 0xff) << 8) | (p.body()[i + 1] & 0xff);
                            i += 2 + len + 1;
                            filters++;
                        }
                        ByteArrayOutputStream suback = new ByteArrayOutputStream();
                        suback.write(0x90);
                        suback.write(2 + filters);
                        suback.write(p.body()[0]);
                        suback.write(p.body()[1]);
                        for (int f = 0; f < filters; f++) {
                            suback.write(f < granted ? 0x00 : 0x80);
                        }
                        out.write(suback.toByteArray());
                        out.flush();
                        if (violateAfterSuback) {
                            Mosquitto.sleep(100);
                            out.write(new byte[] {0x00, 0x00});
                            out.flush();
                        }
                    }
                    case 12 -> {
                        out.write(new byte[] {(byte) 0xd0, 0x00});
                        out.flush();
                    }
                    case 14 -> {
                        return;
                    }
                    default -> { }
                }
            }
        };
    }

    /** A "broker" that answers anything with a line of text, as an HTTP server on the wrong port would. */
    static Script text() {
        return (in, out) -> {
            in.read();
            out.write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
        };
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        synchronized (sockets) {
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
