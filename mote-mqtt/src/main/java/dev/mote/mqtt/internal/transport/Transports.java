package dev.mote.mqtt.internal.transport;

import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.TlsConfig;
import java.io.IOException;

/** Opens the transport the options ask for: the user's own, else by URL scheme. New transports (WebSocket) are added here. */
public final class Transports {
    private Transports() {}

    /** Connects to {@code server} with the options' fixed TLS settings, giving up after the connect timeout. */
    public static Transport connect(MqttOptions options, MqttOptions.Server server) throws IOException {
        return connect(options, server, options.tls());
    }

    /**
     * Connects to {@code server}, securing {@code mqtts://} and {@code wss://} with {@code tls} (the
     * settings of this attempt, see {@link MqttOptions#tlsForNextConnection()}), giving up after the
     * options' connect timeout.
     */
    public static Transport connect(MqttOptions options, MqttOptions.Server server, TlsConfig tls) throws IOException {
        if (options.transport() != null) {
            return CustomTransport.open(options.transport(), server.host(), server.port(), options.connectTimeout());
        }
        if (options.socksProxy() != null && !server.scheme().equals("unix") && !server.scheme().startsWith("ws")) {
            return Socks.connect(options, server, tls);
        }
        if (options.httpProxy() != null && !server.scheme().equals("unix") && !server.scheme().startsWith("ws")) {
            return HttpProxyTunnel.connect(options, server, tls);
        }
        return switch (server.scheme()) {
            case "mqtt" -> TcpTransport.connect(server.host(), server.port(), options.connectTimeout());
            case "mqtts" -> TlsTransport.connect(server.host(), server.port(), tls, options.connectTimeout());
            case "unix" -> UnixSockets.connect(server.host(), options.connectTimeout());
            case "ws", "wss" -> WebSocketTransport.connect(options, server, tls);
            default -> throw new IOException("unsupported transport " + server.scheme() + "://");
        };
    }
}
