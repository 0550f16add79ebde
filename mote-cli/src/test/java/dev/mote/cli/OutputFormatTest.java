package dev.mote.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mote.mqtt.Message;
import dev.mote.mqtt.Qos;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

/** The -F, -v and -N output of sub, message by message. */
class OutputFormatTest {
    private static final ZonedDateTime NOW = ZonedDateTime.of(2016, 8, 10, 9, 47, 38, 123_456_789, ZoneOffset.ofHours(1));
    private static final Message HELLO = new Message("sensors/kitchen", "hello".getBytes(StandardCharsets.UTF_8),
            Qos.AT_LEAST_ONCE, true, false);
    private static final Message EMPTY = new Message("a/b", new byte[0], Qos.AT_MOST_ONCE, false, false);

    private static String render(OutputFormat f, Message m) {
        return new String(f.render(m, NOW), StandardCharsets.UTF_8);
    }

    private static String format(String format, Message m) {
        return render(OutputFormat.parse(format, false), m);
    }

    @Test
    void payloadAloneAndVerboseLikeMosquittoSub() {
        assertEquals("hello\n", render(OutputFormat.payloadOnly(true), HELLO));
        assertEquals("hello", render(OutputFormat.payloadOnly(false), HELLO));
        assertEquals("", render(OutputFormat.payloadOnly(true), EMPTY));
        assertEquals("sensors/kitchen hello\n", render(OutputFormat.verbose(true), HELLO));
        assertEquals("a/b (null)\n", render(OutputFormat.verbose(true), EMPTY));
        assertEquals("", render(OutputFormat.verbose(false), EMPTY));
    }

    @Test
    void payloadBytesAreWrittenAsTheyAre() {
        byte[] payload = {0, '\n', (byte) 0xff, (byte) 0xc3};
        Message m = new Message("t", payload, Qos.AT_MOST_ONCE, false, false);
        assertArrayEquals(payload, OutputFormat.payloadOnly(false).render(m, NOW));
        assertArrayEquals(new byte[] {'[', 0, '\n', (byte) 0xff, (byte) 0xc3, ']', '\n'}, OutputFormat.parse("[%p]", true).render(m, NOW));
    }

    @Test
    void messageParameters() {
        assertEquals("sensors/kitchen|hello|1|1|5|68656c6c6f|68656C6C6F", format("%t|%p|%q|%r|%l|%x|%X", HELLO));
        assertEquals("a/b||0|0|0||", format("%t|%p|%q|%r|%l|%x|%X", EMPTY));
        assertEquals("100%", format("100%%", HELLO));
    }

    @Test
    void widthsFlagsAndMaximums() {
        assertEquals("[    5][5    ][00005][se][    se][sensors/kitchen     ]",
                format("[%5l][%-5l][%05l][%.2t][%6.2t][%-20t]", HELLO));
    }

    @Test
    void timeParameters() {
        assertEquals("2016-08-10T09:47:38+0100", format("%I", HELLO));
        assertEquals("1470818858.123456789", format("%U", HELLO));
        assertEquals("2016-08-10 09:47:38.123456789 +0100 @ 1470818858", format("@Y-@m-@d @H:@M:@S.@N @z @@ @s", HELLO));
    }

    @Test
    void json() {
        Message m = new Message("q/\"x\"", "a\"b\\c\nd\u0001".getBytes(StandardCharsets.UTF_8), Qos.EXACTLY_ONCE, false, false);
        assertEquals("{\"tst\":\"2016-08-10T09:47:38.123456+0100\",\"topic\":\"q/\\\"x\\\"\",\"qos\":2,\"retain\":0,"
                + "\"payloadlen\":8,\"payload\":\"a\\\"b\\\\c\\nd\\u0001\"}", format("%j", m));
        assertEquals("{\"tst\":\"2016-08-10T09:47:38.123456+0100\",\"topic\":\"a/b\",\"qos\":0,\"retain\":0,"
                + "\"payloadlen\":0,\"payload\":null}", format("%j", EMPTY));
    }

    @Test
    void escapes() {
        assertEquals("a\tb\nc\rd\\e\0f\u0007\u001b\u000b", format("a\\tb\\nc\\rd\\\\e\\0f\\a\\e\\v", HELLO));
    }

    @Test
    void aNewlineFollowsUnlessNoNewline() {
        assertEquals("hello\n", render(OutputFormat.parse("%p", true), HELLO));
        assertEquals("hello", render(OutputFormat.parse("%p", false), HELLO));
    }
}
