package dev.mote.mqtt.internal.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Plain TCP over a blocking {@link SocketChannel}. Blocking channels park virtual threads instead
 * of pinning a carrier, so one reader and one writer thread per connection cost almost nothing.
 * It also carries any other connected blocking channel: a tunnel through a SOCKS proxy, a Unix
 * domain socket ({@link #over}).
 */
public final class TcpTransport implements Transport {
    private final SocketChannel channel;
    private final String description;

    private TcpTransport(SocketChannel channel, String description) {
        this.channel = channel;
        this.description = description;
    }

    /** Connects to {@code host:port}, giving up after {@code timeout}. */
    public static TcpTransport connect(String host, int port, Duration timeout) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            InetSocketAddress address = new InetSocketAddress(host, port);
            if (address.isUnresolved()) {
                throw new IOException("cannot resolve host " + host);
            }
            int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
            try {
                ch.socket().connect(address, millis);
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("no TCP connection to " + host + ":" + port + " within " + millis + " ms");
            }
            return new TcpTransport(ch, "tcp://" + host + ":" + port);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Carries an already connected channel in blocking mode, described as {@code description}. */
    static TcpTransport over(SocketChannel connected, String description) {
        return new TcpTransport(connected, description);
    }

    @Override
    public int bytesBuffered() {
        try {
            java.io.InputStream s = socketIn;
            if (s == null) {
                s = socketIn = channel.socket().getInputStream();
            }
            return s.available();
        } catch (IOException | RuntimeException e) {
            return -1; // closed, or a channel without a socket view (Unix domain)
        }
    }

    /** The socket view's stream, only for {@link #bytesBuffered()} (never read from). */
    private volatile java.io.InputStream socketIn;

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return channel.read(dst);
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            channel.write(src);
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Nothing useful to do: the connection is gone either way.
        }
    }
}
