package dev.mote.mqtt.internal.codec;

import java.util.List;

/** UNSUBSCRIBE (section 3.10): one or more topic filters. */
public record Unsubscribe(int packetId, List<String> filters) implements Packet {
    public Unsubscribe {
        filters = List.copyOf(filters);
    }

    @Override
    public int type() {
        return UNSUBSCRIBE;
    }
}
