package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.MqttOptions;
import java.io.IOException;

/** Opens the transport the options' URL asks for. New transports (TLS, WebSocket) are added here. */
public final class Transports {
    private Transports() {}

    /** Connects, giving up after the options' connect timeout. */
    public static Transport connect(MqttOptions options) throws IOException {
        return switch (options.scheme()) {
            case "mqtt" -> TcpTransport.connect(options.host(), options.port(), options.connectTimeout());
            default -> throw new IOException("unsupported transport " + options.scheme() + "://");
        };
    }
}
