package dev.mote.mqtt;

/**
 * A configuration key or value that cannot be used (from a URL, a file or the environment; see
 * {@link MqttConfig}). The message names the key and where it was given (file and line,
 * environment variable, URL query) and says what is wrong; it never contains a secret's value.
 */
public final class ConfigException extends IllegalArgumentException {
    private final String key;
    private final String location;

    /**
     * Creates the error for {@code key} at {@code location}.
     * @param key      the key, as written in files ({@code keepAlive}), or null for a problem
     *                 not tied to one key (a file that is not JSON)
     * @param location where the key was given, e.g. {@code "mote.json, line 4"}, or null
     * @param problem  what is wrong, without the key and location
     */
    public ConfigException(String key, String location, String problem) {
        super((key != null ? key : "configuration") + (location != null ? " (" + location + ")" : "") + ": " + problem);
        this.key = key;
        this.location = location;
    }

    /** The key the problem is about, or null. */
    public String key() {
        return key;
    }

    /** Where the key was given (file and line, environment variable, URL), or null. */
    public String location() {
        return location;
    }
}
