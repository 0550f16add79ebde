package dev.mote.mqtt.internal.codec;

import java.util.Arrays;

/**
 * CONNECT (section 3.1). {@code willTopic == null} means no will; {@code username == null} means
 * no user name; {@code password == null} means no password (3.1.1 allows a password only with a
 * user name, which the encoder checks).
 */
public record Connect(
        int protocolLevel,
        String clientId,
        boolean cleanSession,
        int keepAliveSeconds,
        String willTopic,
        byte[] willPayload,
        int willQos,
        boolean willRetain,
        String username,
        byte[] password) implements Packet {

    /** Protocol level of MQTT 3.1.1. */
    public static final int LEVEL_3_1_1 = 4;

    @Override
    public int type() {
        return CONNECT;
    }

    public boolean hasWill() {
        return willTopic != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Connect c
                && protocolLevel == c.protocolLevel
                && clientId.equals(c.clientId)
                && cleanSession == c.cleanSession
                && keepAliveSeconds == c.keepAliveSeconds
                && java.util.Objects.equals(willTopic, c.willTopic)
                && Arrays.equals(willPayload, c.willPayload)
                && willQos == c.willQos
                && willRetain == c.willRetain
                && java.util.Objects.equals(username, c.username)
                && Arrays.equals(password, c.password);
    }

    @Override
    public int hashCode() {
        return clientId.hashCode() * 31 + keepAliveSeconds;
    }

    /** Never prints the password. */
    @Override
    public String toString() {
        return "CONNECT[clientId=" + clientId + ", cleanSession=" + cleanSession
                + ", keepAlive=" + keepAliveSeconds + (hasWill() ? ", will=" + willTopic : "")
                + (username != null ? ", username=" + username : "")
                + (password != null ? ", password=<hidden>" : "") + "]";
    }
}
