/**
 * Mote, an MQTT 3.1.1 client. Only {@code dev.mote.mqtt} is public API; everything under
 * {@code dev.mote.mqtt.internal} may change without notice.
 */
module dev.mote.mqtt {
    exports dev.mote.mqtt;
}
