package dev.mote.it.broker;

/**
 * The brokers shared by all scenarios of a run: one Mosquitto process and the embedded HiveMQ,
 * each started on first use. Kept in JUnit's root store, which closes it when the run ends.
 */
final class SharedBrokers implements AutoCloseable {
    private MosquittoBroker mosquitto;

    /** The shared Mosquitto; publishes {@code $SYS} every second for the {@code $} topic scenario. */
    synchronized MosquittoBroker mosquitto() {
        if (mosquitto == null || !mosquitto.isRunning()) {
            mosquitto = MosquittoBroker.builder("shared").config("sys_interval 1").start();
        }
        return mosquitto;
    }

    synchronized HiveMqBroker hivemq() {
        return HiveMqBroker.shared();
    }

    @Override
    public synchronized void close() {
        if (mosquitto != null) {
            mosquitto.close();
        }
        HiveMqBroker.shutdown();
    }
}
