package io.raftkv.bench.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU seconds used so far by this JVM and by other processes, so a result can say how the machine's CPU was split
 * between the load generator and the servers under test during the measured interval (on a 2-core machine the
 * generator's share is part of the story). Other processes are read from Linux's {@code /proc/PID/stat}
 * (utime + stime); elsewhere, or for a process that is gone, they read as {@code NaN}.
 */
final class CpuClock {
    /** USER_HZ: the unit of /proc/PID/stat's times; 100 on every Linux architecture the JDK runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private CpuClock() {
    }

    static double selfSeconds() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    /** Sum of user + system CPU of {@code pids}; NaN if any of them cannot be read. */
    static double processesSeconds(List<Long> pids) {
        double sum = 0;
        for (long pid : pids) {
            sum += processSeconds(pid);
        }
        return sum;
    }

    static double processSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) is in parentheses and may contain spaces: split after its last ')'.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // f[0] is field 3 (state); utime and stime are fields 14 and 15.
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
