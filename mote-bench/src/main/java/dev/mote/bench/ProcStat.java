package dev.mote.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU and memory figures of processes, from the JVM and from /proc. */
final class ProcStat {
    private static final long TICK_NANOS = 10_000_000L; // USER_HZ is 100 on Linux

    private ProcStat() {}

    /** utime + stime of a process, from /proc/pid/stat; -1 where unavailable. */
    static long cpuNanos(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // The command name may hold spaces; the fields after it are counted from its ')'.
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            long utime = Long.parseLong(f[11]);
            long stime = Long.parseLong(f[12]);
            return (utime + stime) * TICK_NANOS;
        } catch (Exception e) {
            return -1;
        }
    }

    /** This JVM's CPU time (all its threads: clients, GC, JIT, harness). */
    static long processCpuNanos() {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return os.getProcessCpuTime();
    }

    /** Resident set size of this process in bytes, from /proc/self/status. */
    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    /** Heap used after two full collections. */
    static long heapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static int platformThreads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }
}
