package dev.mote.mqtt.internal.codec;

import java.util.Arrays;

/** SUBACK (section 3.9): one return code per filter, in order: 0, 1, 2 (granted QoS) or 0x80. */
public record Suback(int packetId, int[] returnCodes) implements Packet {

    /** The return code that refuses a filter. */
    public static final int FAILURE = 0x80;

    @Override
    public int type() {
        return SUBACK;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Suback s && packetId == s.packetId && Arrays.equals(returnCodes, s.returnCodes);
    }

    @Override
    public int hashCode() {
        return packetId * 31 + Arrays.hashCode(returnCodes);
    }

    @Override
    public String toString() {
        return "SUBACK[id=" + packetId + ", codes=" + Arrays.toString(returnCodes) + "]";
    }
}
