package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.MqttOptions;
import java.io.IOException;

/** Opens the transport the options ask for: the user's own, else by URL scheme. New transports (WebSocket) are added here. */
public final class Transports {
    private Transports() {}

    /** Connects to {@code server}, giving up after the options' connect timeout. */
    public static Transport connect(MqttOptions options, MqttOptions.Server server) throws IOException {
        if (options.transport() != null) {
            return CustomTransport.open(options.transport(), server.host(), server.port(), options.connectTimeout());
        }
        if (options.socksProxy() != null && !server.scheme().equals("unix") && !server.scheme().startsWith("ws")) {
            return Socks.connect(options, server);
        }
        if (options.httpProxy() != null && !server.scheme().equals("unix") && !server.scheme().startsWith("ws")) {
            return HttpProxyTunnel.connect(options, server);
        }
        return switch (server.scheme()) {
            case "mqtt" -> TcpTransport.connect(server.host(), server.port(), options.connectTimeout());
            case "mqtts" -> TlsTransport.connect(server.host(), server.port(), options.tls(), options.connectTimeout());
            case "unix" -> UnixSockets.connect(server.host(), options.connectTimeout());
            case "ws", "wss" -> WebSocketTransport.connect(options, server);
            default -> throw new IOException("unsupported transport " + server.scheme() + "://");
        };
    }
}
