package dev.mote.mqtt.internal.session;

import static dev.mote.mqtt.internal.session.SessionHarness.*;

import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The seed programs of the session fuzz target, written in the format of {@link SessionHarness}:
 * the ordinary flows a fuzzer should start from. An id byte below 0x80 picks a recently used id
 * (0 = the oldest of the last 64), so {@code PUBACK, 0} acknowledges the first publish.
 */
final class SessionPrograms {
    private SessionPrograms() {}

    static Map<String, byte[]> all() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("qos1-roundtrip", p(BROKER_CONNACK, 0, PUBLISH, 1, BROKER_PUBACK, 0));
        m.put("qos2-roundtrip", p(BROKER_CONNACK, 0, PUBLISH, 2, BROKER_PUBREC, 0, BROKER_PUBCOMP, 0));
        m.put("subscribe-two-filters", p(BROKER_CONNACK, 0, SUBSCRIBE, 1, BROKER_SUBACK, 0, 1, 1, 3));
        m.put("unsubscribe", p(BROKER_CONNACK, 0, UNSUBSCRIBE, 0, BROKER_UNSUBACK, 0));
        m.put("ping", p(BROKER_CONNACK, 0, PING, PING, BROKER_PINGRESP, BROKER_PINGRESP));
        m.put("inbound-qos1-qos2", p(BROKER_CONNACK, 0, BROKER_PUBLISH, 0x01, 0x80, 5, BROKER_PUBLISH, 0x02, 0x80, 6,
                ACKNOWLEDGE, 1, ACKNOWLEDGE, 0, BROKER_PUBREL, 1));
        m.put("inbound-qos2-duplicate", p(BROKER_CONNACK, 0, BROKER_PUBLISH, 0x02, 0x80, 7, ACKNOWLEDGE, 0,
                BROKER_PUBLISH, 0x0A, 0, BROKER_PUBREL, 0));
        m.put("resend-after-reconnect", p(BROKER_CONNACK, 0, PUBLISH, 1, PUBLISH, 2, BROKER_PUBREC, 1,
                RECONNECT, 0b110, BROKER_CONNACK, 1, BROKER_PUBACK, 0, BROKER_PUBCOMP, 1));
        m.put("offline-publish", p(RECONNECT, 0, PUBLISH, 1, PUBLISH, 2, BROKER_CONNACK, 0, BROKER_PUBACK, 0));
        m.put("keep-alive-dead", p(RECONNECT, 0b011, BROKER_CONNACK, 0, TICK, 3, TICK, 3, BROKER_PINGRESP,
                TICK, 4, TICK, 4));
        m.put("refused", p(BROKER_CONNACK, 0b1100, RECONNECT, 1, BROKER_CONNACK, 0));
        m.put("violation-unknown-ack", p(BROKER_CONNACK, 0, PUBLISH, 1, BROKER_PUBACK, 0x80, 0x42));
        m.put("packet-before-connack", p(BROKER_PUBLISH, 0x01, 0x80, 1, BROKER_CONNACK, 0));
        m.put("second-connack", p(BROKER_CONNACK, 0, BROKER_CONNACK, 0));
        m.put("ids-exhausted", p(BROKER_CONNACK, 0, PUBLISH_BURST, 255, PUBLISH, 1, SUBSCRIBE, 0));
        m.put("disconnect", p(BROKER_CONNACK, 0, PUBLISH, 1, SUBSCRIBE, 0, DISCONNECT, PUBLISH, 1));
        return m;
    }

    private static byte[] p(int... bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int b : bytes) {
            out.write(b);
        }
        return out.toByteArray();
    }
}
