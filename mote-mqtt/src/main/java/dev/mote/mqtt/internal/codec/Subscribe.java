package dev.mote.mqtt.internal.codec;

import java.util.List;

/** SUBSCRIBE (section 3.8): one or more topic filters, each with its requested QoS. */
public record Subscribe(int packetId, List<Filter> filters) implements Packet {

    /** One topic filter and the maximum QoS asked for it. */
    public record Filter(String filter, int qos) {}

    public Subscribe {
        filters = List.copyOf(filters);
    }

    @Override
    public int type() {
        return SUBSCRIBE;
    }
}
