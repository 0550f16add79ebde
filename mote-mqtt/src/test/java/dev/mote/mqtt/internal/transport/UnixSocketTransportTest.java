package dev.mote.mqtt.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttOptions;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code unix://}: the connection, the client over it, and every reason it cannot connect, in words. */
class UnixSocketTransportTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @Test
    void aMissingSocketFileIsNamed() {
        String path = dir.resolve("none.sock").toString();
        IOException e = assertThrows(ConnectException.class, () -> UnixSockets.connect(path, TIMEOUT));
        assertEquals("no Unix socket at " + path, e.getMessage());
        MqttException m = assertThrows(MqttException.class,
                () -> MqttClient.connect(MqttOptions.builder("unix://" + path).connectTimeout(TIMEOUT).build()));
        assertEquals("cannot connect to unix://" + path + ": no Unix socket at " + path, m.getMessage());
    }

    @Test
    void aFileThatIsNoSocketIsNamed() throws IOException {
        Path file = Files.writeString(dir.resolve("plain.txt"), "x");
        assertEquals(file + " is not a Unix socket (it is a regular file)",
                assertThrows(ConnectException.class, () -> UnixSockets.connect(file.toString(), TIMEOUT)).getMessage());
        assertEquals(dir + " is not a Unix socket (it is a directory)",
                assertThrows(ConnectException.class, () -> UnixSockets.connect(dir.toString(), TIMEOUT)).getMessage());
    }

    @Test
    void aSocketFileNobodyListensOnIsNamed() throws IOException {
        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Files.exists(stale), "closing a listener leaves its socket file behind");
        assertEquals("no broker is listening on the Unix socket at " + stale + " (connection refused)",
                assertThrows(ConnectException.class, () -> UnixSockets.connect(stale.toString(), TIMEOUT)).getMessage());
    }

    @Test
    void aPathTooLongForASocketIsAnError() {
        String path = "/tmp/" + "x".repeat(200) + ".sock";
        IOException e = assertThrows(IOException.class, () -> UnixSockets.connect(path, TIMEOUT));
        assertEquals("the Unix socket path is too long (210 bytes; the system allows about 100): " + path, e.getMessage());
    }

    @Test
    void theClientConnectsPingsAndClosesOverAUnixSocket() throws Exception {
        Path socket = dir.resolve("broker.sock");
        CopyOnWriteArrayList<Integer> seen = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread broker = Thread.ofVirtual().start(() -> {
                try (SocketChannel ch = server.accept()) {
                    fakeBroker(ch, seen);
                } catch (IOException ignored) {
                    // the test is over
                }
            });
            MqttOptions options = MqttOptions.builder("unix://" + socket).clientId("unix-client").connectTimeout(TIMEOUT).build();
            try (MqttClient client = MqttClient.connect(options)) {
                assertTrue(client.ping().toMillis() < 5_000);
                assertTrue(client.toString().contains("unix://" + socket), client.toString());
            }
            broker.join(5_000);
        }
        assertEquals(java.util.List.of(0x10, 0xC0, 0xE0), seen, "CONNECT, PINGREQ, DISCONNECT");
    }

    /** Answers CONNECT with CONNACK and PINGREQ with PINGRESP until DISCONNECT or the end of the stream. */
    private static void fakeBroker(SocketChannel ch, CopyOnWriteArrayList<Integer> seen) throws IOException {
        while (true) {
            int type = readByte(ch);
            if (type < 0) {
                return;
            }
            int len = 0;
            int shift = 0;
            int b;
            do {
                b = readByte(ch);
                len |= (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            ByteBuffer body = ByteBuffer.allocate(len);
            while (body.hasRemaining() && ch.read(body) >= 0) {
                // reading the body
            }
            seen.add(type & 0xF0);
            byte[] reply = switch (type & 0xF0) {
                case 0x10 -> new byte[] {0x20, 0x02, 0x00, 0x00};
                case 0xC0 -> new byte[] {(byte) 0xD0, 0x00};
                case 0xE0 -> null;
                default -> new byte[0];
            };
            if (reply == null) {
                return;
            }
            ByteBuffer out = ByteBuffer.wrap(reply);
            while (out.hasRemaining()) {
                ch.write(out);
            }
        }
    }

    private static int readByte(SocketChannel ch) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        return ch.read(one) < 0 ? -1 : one.get(0) & 0xFF;
    }
}
