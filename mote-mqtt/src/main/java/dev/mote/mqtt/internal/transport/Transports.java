package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.MqttOptions;
import java.io.IOException;

/** Opens the transport the options' URL asks for. New transports (TLS, WebSocket) are added here. */
public final class Transports {
    private Transports() {}

    /** Connects to {@code server}, giving up after the options' connect timeout. */
    public static Transport connect(MqttOptions options, MqttOptions.Server server) throws IOException {
        return switch (server.scheme()) {
            case "mqtt" -> TcpTransport.connect(server.host(), server.port(), options.connectTimeout());
            default -> throw new IOException("unsupported transport " + server.scheme() + "://");
        };
    }
}
