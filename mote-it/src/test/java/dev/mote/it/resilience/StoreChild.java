package dev.mote.it.resilience;

import dev.mote.mqtt.Delivery;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.Wait;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The child process of {@link JvmRestartTest}: a publisher with a file session store.
 *
 * <pre>
 * StoreChild publish URI STORE QOS TOPIC FROM COUNT   publishes sequence numbers FROM.., printing
 *                                                     "accepted N" after each publish() returns
 * StoreChild finish URI STORE QOS TOPIC               resumes the store, waits for every recovered
 *                                                     message to be acknowledged, closes
 * </pre>
 *
 * Both print "recovered N" first. The parent kills the first kind with SIGKILL mid-stream.
 */
public final class StoreChild {
    private StoreChild() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String uri = args[1];
        Path store = Path.of(args[2]);
        Qos qos = Qos.of(Integer.parseInt(args[3]));
        String topic = args[4];
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
        MqttOptions options = MqttOptions.builder(uri)
                .clientId("store-child-q" + qos.value())
                .cleanSession(false)
                .sessionStore(store)
                .ackTimeout(Duration.ofSeconds(60))
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(10), Duration.ofMillis(200)))
                .build();
        try (MqttClient client = MqttClient.connect(options)) {
            List<Delivery> recovered = client.recoveredDeliveries();
            out.println("recovered " + recovered.size());
            if (mode.equals("publish")) {
                long from = Long.parseLong(args[5]);
                long count = Long.parseLong(args[6]);
                for (long i = from; i < from + count; i++) {
                    client.publish(topic, SequenceCounter.payload(i, 32), qos, false, Wait.NONE);
                    out.println("accepted " + i);
                }
            }
            int acknowledged = 0;
            for (Delivery d : recovered) {
                if (d.await(Duration.ofSeconds(60))) {
                    acknowledged++;
                }
            }
            out.println("acknowledged " + acknowledged);
        }
        out.println("closed");
    }
}
