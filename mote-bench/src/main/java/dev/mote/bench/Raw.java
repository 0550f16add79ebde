package dev.mote.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Hand-built MQTT 3.1.1 packets for the raw peers, independent of every client under test. */
final class Raw {
    private Raw() {}

    static byte[] packet(int header, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 5);
        out.write(header);
        int len = body.length;
        do {
            int b = len % 128;
            len /= 128;
            out.write(len > 0 ? b | 0x80 : b);
        } while (len > 0);
        out.writeBytes(body);
        return out.toByteArray();
    }

    static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b.length >>> 8);
        out.write(b.length);
        out.writeBytes(b);
    }

    static byte[] connect(String clientId) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        string(b, "MQTT");
        b.write(4);      // protocol level 3.1.1
        b.write(0x02);   // clean session
        b.write(0);
        b.write(60);     // keep-alive 60 s
        string(b, clientId);
        return packet(0x10, b.toByteArray());
    }

    static byte[] subscribe(String filter, int qos) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0);
        b.write(1);
        string(b, filter);
        b.write(qos);
        return packet(0x82, b.toByteArray());
    }

    static byte[] publishQos0(String topic, byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        string(b, topic);
        b.writeBytes(payload);
        return packet(0x30, b.toByteArray());
    }

    /** Reads one packet's fixed header and body; returns the header byte, fills body[0]. */
    static int read(InputStream in, byte[][] body) throws IOException {
        int h = in.read();
        if (h < 0) {
            return -1;
        }
        int len = 0;
        int mult = 1;
        int b;
        do {
            b = in.read();
            if (b < 0) {
                throw new IOException("end of stream in remaining length");
            }
            len += (b & 0x7f) * mult;
            mult *= 128;
        } while ((b & 0x80) != 0);
        byte[] buf = body[0].length >= len ? body[0] : (body[0] = new byte[len]);
        int off = 0;
        while (off < len) {
            int r = in.read(buf, off, len - off);
            if (r < 0) {
                throw new IOException("end of stream in packet body");
            }
            off += r;
        }
        return (h << 24) | len; // header in the top byte (lengths of these peers stay below 2^24)
    }
}
