package dev.mote.mqtt;

import dev.mote.mqtt.internal.config.ConfigKeys;
import dev.mote.mqtt.internal.config.ConfigLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Options from outside the code: a URL with query parameters, a JSON or properties file, and
 * {@code MOTE_*} environment variables. Each method returns an {@link MqttOptions.Builder}, so
 * calls made on it afterwards override what the configuration said.
 *
 * <p>Precedence, highest first: builder calls made on the result, then environment variables,
 * then the file, then the query of the URL. A layer that gives a key in any form (e.g.
 * {@code passwordFile}) replaces every form of it from lower layers ({@code password}).
 *
 * <pre>{@code
 * // mqtts://device@abc-ats.iot.eu-west-1.amazonaws.com:443?clientId=sensor-17&alpn=x-amzn-mqtt-ca&cert=dev.crt&key=dev.key
 * MqttOptions options = MqttConfig.fromUrl(url).build();
 * MqttClient client = MqttClient.connect(Path.of("/etc/sensor/mqtt.json"));   // file plus MOTE_* variables
 * }</pre>
 *
 * <p>Secrets ({@code password}, {@code key}, {@code pkcs12Password}) can be given by a file
 * ({@code passwordFile}, {@code key} is a path) or by the name of an environment variable that
 * holds them ({@code passwordEnv}, {@code keyEnv}, {@code pkcs12PasswordEnv}). An unknown key, a
 * bad value, a missing file or variable is a {@link ConfigException} naming the key and where it
 * was given, never showing a secret. The keys are listed in {@code docs/config.md}.
 */
public final class MqttConfig {
    private MqttConfig() {}

    /**
     * Options from a broker URL whose query parameters are option keys, e.g.
     * {@code mqtts://user@host:8883?clientId=s1&keepAlive=30s&ca=/etc/ca.pem}. The query is always
     * read as options (also for {@code ws://} and {@code wss://}, whose upgrade request then has
     * no query). {@code ...Env} keys read {@link System#getenv()}.
     *
     * @throws ConfigException for an unknown key or a bad value
     */
    public static MqttOptions.Builder fromUrl(String url) {
        Objects.requireNonNull(url, "url");
        return ConfigLoader.load(url, null, System.getenv(), false);
    }

    /**
     * Options from a file alone: JSON if its name ends in {@code .json} (one object of keys; lists
     * as arrays or comma-separated text), else {@code key = value} lines. It must set {@code url}.
     * Relative paths in it are resolved against the file's directory. {@code ...Env} keys read
     * {@link System#getenv()}; {@code MOTE_*} variables are not applied (see {@link #load}).
     *
     * @throws ConfigException if the file cannot be read or parsed, or for an unknown key or a bad value
     */
    public static MqttOptions.Builder fromFile(Path file) {
        Objects.requireNonNull(file, "file");
        return ConfigLoader.load(null, file, System.getenv(), false);
    }

    /**
     * Options from a file (may be null) overridden by the {@code MOTE_*} variables of {@code env}
     * ({@code MOTE_URL}, {@code MOTE_CLIENT_ID}, {@code MOTE_KEEP_ALIVE}, ... : the key in upper
     * snake case). Pass {@link System#getenv()} or, in tests, a map. A {@code MOTE_*} variable that
     * is no option is an error.
     *
     * @throws ConfigException for an unknown key or variable, a bad value, or no URL anywhere
     */
    public static MqttOptions.Builder load(Path file, Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        return ConfigLoader.load(null, file, env, true);
    }

    /** Every key a file or URL may hold (including the {@code File}/{@code Env} forms), in documentation order. */
    public static List<String> keys() {
        return ConfigKeys.allNames();
    }

    /** The environment variable that sets a key: {@code keepAlive} is {@code MOTE_KEEP_ALIVE}. */
    public static String environmentVariable(String key) {
        if (ConfigKeys.find(key) == null) {
            throw new IllegalArgumentException("unknown configuration key: " + key);
        }
        return ConfigKeys.envName(key);
    }
}
