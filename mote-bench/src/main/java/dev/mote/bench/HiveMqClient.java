package dev.mote.bench;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The HiveMQ MQTT client 1.3.7, its asynchronous MQTT 3 API. It queues publishes without bound, so
 * a semaphore of 65,535 (the packet-id space, the most it can have in flight) bounds them; each
 * publish's CompletableFuture (completed on PUBACK/PUBCOMP, or on writing for QoS 0) releases it.
 */
final class HiveMqClient implements BenchClient {
    private final int windowSize = BenchClient.window();
    private Mqtt3AsyncClient client;
    private final Semaphore window = new Semaphore(windowSize);
    private final AtomicLong failed = new AtomicLong();

    @Override
    public void connect(String host, int port, String clientId) throws Exception {
        client = Mqtt3Client.builder().identifier(clientId).serverHost(host).serverPort(port).buildAsync();
        client.connectWith().cleanSession(true).keepAlive(60).send().get(30, TimeUnit.SECONDS);
    }

    @Override
    public void subscribe(String filter, int qos, Consumer<byte[]> handler) throws Exception {
        client.subscribeWith()
                .topicFilter(filter)
                .qos(MqttQos.fromCode(qos))
                .callback(p -> handler.accept(p.getPayloadAsBytes()))
                .send()
                .get(30, TimeUnit.SECONDS);
    }

    @Override
    public void publish(String topic, byte[] payload, int qos) throws Exception {
        window.acquire();
        client.publishWith().topic(topic).qos(MqttQos.fromCode(qos)).payload(payload).send()
                .whenComplete((p, e) -> {
                    if (e != null) {
                        failed.incrementAndGet();
                    }
                    window.release();
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
                client.disconnect().get(10, TimeUnit.SECONDS);
            } finally {
                client = null;
            }
        }
    }
}
