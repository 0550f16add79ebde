package dev.mote.mqtt;

/**
 * The calling thread was interrupted while it waited. The thread's interrupt flag is set again
 * before this is thrown, so code further up still sees the interruption.
 */
public final class MqttInterruptedException extends MqttException {
    /** Creates the exception with its message and cause. */
    public MqttInterruptedException(String message, InterruptedException cause) {
        super(message, cause);
    }
}
