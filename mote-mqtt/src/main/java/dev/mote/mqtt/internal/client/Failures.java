package dev.mote.mqtt.internal.client;

import dev.mote.mqtt.ClientClosedException;
import dev.mote.mqtt.ConnectionLostException;
import dev.mote.mqtt.ConnectionRefusedException;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.MqttInterruptedException;
import dev.mote.mqtt.MqttTimeoutException;
import dev.mote.mqtt.ProtocolViolationException;
import dev.mote.mqtt.SubscriptionRefusedException;

/** Helpers to throw a stored failure in the waiting thread, with that thread's stack trace. */
final class Failures {
    private Failures() {}

    /**
     * A copy of {@code f} of the same type whose stack shows the waiting caller, with the
     * original as its cause, so both the call site and the place of failure are visible.
     */
    static MqttException rethrow(MqttException f) {
        MqttException copy = switch (f) {
            case ProtocolViolationException p -> new ProtocolViolationException(p.getMessage());
            case ConnectionLostException c -> new ConnectionLostException(c.getMessage(), c);
            case ClientClosedException c -> new ClientClosedException(c.getMessage(), c);
            case MqttTimeoutException t -> new MqttTimeoutException(t.getMessage());
            case ConnectionRefusedException r -> r;
            case SubscriptionRefusedException s -> s;
            case MqttInterruptedException i -> i;
            default -> new MqttException(f.getMessage(), f);
        };
        if (copy != f && copy.getCause() == null) {
            copy.initCause(f);
        }
        return copy;
    }
}
