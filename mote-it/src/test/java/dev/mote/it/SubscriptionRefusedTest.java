package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mote.it.broker.Broker;
import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.HiveMqBroker;
import dev.mote.it.broker.MosquittoBroker;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.SubscriptionRefusedException;
import dev.mote.mqtt.TopicFilter;
import dev.mote.mqtt.Wait;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * A broker that answers SUBACK 0x80. Neither broker refuses a valid filter out of the box:
 * Mosquitto here runs with its bundled dynamic-security plugin and a role that denies subscribing
 * to {@code refused/#} (for anonymous clients, through the anonymous group); HiveMQ runs with the
 * small embedded extension of {@link HiveMqBroker}, which refuses the same filters.
 */
class SubscriptionRefusedTest {
    private static final Duration RECEIVE = Duration.ofSeconds(10);

    @BrokerTest
    void refusedFilterThrowsNamingIt(TestBed bed) {
        Broker broker = refusingBroker(bed);
        MqttClient client = bed.connect(bed.options(broker.uri()).clientId(bed.clientId("refused")).build());
        String refused = "refused/" + bed.prefix() + "/x";

        SubscriptionRefusedException e = assertThrows(SubscriptionRefusedException.class,
                () -> client.subscribe(refused, Qos.AT_LEAST_ONCE));
        assertEquals(List.of(refused), e.refusedFilters());
        assertTrue(e.getMessage().contains("\"" + refused + "\"") && e.getMessage().contains("0x80"), e.getMessage());
        assertNotNull(e.subscription());
        assertFalse(e.subscription().isActive(), "nothing was granted, so the subscription ended");
        assertTrue(client.isConnected(), "a refused filter does not cost the connection");
        client.ping();
    }

    /** One SUBSCRIBE with a granted and a refused filter: the granted one works. */
    @BrokerTest
    void grantedFiltersOfAPartlyRefusedSubscribeStillWork(TestBed bed) {
        Broker broker = refusingBroker(bed);
        MqttClient client = bed.connect(bed.options(broker.uri()).clientId(bed.clientId("partly")).build());
        String ok = bed.topic("ok");
        String refused = "refused/" + bed.prefix() + "/y";

        SubscriptionRefusedException e = assertThrows(SubscriptionRefusedException.class,
                () -> client.subscribe(List.of(TopicFilter.of(ok, Qos.AT_LEAST_ONCE), TopicFilter.of(refused, Qos.AT_LEAST_ONCE)),
                        null, Wait.ACK));
        assertEquals(List.of(refused), e.refusedFilters());
        Subscription partial = e.subscription();
        assertEquals(Arrays.asList(Qos.AT_LEAST_ONCE, null), partial.grantedQos());
        assertTrue(partial.isActive());

        client.publish(ok, "fine", Qos.AT_LEAST_ONCE);
        assertEquals("fine", partial.receive(RECEIVE).payloadAsString());

        // Without waiting for SUBACK, the outcome shows in grantedQos() later.
        Subscription later = client.subscribe(List.of(TopicFilter.of(refused, Qos.AT_MOST_ONCE)), null, Wait.NONE);
        assertNull(later.grantedQosOfFirst());
        Await.until(RECEIVE, () -> !later.isActive(), () -> "the all-refused subscription ending");
        assertSame(null, later.receive(Duration.ofMillis(10)));
    }

    /**
     * Mosquitto: an extra instance with the dynamic-security plugin (skipped, saying why, if the
     * plugin is not installed); HiveMQ: the shared broker, whose test extension refuses these.
     */
    private static Broker refusingBroker(TestBed bed) {
        if (bed.broker().kind() == Broker.Kind.HIVEMQ) {
            return bed.broker();
        }
        Path plugin = MosquittoBroker.dynamicSecurityPlugin();
        assumeTrue(plugin != null, "Mosquitto's dynamic-security plugin (mosquitto_dynamic_security.so) is not"
                + " installed, and without a plugin Mosquitto 2.0 refuses no valid filter (an acl_file would"
                + " also do, but Debian's package ships the plugin)");
        return bed.mosquitto(MosquittoBroker.builder("dynsec")
                .file("dynamic-security.json", DYNSEC_JSON)
                .config("plugin " + plugin)
                .config("plugin_opt_config_file ${dir}/dynamic-security.json"));
    }

    /**
     * Everything allowed by default; anonymous clients are in a group whose role denies
     * subscribing to any filter that matches {@code refused/#}.
     */
    private static final String DYNSEC_JSON = """
            {
              "defaultACLAccess": {
                "publishClientSend": true,
                "publishClientReceive": true,
                "subscribe": true,
                "unsubscribe": true
              },
              "clients": [],
              "groups": [
                {"groupname": "anonymous", "roles": [{"rolename": "mote-it"}]}
              ],
              "roles": [
                {
                  "rolename": "mote-it",
                  "acls": [
                    {"acltype": "subscribePattern", "topic": "refused/#", "priority": 0, "allow": false}
                  ]
                }
              ],
              "anonymousGroup": "anonymous"
            }
            """;
}
