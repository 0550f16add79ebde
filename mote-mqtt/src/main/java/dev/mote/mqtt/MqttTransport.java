package dev.mote.mqtt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A connected byte stream to the broker that you open yourself, for what Mote does not do:
 * a tunnel, an in-memory pipe in a test, a transport of your own making. (SOCKS proxies and Unix
 * domain sockets are built in: {@link MqttOptions.Builder#socksProxy(SocksProxy)}, {@code unix://}.) Give Mote a
 * {@link Factory} with {@link MqttOptions.Builder#transport(Factory)}; it calls it once per
 * connection and then speaks MQTT over the stream. Mote's own TCP and TLS are not used then, so
 * the URL's scheme only labels the connection in messages and its host and port are passed to
 * the factory.
 *
 * <p>Mote reads from one thread and writes from another, at the same time, and may call
 * {@link #close()} from a third: {@code close} must unblock a {@code read} or {@code write} in
 * progress (they then throw {@link IOException}). A {@code SocketChannel} in blocking mode
 * behaves exactly so:
 *
 * <pre>{@code
 * // MQTT over a Unix domain socket, by hand (unix:///run/mosquitto.sock does the same)
 * MqttOptions options = MqttOptions.builder("mqtt://localhost")
 *         .transport((host, port, timeout) -> {
 *             SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of("/run/mosquitto.sock"));
 *             return new MqttTransport() {
 *                 public int read(ByteBuffer dst) throws IOException { return ch.read(dst); }
 *                 public void write(ByteBuffer src) throws IOException { while (src.hasRemaining()) ch.write(src); }
 *                 public void close() { try { ch.close(); } catch (IOException ignored) { } }
 *             };
 *         })
 *         .build();
 * }</pre>
 */
public interface MqttTransport extends AutoCloseable {

    /**
     * Reads at least one byte into {@code dst} (which has room), blocking until some arrive.
     *
     * @return the number of bytes read, at least 1, or -1 at end of stream
     */
    int read(ByteBuffer dst) throws IOException;

    /** Writes all remaining bytes of {@code src}, blocking as needed. */
    void write(ByteBuffer src) throws IOException;

    /** Closes the stream, unblocking a read or write in progress; idempotent, never throws. */
    @Override
    void close();

    /** Opens a transport for each connection. */
    @FunctionalInterface
    interface Factory {
        /**
         * Connects to the broker.
         *
         * @param host    the host of the options' URL
         * @param port    the port of the URL (or the scheme's default)
         * @param timeout the connect timeout; the factory should give up after it (Mote also bounds
         *                the whole connect, CONNACK included, by it)
         * @throws IOException if the broker cannot be reached; its message becomes part of the
         *                     {@link MqttException} that {@link MqttClient#connect(MqttOptions)} throws
         */
        MqttTransport open(String host, int port, Duration timeout) throws IOException;
    }
}
