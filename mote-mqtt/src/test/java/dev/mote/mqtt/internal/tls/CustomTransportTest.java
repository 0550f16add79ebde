package dev.mote.mqtt.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.MqttTransport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A user's {@link MqttTransport}: here two in-memory pipes to a tiny broker that answers CONNECT and PINGREQ. */
class CustomTransportTest {

    /** The client's end of two pipes. */
    private record PipeTransport(Pipe.SourceChannel in, Pipe.SinkChannel out) implements MqttTransport {
        @Override
        public int read(ByteBuffer dst) throws IOException {
            return in.read(dst);
        }

        @Override
        public void write(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                out.write(src);
            }
        }

        @Override
        public void close() {
            try {
                in.close();
                out.close();
            } catch (IOException ignored) {
                // gone
            }
        }
    }

    /** Reads packets (fixed header, remaining length, body) and answers CONNECT with CONNACK, PINGREQ with PINGRESP. */
    private static void fakeBroker(Pipe.SourceChannel in, Pipe.SinkChannel out, AtomicReference<String> seen) {
        try {
            ByteBuffer one = ByteBuffer.allocate(1);
            while (true) {
                one.clear();
                if (in.read(one) < 0) {
                    return;
                }
                int type = one.get(0) & 0xF0;
                int len = 0;
                int shift = 0;
                int b;
                do {
                    one.clear();
                    in.read(one);
                    b = one.get(0) & 0xFF;
                    len |= (b & 0x7F) << shift;
                    shift += 7;
                } while ((b & 0x80) != 0);
                ByteBuffer body = ByteBuffer.allocate(len);
                while (body.hasRemaining()) {
                    in.read(body);
                }
                seen.accumulateAndGet(Integer.toHexString(type), (a, x) -> a + x + " ");
                ByteBuffer reply = switch (type) {
                    case 0x10 -> ByteBuffer.wrap(new byte[] {0x20, 0x02, 0x00, 0x00});
                    case 0xC0 -> ByteBuffer.wrap(new byte[] {(byte) 0xD0, 0x00});
                    default -> null;
                };
                if (reply != null) {
                    while (reply.hasRemaining()) {
                        out.write(reply);
                    }
                }
                if (type == 0xE0) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client closed
        }
    }

    @Test
    void clientSpeaksMqttOverTheUsersTransport() throws Exception {
        Pipe toBroker = Pipe.open();
        Pipe toClient = Pipe.open();
        AtomicReference<String> seen = new AtomicReference<>("");
        Thread broker = Thread.ofVirtual().start(() -> fakeBroker(toBroker.source(), toClient.sink(), seen));
        AtomicReference<String> asked = new AtomicReference<>();
        MqttOptions options = MqttOptions.builder("mqtts://in-memory.example:1234")
                .clientId("pipe")
                .transport((host, port, timeout) -> {
                    asked.set(host + ":" + port + " within " + timeout.toSeconds() + "s");
                    return new PipeTransport(toClient.source(), toBroker.sink());
                })
                .connectTimeout(Duration.ofSeconds(3))
                .build();
        try (MqttClient client = MqttClient.connect(options)) {
            assertEquals("in-memory.example:1234 within 3s", asked.get());
            assertTrue(client.isConnected());
            assertTrue(client.ping().toMillis() < 3000);
            assertTrue(client.alpnProtocol().isEmpty());
        }
        broker.join(3000);
        assertEquals("10 c0 e0 ", seen.get(), "CONNECT, PINGREQ, DISCONNECT");
    }

    @Test
    void aFactoryFailureBecomesTheConnectError() {
        MqttOptions options = MqttOptions.builder("mqtt://behind-proxy.example")
                .transport((host, port, timeout) -> {
                    throw new IOException("SOCKS proxy refused " + host + ":" + port);
                })
                .build();
        MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(options));
        assertEquals("cannot connect to mqtt://behind-proxy.example:1883: SOCKS proxy refused behind-proxy.example:1883", e.getMessage());
    }

    @Test
    void aTransportWhoseReadReturnsNothingIsStoppedNotSpunOn() throws Exception {
        Pipe toBroker = Pipe.open();
        MqttOptions options = MqttOptions.builder("mqtt://x.example")
                .transport((host, port, timeout) -> new MqttTransport() {
                    @Override
                    public int read(ByteBuffer dst) {
                        return 0;
                    }

                    @Override
                    public void write(ByteBuffer src) throws IOException {
                        while (src.hasRemaining()) {
                            toBroker.sink().write(src);
                        }
                    }

                    @Override
                    public void close() {
                    }
                })
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        MqttException e = assertThrows(MqttException.class, () -> MqttClient.connect(options));
        assertTrue(e.getMessage().contains("read returned 0 bytes"), e.getMessage());
    }
}
