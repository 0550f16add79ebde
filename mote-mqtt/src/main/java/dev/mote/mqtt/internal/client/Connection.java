package dev.mote.mqtt.internal.client;

import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.internal.transport.Transport;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/** One network connection's moving parts: its transport, its write queue and its threads. */
final class Connection {
    final Transport transport;
    final MqttOptions.Server server;
    /** Completes on an accepting CONNACK; fails with the reason this connection could not be made. */
    final Completion connack = new Completion();
    /** Set under the client lock once CONNACK accepted this connection. */
    boolean established;
    final OutboundQueue queue = new OutboundQueue();
    final AtomicBoolean failed = new AtomicBoolean();
    final CountDownLatch writerDone = new CountDownLatch(1);
    final CountDownLatch readerDone = new CountDownLatch(1);
    volatile long lastSentAt;
    volatile long lastReceivedAt;
    /** True while the reader waits for room in a full subscription buffer. */
    volatile boolean readerPaused;
    /** Bytes the reader has read but not decoded (the start of a packet); for keep-alive while paused. */
    volatile int readerLeftover;
    /** Packets the session made (null tracker) that are queued and not yet written. */
    final java.util.concurrent.atomic.AtomicInteger owed = new java.util.concurrent.atomic.AtomicInteger();
    /** True while the reader waits for the writer to catch up on {@link #owed}. */
    volatile boolean readerWaitsForWriter;
    /** Messages handed to manual-acknowledgement subscriptions and not yet acknowledged; guarded by the client lock. */
    int unacknowledged;
    /** QoS 2 messages the broker resent after releasing them (not delivered again); guarded by the client lock. */
    int redeliveriesOfReleased;
    Thread reader;
    Thread writer;
    /** Volatile: set by the connecting thread after CONNACK, read by whichever thread sees the failure. */
    volatile Thread keepAlive;

    Connection(Transport transport, MqttOptions.Server server) {
        this.transport = transport;
        this.server = server;
        long now = System.nanoTime();
        this.lastSentAt = now;
        this.lastReceivedAt = now;
    }
}
