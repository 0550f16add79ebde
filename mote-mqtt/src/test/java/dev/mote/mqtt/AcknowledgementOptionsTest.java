package dev.mote.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The acknowledgement options and the public side of {@link Message#ack()}. */
class AcknowledgementOptionsTest {

    @Test
    void automaticIsTheDefault() {
        MqttOptions o = MqttOptions.builder("mqtt://localhost").build();
        assertEquals(Acknowledgement.AUTOMATIC, o.acknowledgement());
        assertEquals(1000, o.maxUnacknowledged());
        assertFalse(o.toString().contains("manual"));
    }

    @Test
    void manualModeAndItsBound() {
        MqttOptions o = MqttOptions.builder("mqtt://localhost").acknowledgement(Acknowledgement.MANUAL)
                .maxUnacknowledged(5).build();
        assertEquals(Acknowledgement.MANUAL, o.acknowledgement());
        assertEquals(5, o.maxUnacknowledged());
        assertTrue(o.toString().contains("manual acks (max 5)"), o.toString());
    }

    @Test
    void theBoundIsCheckedAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MqttOptions.builder("mqtt://localhost").maxUnacknowledged(0));
        assertEquals("maxUnacknowledged must be from 1 to 65535, not 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MqttOptions.builder("mqtt://localhost").maxUnacknowledged(65_536));
        assertThrows(NullPointerException.class, () -> MqttOptions.builder("mqtt://localhost").acknowledgement(null));
    }

    @Test
    void anApplicationMadeMessageHasNothingToAcknowledgeAndComparesByValue() {
        Message a = new Message("t", new byte[] {1, 2}, Qos.AT_LEAST_ONCE, false, false);
        Message b = new Message("t", new byte[] {1, 2}, Qos.AT_LEAST_ONCE, false, false);
        assertFalse(a.needsAck());
        a.ack(); // nothing happens
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new Message("t", new byte[] {1, 2}, Qos.AT_LEAST_ONCE, false, true));
        assertEquals("Message[topic=t, qos=1, 2 bytes]", a.toString());
        assertThrows(NullPointerException.class, () -> new Message(null, new byte[0], Qos.AT_MOST_ONCE, false, false));
    }

    @Test
    void aHandleMakesAckCountAndEqualityIgnoresIt() {
        int[] acks = {0};
        Message m = dev.mote.mqtt.internal.util.AckHandle.Messages.create("t", new byte[] {1, 2}, Qos.AT_LEAST_ONCE,
                false, false, () -> acks[0]++, 42L);
        assertTrue(m.needsAck());
        m.ack();
        assertEquals(1, acks[0]);
        assertEquals(42L, dev.mote.mqtt.internal.util.AckHandle.Messages.receivedAt(m));
        assertEquals(new Message("t", new byte[] {1, 2}, Qos.AT_LEAST_ONCE, false, false), m);
    }
}
