package dev.mote.bench;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The Vert.x MQTT client 5.0.7 on one shared Vert.x instance. Its in-flight queue is set to
 * 65,535 (it fails a publish beyond it), and a semaphore of the same size makes publish wait;
 * the publish-completion handler (PUBACK/PUBCOMP) or, for QoS 0, the written future releases it.
 */
final class VertxClient implements BenchClient {
    private final int windowSize = BenchClient.window();
    private static volatile Vertx vertx;
    private MqttClient client;
    private final Semaphore window = new Semaphore(windowSize);
    private final AtomicLong failed = new AtomicLong();
    private volatile CompletableFuture<Void> suback;

    static Vertx vertx() {
        if (vertx == null) {
            synchronized (VertxClient.class) {
                if (vertx == null) {
                    vertx = Vertx.vertx();
                }
            }
        }
        return vertx;
    }

    static void shutdown() {
        if (vertx != null) {
            vertx.close();
            vertx = null;
        }
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Override
    public void connect(String host, int port, String clientId) throws Exception {
        MqttClientOptions o = new MqttClientOptions()
                .setClientId(clientId)
                .setCleanSession(true)
                .setKeepAliveInterval(60)
                .setMaxInflightQueue(windowSize)
                .setAutoKeepAlive(true);
        client = MqttClient.create(vertx(), o);
        client.publishCompletionHandler(id -> window.release());
        client.subscribeCompletionHandler(ack -> {
            CompletableFuture<Void> s = suback;
            if (s != null) {
                s.complete(null);
            }
        });
        await(client.connect(port, host));
    }

    @Override
    public void subscribe(String filter, int qos, Consumer<byte[]> handler) throws Exception {
        client.publishHandler(m -> handler.accept(m.payload().getBytes()));
        suback = new CompletableFuture<>();
        await(client.subscribe(filter, qos));
        suback.get(30, TimeUnit.SECONDS);
    }

    @Override
    public void publish(String topic, byte[] payload, int qos) throws Exception {
        window.acquire();
        Future<Integer> f = client.publish(topic, Buffer.buffer(payload), MqttQoS.valueOf(qos), false, false);
        f.onComplete(r -> {
            if (r.failed()) {
                failed.incrementAndGet();
                window.release();
            } else if (qos == 0) {
                window.release();
            }
        });
    }

    @Override
    public boolean awaitPublished(Duration timeout) throws Exception {
        if (!window.tryAcquire(windowSize, timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return false;
        }
        window.release(windowSize);
        return true;
    }

    @Override
    public long failedPublishes() {
        return failed.get();
    }

    @Override
    public void disconnect() throws Exception {
        if (client != null) {
            try {
                await(client.disconnect());
            } finally {
                client = null;
            }
        }
    }
}
