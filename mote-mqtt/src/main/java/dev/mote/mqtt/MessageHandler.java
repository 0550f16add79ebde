package dev.mote.mqtt;

/**
 * Receives the messages of one subscription, one at a time and in arrival order, on a virtual
 * thread of its own; it may block. An exception it throws is logged and the next message follows.
 */
@FunctionalInterface
public interface MessageHandler {
    /** Handles one message. */
    void onMessage(Message message) throws Exception;
}
