package dev.mote.cli;

import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Will;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Option;

/** Who connects, and what is left behind: client id, password, clean session, will (pub and sub). */
final class SessionOptions {
    @Option(names = {"-i", "--id"}, paramLabel = "ID", description = "Client id (default: a random one).")
    String clientId;

    @Option(names = {"-P", "--pw"}, paramLabel = "PASSWORD", description = "Password (needs -u).")
    String password;

    @Option(names = {"-c", "--disable-clean-session"},
            description = "Persistent session: the broker keeps subscriptions and queued QoS 1/2 messages "
                    + "of this client id (needs -i).")
    boolean persistent;

    @Option(names = "--will-topic", paramLabel = "TOPIC",
            description = "Will: published by the broker if this client goes away without disconnecting.")
    String willTopic;

    @Option(names = "--will-payload", paramLabel = "PAYLOAD", description = "Will payload (default empty).")
    String willPayload;

    @Option(names = "--will-qos", paramLabel = "QOS", description = "Will QoS, 0 to 2 (default 0).")
    Integer willQos;

    @Option(names = "--will-retain", description = "Retain the will.")
    boolean willRetain;

    /** Adds client id, clean session and will to {@code b}; bad values are usage errors. */
    void apply(MqttOptions.Builder b) {
        if (persistent && (clientId == null || clientId.isEmpty())) {
            throw CliException.usage("-c (persistent session) needs a client id that stays the same: give one with -i");
        }
        if (willTopic == null && (willPayload != null || willQos != null || willRetain)) {
            throw CliException.usage("--will-payload, --will-qos and --will-retain need --will-topic");
        }
        try {
            if (clientId != null) {
                b.clientId(clientId);
            }
            b.cleanSession(!persistent);
            if (willTopic != null) {
                Topics.checkName(willTopic, "--will-topic");
                byte[] payload = willPayload == null ? new byte[0] : willPayload.getBytes(StandardCharsets.UTF_8);
                b.will(new Will(willTopic, payload, Commands.qos(willQos == null ? 0 : willQos, "--will-qos"), willRetain));
            }
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }
}
