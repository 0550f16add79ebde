package dev.mote.mqtt.internal.codec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The seed corpus of the decoder fuzz target: valid packets of every type, one file each. */
final class DecoderSeeds {
    private DecoderSeeds() {}

    static Map<String, byte[]> all() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("connect-minimal", enc(new Connect(4, "c", true, 60, null, null, 0, false, null, null)));
        m.put("connect-full", enc(new Connect(4, "device-42", false, 17, "status/device-42", new byte[] {0, 1, 2},
                2, true, "alice", new byte[] {'p', 'w'})));
        m.put("connack-accepted", enc(new Connack(false, 0)));
        m.put("connack-session-present", enc(new Connack(true, 0)));
        m.put("connack-refused", enc(new Connack(false, 5)));
        m.put("publish-qos0", enc(new Publish("a/b", utf8("hello"), 0, false, false, 0)));
        m.put("publish-qos1-retain", enc(new Publish("sensors/1/t", utf8("21.5"), 1, true, false, 1)));
        m.put("publish-qos2-dup", enc(new Publish("q/x", utf8("once"), 2, false, true, 65535)));
        m.put("publish-utf8-topic", enc(new Publish("temp\u00E9rature/\u20AC/\uD83D\uDE00", new byte[0], 1, false, false, 7)));
        m.put("publish-empty-payload", enc(new Publish("t", new byte[0], 0, true, false, 0)));
        m.put("publish-two-byte-length", enc(new Publish("big", new byte[200], 1, false, false, 300)));
        m.put("puback", enc(new Puback(1)));
        m.put("pubrec", enc(new Pubrec(258)));
        m.put("pubrel", enc(new Pubrel(258)));
        m.put("pubcomp", enc(new Pubcomp(258)));
        m.put("subscribe", enc(new Subscribe(10, List.of(new Subscribe.Filter("a/#", 0),
                new Subscribe.Filter("+/b", 2), new Subscribe.Filter("$share/g/x", 1)))));
        m.put("suback", enc(new Suback(10, new int[] {0, 1, 2, Suback.FAILURE})));
        m.put("unsubscribe", enc(new Unsubscribe(11, List.of("a/#", "+/b"))));
        m.put("unsuback", enc(new Unsuback(11)));
        m.put("pingreq", enc(Pingreq.INSTANCE));
        m.put("pingresp", enc(Pingresp.INSTANCE));
        m.put("disconnect", enc(Disconnect.INSTANCE));
        m.put("stream-connack-publish-pingresp", cat(enc(new Connack(false, 0)),
                enc(new Publish("s", utf8("x"), 1, false, false, 2)), enc(Pingresp.INSTANCE)));
        m.put("stream-qos2-inbound", cat(enc(new Publish("in", utf8("m"), 2, false, false, 9)), enc(new Pubrel(9))));
        return m;
    }

    private static byte[] enc(Packet p) {
        return PacketEncoder.encode(p);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
