package dev.mote.mqtt.internal.session;

import java.util.Map;

/** Public access to the seed programs, for the corpus check. */
public final class SessionSeeds {
    private SessionSeeds() {}

    public static Map<String, byte[]> all() {
        return SessionPrograms.all();
    }
}
