package dev.mote.mqtt;

import dev.mote.mqtt.internal.identity.FileIdentityStore;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Keeps a device's {@link DeviceIdentity} between runs. A client built with
 * {@link #optionsBuilder()} takes its TLS identity from the store on every connection attempt, so
 * after {@link #save(DeviceIdentity)} replaces it (a provisioning step, a rotated certificate),
 * {@link MqttClient#reconnect()} connects with the new one.
 *
 * <pre>{@code
 * IdentityStore store = IdentityStore.inDirectory(Path.of("/var/lib/sensor/identity"));
 * MqttClient client = MqttClient.connect(store.optionsBuilder().cleanSession(false).build());
 * }</pre>
 */
public interface IdentityStore {

    /** The stored identity, or empty if none was saved. */
    Optional<DeviceIdentity> load();

    /** Stores {@code identity}, replacing any earlier one as a whole (never half of each). */
    void save(DeviceIdentity identity);

    /**
     * A store in one file, {@code identity.json}, in {@code directory} (created if missing). On
     * POSIX file systems the directory is made owner-only (0700) and the file owner-read/write
     * (0600); a save writes a temporary file and moves it over the old one atomically.
     */
    static IdentityStore inDirectory(Path directory) {
        return new FileIdentityStore(directory);
    }

    /**
     * The stored identity.
     *
     * @throws IllegalStateException if the store holds none
     */
    default DeviceIdentity require() {
        return load().orElseThrow(() -> new IllegalStateException("no device identity in " + this
                + "; provision the device first"));
    }

    /** The TLS settings of whatever the store holds at the time of each call, for {@link MqttOptions.Builder#tlsPerConnection}. */
    default Supplier<TlsConfig> tlsPerConnection() {
        return () -> require().tlsConfig();
    }

    /**
     * Options for connecting with the stored identity: its endpoint, port and client id (read
     * now), and its TLS identity taken anew on each connection attempt.
     *
     * @throws IllegalStateException if the store holds no identity
     */
    default MqttOptions.Builder optionsBuilder() {
        DeviceIdentity id = require();
        id.tlsConfig(); // fail now, not at the first attempt, if what is stored is unusable
        return MqttOptions.builder(id.serverUri()).clientId(id.clientId()).tlsPerConnection(tlsPerConnection());
    }
}
