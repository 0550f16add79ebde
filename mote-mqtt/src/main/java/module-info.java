/**
 * Mote, an MQTT 3.1.1 client. Only {@code dev.mote.mqtt} is public API; everything under
 * {@code dev.mote.mqtt.internal} may change without notice.
 */
module dev.mote.mqtt {
    requires jdk.jfr; // flight recorder events (internal.telemetry); part of the JDK, no dependency

    exports dev.mote.mqtt;
}
