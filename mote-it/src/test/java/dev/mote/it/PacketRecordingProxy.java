package dev.mote.it;

import dev.mote.it.broker.Broker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay between one client and a broker that parses the MQTT fixed header (and the packet
 * id where there is one) of every packet in both directions and records them in order, so a
 * test can see what left the client and when. {@link #cut()} resets every connection.
 */
final class PacketRecordingProxy implements AutoCloseable {

    /** One packet seen on the wire: its type (3 PUBLISH, 4 PUBACK, 5 PUBREC, 6 PUBREL, 7 PUBCOMP, ...), QoS and id (0 if none). */
    record Seen(int type, int qos, int packetId, boolean dup) {
        @Override
        public String toString() {
            String[] names = {"?", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE",
                "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "?"};
            return names[type] + (packetId != 0 ? " " + packetId : "") + (dup ? " dup" : "");
        }
    }

    private final ServerSocket server;
    private final String host;
    private final int port;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    /** Client to broker. */
    final List<Seen> upstream = new CopyOnWriteArrayList<>();
    /** Broker to client. */
    final List<Seen> downstream = new CopyOnWriteArrayList<>();

    PacketRecordingProxy(Broker broker) throws IOException {
        this.host = broker.host();
        this.port = broker.port();
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("recording-proxy-accept").start(this::accept);
    }

    String uri() {
        return "mqtt://127.0.0.1:" + server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket broker = new Socket(host, port);
                client.setTcpNoDelay(true);
                broker.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(broker);
                Thread.ofVirtual().start(() -> relay(client, broker, upstream));
                Thread.ofVirtual().start(() -> relay(broker, client, downstream));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void relay(Socket from, Socket to, List<Seen> record) {
        Parser parser = new Parser(record);
        byte[] buf = new byte[8192];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                parser.feed(buf, n); // recorded before it is relayed: the peer cannot answer first
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the connection ended or was cut
        } finally {
            close(from);
            close(to);
        }
    }

    /** The packets of one direction seen so far, of the given types. */
    static List<Seen> only(List<Seen> seen, int... types) {
        List<Seen> out = new ArrayList<>();
        for (Seen s : seen) {
            for (int t : types) {
                if (s.type() == t) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** Resets every relayed connection (the client sees a lost connection). */
    void cut() {
        for (Socket s : sockets) {
            try {
                s.setSoLinger(true, 0);
            } catch (IOException e) {
                // closed already
            }
            close(s);
        }
        sockets.clear();
    }

    @Override
    public void close() {
        close(server);
        cut();
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // nothing to do
        }
    }

    /** Splits a byte stream into MQTT packets (fixed header, remaining length, body). */
    private static final class Parser {
        private final List<Seen> record;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        Parser(List<Seen> record) {
            this.record = record;
        }

        void feed(byte[] b, int n) {
            pending.write(b, 0, n);
            byte[] all = pending.toByteArray();
            int at = 0;
            while (true) {
                int used = packet(all, at);
                if (used == 0) {
                    break;
                }
                at += used;
            }
            pending.reset();
            pending.write(all, at, all.length - at);
        }

        /** Records the packet at {@code at}; returns its length, or 0 if it is not complete yet. */
        private int packet(byte[] a, int at) {
            if (at >= a.length) {
                return 0;
            }
            int header = a[at] & 0xff;
            int length = 0;
            int multiplier = 1;
            int i = at + 1;
            while (true) {
                if (i >= a.length) {
                    return 0;
                }
                int d = a[i++] & 0xff;
                length += (d & 0x7f) * multiplier;
                multiplier *= 128;
                if ((d & 0x80) == 0) {
                    break;
                }
            }
            if (i + length > a.length) {
                return 0;
            }
            int type = header >>> 4;
            int qos = (header >>> 1) & 3;
            int id = 0;
            if (type == 3) {
                int topicLength = ((a[i] & 0xff) << 8) | (a[i + 1] & 0xff);
                if (qos > 0) {
                    int p = i + 2 + topicLength;
                    id = ((a[p] & 0xff) << 8) | (a[p + 1] & 0xff);
                }
            } else if (type >= 4 && type <= 7 || type == 8 || type == 9 || type == 10 || type == 11) {
                id = ((a[i] & 0xff) << 8) | (a[i + 1] & 0xff);
            }
            record.add(new Seen(type, type == 3 ? qos : 0, id, type == 3 && (header & 0x08) != 0));
            return i + length - at;
        }
    }
}
