package dev.mote.cli;

import dev.mote.mqtt.Qos;

/** Small argument checks shared by the commands. */
final class Commands {
    private Commands() {
    }

    /** A QoS option value; anything but 0, 1 or 2 is a usage error naming the option. */
    static Qos qos(int value, String option) {
        if (value < 0 || value > 2) {
            throw CliException.usage("invalid QoS " + value + " for " + option + ": must be 0, 1 or 2");
        }
        return Qos.of(value);
    }
}
