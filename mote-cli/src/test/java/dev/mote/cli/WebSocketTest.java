package dev.mote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import java.io.IOException;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code -L ws://host:port[/path]}: pub and sub over MQTT over WebSocket, against an embedded
 * Moquette (the demo's broker, already on the classpath; the installed Mosquitto has no working
 * WebSocket listener). Moquette serves WebSocket on the path {@code /mqtt}, the library's default.
 */
class WebSocketTest {
    private static Server moquette;
    private static int wsPort;

    @BeforeAll
    static void start() throws IOException {
        System.setProperty("io.netty.noUnsafe", "true");
        wsPort = Mosquitto.freePort();
        Properties p = new Properties();
        p.setProperty("host", "127.0.0.1");
        p.setProperty("port", Integer.toString(Mosquitto.freePort()));
        p.setProperty("websocket_port", Integer.toString(wsPort));
        p.setProperty("allow_anonymous", "true");
        p.setProperty("persistence_enabled", "false");
        p.setProperty("telemetry_enabled", "false");
        moquette = new Server();
        moquette.startServer(new MemoryConfig(p));
    }

    @AfterAll
    static void stop() {
        if (moquette != null) {
            moquette.stopServer();
        }
    }

    @Test
    void pubAndSubOverWebSocket() {
        String topic = "ws/" + System.nanoTime();
        Cli.Running sub = Cli.start(new byte[0], "sub", "-L", "ws://127.0.0.1:" + wsPort + "/mqtt", "-t", topic, "-q", "1",
                "-C", "1", "-v", "-d");
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!sub.errSoFar().contains("mote sub: subscribed to " + topic)) {
            assertTrue(System.nanoTime() < deadline, "never subscribed: " + sub.errSoFar());
            Mosquitto.sleep(20);
        }
        Cli.Result pub = Cli.run("pub", "-L", "ws://127.0.0.1:" + wsPort, "-t", topic, "-m", "over a websocket", "-q", "1");
        assertEquals(0, pub.code(), pub.toString());
        Cli.Result r = sub.await(15);
        assertEquals(0, r.code(), r.toString());
        assertEquals(topic + " over a websocket\n", r.outText());
        assertTrue(r.err().contains("mote sub: connected to ws://127.0.0.1:" + wsPort), r.err());
    }
}
