package dev.mote.bench;

import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Wait;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/** Mote: Wait.NONE publishes, its own window (the largest it allows), deliveries awaited in order. */
final class MoteClient implements BenchClient {
    private MqttClient client;
    private final ArrayDeque<Delivery> pending = new ArrayDeque<>();
    private long failed;

    @Override
    public void connect(String host, int port, String clientId) {
        MqttOptions options = MqttOptions.builder("mqtt://" + host + ":" + port)
                .clientId(clientId)
                .inFlightWindow(BenchClient.window())
                .qos2InFlightWindow(BenchClient.window())
                .connectTimeout(Duration.ofSeconds(30))
                .ackTimeout(Duration.ofSeconds(60))
                .build();
        client = MqttClient.connect(options);
    }

    @Override
    public void subscribe(String filter, int qos, Consumer<byte[]> handler) {
        client.subscribe(filter, Qos.of(qos), m -> handler.accept(m.payload()));
    }

    @Override
    public void publish(String topic, byte[] payload, int qos) {
        Delivery d = client.publish(topic, payload, Qos.of(qos), false, Wait.NONE);
        pending.addLast(d);
        // Forget the completed ones from the head, so the queue stays about one window long.
        Delivery head;
        while ((head = pending.peekFirst()) != null && head.isDone()) {
            pending.pollFirst();
            if (head.status() == Delivery.Status.FAILED) {
                failed++;
            }
        }
    }

    @Override
    public boolean awaitPublished(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Delivery d;
        while ((d = pending.pollFirst()) != null) {
            long left = deadline - System.nanoTime();
            try {
                if (left <= 0 || !d.await(Duration.ofNanos(left))) {
                    pending.addFirst(d);
                    return false;
                }
            } catch (RuntimeException e) {
                failed++;
            }
        }
        return true;
    }

    @Override
    public long failedPublishes() {
        return failed;
    }

    @Override
    public void disconnect() {
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
