package dev.mote.demo;

import dev.mote.mqtt.Message;
import dev.mote.mqtt.MessageHandler;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer's message handler: reads device, sequence number and send time from each payload
 * and records the arrival (and its latency) with that device's {@link DeviceStats}.
 */
public final class Consumer implements MessageHandler {
    private final List<DeviceStats> devices;
    private final AtomicLong unexpected = new AtomicLong();
    private volatile long lastArrival = System.nanoTime();

    Consumer(List<DeviceStats> devices) {
        this.devices = devices;
    }

    @Override
    public void onMessage(Message m) {
        long now = System.nanoTime();
        lastArrival = now;
        ByteBuffer b = ByteBuffer.wrap(m.payload());
        int index = b.remaining() >= Device.HEADER_BYTES ? b.getInt() : -1;
        if (index < 0 || index >= devices.size() || !m.topic().equals(Device.topicOf(devices.get(index).id()))) {
            unexpected.incrementAndGet();
            return;
        }
        long seq = b.getLong();
        long sentAt = b.getLong();
        devices.get(index).received(seq, now - sentAt);
    }

    /** Messages that did not come from one of the demo's devices (should be none). */
    public long unexpected() {
        return unexpected.get();
    }

    /** {@link System#nanoTime()} of the last arrival (or of creation, before the first). */
    public long lastArrival() {
        return lastArrival;
    }
}
