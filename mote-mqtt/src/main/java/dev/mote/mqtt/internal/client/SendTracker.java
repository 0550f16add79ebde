package dev.mote.mqtt.internal.client;

/** Told by the writer once the packet it was queued with has been written to the connection. */
interface SendTracker {
    void written();
}
