package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.MqttTransport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;

/** A user's {@link MqttTransport}, with a description and a guard against reads that return nothing. */
final class CustomTransport implements Transport {
    private final MqttTransport delegate;
    private final String description;

    private CustomTransport(MqttTransport delegate, String description) {
        this.delegate = delegate;
        this.description = description;
    }

    static CustomTransport open(MqttTransport.Factory factory, String host, int port, Duration timeout) throws IOException {
        MqttTransport t;
        try {
            t = factory.open(host, port, timeout);
        } catch (RuntimeException e) {
            throw new IOException("the transport factory failed: " + e, e);
        }
        if (t == null) {
            throw new IOException("the transport factory returned null");
        }
        return new CustomTransport(t, "custom transport to " + host + ":" + port);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = delegate.read(dst);
        if (n == 0 && dst.hasRemaining()) {
            // The reader would spin: the contract is to block until a byte arrives.
            throw new IOException("the custom transport's read returned 0 bytes; read must block until at least one byte arrives");
        }
        return n;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        delegate.write(src);
        if (src.hasRemaining()) {
            throw new IOException("the custom transport's write left " + src.remaining() + " bytes unwritten");
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        try {
            delegate.close();
        } catch (RuntimeException ignored) {
            // close never throws, whatever the user's code does
        }
    }
}
