package dev.mote.it.broker;

import dev.mote.mqtt.MqttOptions;

/** A running broker the scenarios connect to. */
public interface Broker {

    /** Which implementation this is; some scenarios depend on a broker's features. */
    enum Kind {
        MOSQUITTO("mosquitto"),
        HIVEMQ("hivemq");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The short name used in display names, e.g. {@code [mosquitto]}. */
        public String label() {
            return label;
        }
    }

    Kind kind();

    /** The short name, {@code mosquitto} or {@code hivemq}. */
    default String name() {
        return kind().label();
    }

    /** Always a loopback address. */
    String host();

    int port();

    /** The broker URL for {@link MqttOptions#builder(String)}. */
    default String uri() {
        return "mqtt://" + host() + ":" + port();
    }

    /** Options pointing at this broker; the caller adds the rest. */
    default MqttOptions.Builder options() {
        return MqttOptions.builder(uri());
    }

    /** What to show when a scenario fails: where the broker's log is, and its last lines. */
    String diagnostics();
}
