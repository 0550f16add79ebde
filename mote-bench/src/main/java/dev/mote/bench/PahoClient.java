package dev.mote.bench;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * Eclipse Paho mqttv3 1.2.5, the asynchronous client. Paho refuses a publish beyond its in-flight
 * maximum (it does not wait), so a semaphore of that size makes publish wait instead; it is
 * released by Paho's own completion listener. 65,000 rather than 65,535 keeps message ids free.
 */
final class PahoClient implements BenchClient {
    private final int windowSize = Math.min(65_000, BenchClient.window());
    private MqttAsyncClient client;
    private final Semaphore window = new Semaphore(windowSize);
    private final AtomicLong failed = new AtomicLong();
    private final IMqttActionListener completion = new IMqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
            window.release();
        }

        @Override
        public void onFailure(IMqttToken token, Throwable exception) {
            failed.incrementAndGet();
            window.release();
        }
    };

    @Override
    public void connect(String host, int port, String clientId) throws Exception {
        client = new MqttAsyncClient("tcp://" + host + ":" + port, clientId, new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setMaxInflight(65_535);
        o.setKeepAliveInterval(60);
        o.setConnectionTimeout(30);
        o.setAutomaticReconnect(false);
        client.connect(o).waitForCompletion(30_000);
    }

    @Override
    public void subscribe(String filter, int qos, Consumer<byte[]> handler) throws Exception {
        client.subscribe(filter, qos, null, null, (topic, message) -> handler.accept(message.getPayload()))
                .waitForCompletion(30_000);
    }

    @Override
    public void publish(String topic, byte[] payload, int qos) throws Exception {
        window.acquire();
        try {
            client.publish(topic, payload, qos, false, null, completion);
        } catch (Exception e) {
            window.release();
            failed.incrementAndGet();
        }
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
                client.disconnect(5_000).waitForCompletion(10_000);
            } finally {
                client.close();
                client = null;
            }
        }
    }
}
