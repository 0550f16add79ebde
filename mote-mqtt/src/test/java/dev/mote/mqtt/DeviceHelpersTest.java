package dev.mote.mqtt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The pure parts of FanOutSubscription, Requester and OnDemandClient; the behaviour is tested on Mosquitto in mote-it. */
class DeviceHelpersTest {

    @Test
    void fanOutFiltersOverlapLevelByLevel() {
        assertTrue(FanOutSubscription.overlaps("device/123/#", "device/123/cmd/+"));
        assertTrue(FanOutSubscription.overlaps("device/123/#", "device/123"));
        assertTrue(FanOutSubscription.overlaps("device/+/cmd", "device/123/+"));
        assertTrue(FanOutSubscription.overlaps("#", "x/y"));
        assertFalse(FanOutSubscription.overlaps("device/123/#", "device/124/cmd"));
        assertFalse(FanOutSubscription.overlaps("device/123/cmd", "device/123/cmd/x"));
        assertFalse(FanOutSubscription.overlaps("device/+", "device/1/2"));
    }

    @Test
    void requestEnvelopeRoundTripsAnyBody() {
        byte[] body = {0, '\n', '\n', (byte) 0xff, 'x'};
        byte[] payload = Requester.envelope("replies/me/abc-1", "abc-1", body);
        assertTrue(new String(payload, StandardCharsets.UTF_8).startsWith("reply-to: replies/me/abc-1\ncorrelation-id: abc-1\n\n"));
        Requester.Request r = Requester.parse(new Message("svc/clock", payload, Qos.AT_LEAST_ONCE, false, false));
        assertEquals("replies/me/abc-1", r.replyTo());
        assertEquals("abc-1", r.correlationId());
        assertEquals("svc/clock", r.topic());
        assertArrayEquals(body, r.body());
    }

    @Test
    void aPayloadWithoutTheHeaderIsNotARequest() {
        assertNull(Requester.parse(new Message("t", "hello".getBytes(StandardCharsets.UTF_8), Qos.AT_MOST_ONCE, false, false)));
        assertNull(Requester.parse(new Message("t", "correlation-id: 1\n\nbody".getBytes(StandardCharsets.UTF_8), Qos.AT_MOST_ONCE, false, false)));
    }

    @Test
    void onDemandNeedsAPositiveIdleTime() {
        MqttOptions o = MqttOptions.builder("mqtt://localhost").build();
        assertThrows(IllegalArgumentException.class, () -> OnDemandClient.of(o, Duration.ZERO));
        OnDemandClient c = OnDemandClient.of(o, Duration.ofSeconds(1));
        assertFalse(c.isConnected());
        assertEquals(0, c.connections(), "nothing is opened before a call needs it");
        c.close();
        assertThrows(ClientClosedException.class, () -> c.publish("t", "x", Qos.AT_MOST_ONCE));
    }
}
