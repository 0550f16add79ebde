package dev.mote.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MqttOptions: defaults and the checks made when options are built. */
class MqttOptionsTest {

    @Test
    @DisplayName("[MQTT-3.1.3-5] the generated client id is 1..23 characters of [0-9a-zA-Z], which every broker must accept")
    void generatedClientIdIsPortable() {
        String a = MqttOptions.builder("mqtt://localhost").build().clientId();
        String b = MqttOptions.builder("mqtt://localhost").build().clientId();
        assertTrue(a.matches("[0-9a-zA-Z]{1,23}"), a);
        assertEquals(23, a.length());
        assertNotEquals(a, b, "each client gets its own id");
    }

    @Test
    @DisplayName("§3.1.3.1: a persistent session without an explicit client id is refused (a random id would lose the session)")
    void persistentSessionNeedsAnExplicitClientId() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MqttOptions.builder("mqtt://localhost").cleanSession(false).build());
        assertTrue(e.getMessage().contains("needs a client id that stays the same"), e.getMessage());
    }

    @Test
    void urlDefaultsAndCredentialsFromUserInfo() {
        MqttOptions o = MqttOptions.builder("mqtt://alice:s3cret@broker.example").build();
        assertEquals("broker.example", o.host());
        assertEquals(1883, o.port());
        assertEquals("alice", o.username());
        assertFalse(o.toString().contains("s3cret"), o.toString());
        assertEquals(Duration.ofSeconds(60), o.keepAlive());
        assertEquals(Duration.ofSeconds(30), o.pingTimeout());
        assertTrue(o.reconnect().enabled(), "reconnect is on by default");
        assertEquals(20, o.qos2InFlightWindow());
    }

    @Test
    void badValuesNameTheOption() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> MqttOptions.builder("mqtt://h").inFlightWindow(0)).getMessage().contains("inFlightWindow"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> MqttOptions.builder("mqtt://h").keepAlive(Duration.ofSeconds(70_000))).getMessage().contains("keep-alive"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> MqttOptions.builder("gopher://h")).getMessage().contains("scheme"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> MqttOptions.builder("mqtt://h").will(Will.of("a/+", "x", Qos.AT_MOST_ONCE, false))).getMessage().contains("a/+"));
    }
}
