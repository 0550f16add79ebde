package dev.mote.mqtt;

/**
 * A provisioning request that failed: rejected by the cloud (with its status code, error code and
 * message), unanswered within the timeout, or answered with something unusable.
 */
public final class ProvisioningException extends MqttException {
    private final String operation;
    private final int statusCode;
    private final String errorCode;
    private final String errorMessage;
    private final boolean timedOut;

    /**
     * Creates the error of one provisioning request.
     * @param operation    the request, e.g. {@code RegisterThing}
     * @param statusCode   the cloud's status code, or -1 if it sent none
     * @param errorCode    the cloud's error code, or null
     * @param errorMessage the cloud's error message, or null
     * @param timedOut     true if no answer came in time
     * @param detail       what went wrong, in words
     */
    public ProvisioningException(String operation, int statusCode, String errorCode, String errorMessage, boolean timedOut,
                                 String detail) {
        super(operation + ": " + detail);
        this.operation = operation;
        this.statusCode = statusCode;
        this.errorCode = errorCode;
        this.errorMessage = errorMessage;
        this.timedOut = timedOut;
    }

    /** The request that failed, e.g. {@code CreateCertificateFromCsr}. */
    public String operation() {
        return operation;
    }

    /** The status code of the rejection (e.g. 400), or -1 for a timeout or an unusable answer. */
    public int statusCode() {
        return statusCode;
    }

    /** The error code of the rejection, or null. */
    public String errorCode() {
        return errorCode;
    }

    /** The error message of the rejection, or null. */
    public String errorMessage() {
        return errorMessage;
    }

    /** True if the request was not answered within the timeout. */
    public boolean timedOut() {
        return timedOut;
    }
}
