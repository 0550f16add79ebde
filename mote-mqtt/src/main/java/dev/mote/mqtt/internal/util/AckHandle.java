package dev.mote.mqtt.internal.util;

import dev.mote.mqtt.Message;
import dev.mote.mqtt.Qos;

/**
 * What {@link Message#ack()} calls for a message received in manual acknowledgement mode.
 * Implementations must be idempotent and never block for long.
 */
public interface AckHandle {
    /** The application acknowledged its copy of the message. */
    void ack();

    /** Builds messages with internal state; implemented once, by {@link Message}. */
    interface MessageFactory {
        Message create(String topic, byte[] payload, Qos qos, boolean retained, boolean duplicate,
                AckHandle handle, long receivedAt);

        long receivedAt(Message m);
    }

    /**
     * Access to {@link Message}'s internal state (the JDK's "shared secrets" pattern), so that no
     * public constructor or method exposes it.
     */
    final class Messages {
        private static volatile MessageFactory factory;

        private Messages() {
        }

        /** Called by {@code Message}'s static initializer. */
        public static void register(MessageFactory f) {
            if (factory != null) {
                throw new IllegalStateException("already registered");
            }
            factory = f;
        }

        private static MessageFactory factory() {
            MessageFactory f = factory;
            if (f == null) {
                // Making one runs Message's static initializer, which registers the factory.
                new Message("-", new byte[0], Qos.AT_MOST_ONCE, false, false);
                f = factory;
            }
            return f;
        }

        /** A message whose {@code ack()} calls {@code handle} (null: nothing to acknowledge). */
        public static Message create(String topic, byte[] payload, Qos qos, boolean retained, boolean duplicate,
                AckHandle handle, long receivedAt) {
            return factory().create(topic, payload, qos, retained, duplicate, handle, receivedAt);
        }

        /** When the client received {@code m} (System.nanoTime()), or 0 if the application made it. */
        public static long receivedAt(Message m) {
            return factory().receivedAt(m);
        }
    }
}
