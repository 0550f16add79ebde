package dev.mote.mqtt.internal.telemetry;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * The client's JDK Flight Recorder events. Connection-level events are enabled by default (a
 * recording with the JDK's default settings shows them); the per-message ones are disabled unless
 * a recording enables them by name, since a busy client makes many. None records a stack trace.
 * Names are listed in docs/observability.md.
 */
final class MqttEvents {
    private MqttEvents() {
    }

    static final String CATEGORY = "Mote MQTT";

    @Name("dev.mote.mqtt.ConnectAttempt")
    @Label("MQTT Connect Attempt")
    @Description("One attempt to connect: transport, CONNECT and CONNACK; the duration is the attempt's")
    @Category(CATEGORY)
    @StackTrace(false)
    static final class ConnectAttempt extends Event {
        @Label("Client Id")
        String clientId;
        @Label("Server")
        String server;
        @Label("Reconnect")
        boolean reconnect;
        @Label("Outcome")
        @Description("connected, or the reason the attempt failed")
        String outcome;
        @Label("Session Present")
        boolean sessionPresent;
    }

    @Name("dev.mote.mqtt.Disconnect")
    @Label("MQTT Disconnect")
    @Description("An established connection ended without the application closing the client")
    @Category(CATEGORY)
    @StackTrace(false)
    static final class Disconnect extends Event {
        @Label("Client Id")
        String clientId;
        @Label("Server")
        String server;
        @Label("Cause")
        String cause;
        @Label("Will Reconnect")
        boolean willReconnect;
    }

    @Name("dev.mote.mqtt.ReconnectBackoff")
    @Label("MQTT Reconnect Backoff")
    @Description("The wait before a reconnect attempt; the duration is the time actually waited")
    @Category(CATEGORY)
    @StackTrace(false)
    static final class ReconnectBackoff extends Event {
        @Label("Client Id")
        String clientId;
        @Label("Attempt")
        int attempt;
        @Label("Planned Delay")
        @Timespan(Timespan.NANOSECONDS)
        long plannedDelay;
        @Label("Server")
        String server;
    }

    @Name("dev.mote.mqtt.PublishEnqueued")
    @Label("MQTT Publish Enqueued")
    @Description("The client accepted a publish")
    @Category(CATEGORY)
    @StackTrace(false)
    @Enabled(false)
    static final class PublishEnqueued extends Event {
        @Label("Topic")
        String topic;
        @Label("QoS")
        int qos;
        @Label("Payload Size")
        @DataAmount
        int payloadSize;
        @Label("Offline")
        @Description("accepted while reconnecting, to go out after the next CONNACK")
        boolean offline;
    }

    @Name("dev.mote.mqtt.PublishSent")
    @Label("MQTT Publish Sent")
    @Description("A PUBLISH is being written to the connection for the first time (resends are not recorded)")
    @Category(CATEGORY)
    @StackTrace(false)
    @Enabled(false)
    static final class PublishSent extends Event {
        @Label("Topic")
        String topic;
        @Label("QoS")
        int qos;
        @Label("Queued Time")
        @Description("from publish to the start of the write")
        @Timespan(Timespan.NANOSECONDS)
        long queuedTime;
    }

    @Name("dev.mote.mqtt.PublishAcknowledged")
    @Label("MQTT Publish Acknowledged")
    @Description("The broker acknowledged a QoS 1 (PUBACK) or QoS 2 (PUBCOMP) publish")
    @Category(CATEGORY)
    @StackTrace(false)
    @Enabled(false)
    static final class PublishAcknowledged extends Event {
        @Label("Topic")
        String topic;
        @Label("QoS")
        int qos;
        @Label("Handshake Time")
        @Description("from writing the PUBLISH to its PUBACK or PUBCOMP")
        @Timespan(Timespan.NANOSECONDS)
        long handshakeTime;
    }

    @Name("dev.mote.mqtt.MessageDelivered")
    @Label("MQTT Message Delivered")
    @Description("A subscription's handler handled a message; the duration is the handler's")
    @Category(CATEGORY)
    @StackTrace(false)
    @Enabled(false)
    static final class MessageDelivered extends Event {
        @Label("Topic")
        String topic;
        @Label("QoS")
        int qos;
        @Label("Payload Size")
        @DataAmount
        int payloadSize;
        @Label("Queueing Time")
        @Description("from reading the message off the connection to the handler starting on it")
        @Timespan(Timespan.NANOSECONDS)
        long queueingTime;
    }
}
