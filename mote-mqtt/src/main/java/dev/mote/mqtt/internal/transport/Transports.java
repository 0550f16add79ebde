package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.MqttOptions;
import java.io.IOException;

/** Opens the transport the options ask for: the user's own, else by URL scheme. New transports (WebSocket) are added here. */
public final class Transports {
    private Transports() {}

    /** Connects, giving up after the options' connect timeout. */
    public static Transport connect(MqttOptions options) throws IOException {
        if (options.transport() != null) {
            return CustomTransport.open(options.transport(), options.host(), options.port(), options.connectTimeout());
        }
        return switch (options.scheme()) {
            case "mqtt" -> TcpTransport.connect(options.host(), options.port(), options.connectTimeout());
            case "mqtts" -> TlsTransport.connect(options.host(), options.port(), options.tls(), options.connectTimeout());
            default -> throw new IOException("unsupported transport " + options.scheme() + "://");
        };
    }
}
