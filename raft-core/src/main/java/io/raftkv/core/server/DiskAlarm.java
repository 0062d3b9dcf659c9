package io.raftkv.core.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Something wrong with a disk this server writes to, as {@link RaftServer#diskAlarms()} reports it (and
 * {@code GET /status} in kv-server). Alarms clear by themselves when the cause goes away.
 */
public sealed interface DiskAlarm {

    /** {@code nospace} or {@code stalled}: the alarm's name in metrics and JSON. */
    String kind();

    /** One line for an operator: what, where, how much, and what the server does about it. */
    String message();

    /**
     * Free space in {@code directory} fell below the reserve, or a store could not get space for a write.
     *
     * @param store        what the directory holds ({@link DiskOptions#LOG}, ...)
     * @param directory    the directory
     * @param freeBytes    bytes free when last measured
     * @param reserveBytes the configured reserve
     * @param writeFailed  true if a write actually failed for lack of space (the raft thread then waits for space
     *                     and retries it); false if only the reserve was crossed
     */
    record NoSpace(String store, Path directory, long freeBytes, long reserveBytes, boolean writeFailed)
            implements DiskAlarm {
        @Override
        public String kind() {
            return "nospace";
        }

        @Override
        public String message() {
            String where = directory + " (" + store + ")";
            if (writeFailed) {
                return "no space left in " + where + ": a write failed with " + bytes(freeBytes)
                        + " free; writes are refused and the log waits until space is freed";
            }
            return "only " + bytes(freeBytes) + " free in " + where + ", below the reserve of " + bytes(reserveBytes)
                    + "; writes are refused until space is freed";
        }
    }

    /**
     * A disk operation of the raft thread has not returned for longer than the stall timeout.
     *
     * @param store     what the operation writes ({@link DiskOptions#LOG}, ...)
     * @param directory where, if known
     * @param operation what it does ("append and sync", "save")
     * @param elapsed   how long it has been running
     */
    record Stalled(String store, Path directory, String operation, Duration elapsed) implements DiskAlarm {
        @Override
        public String kind() {
            return "stalled";
        }

        @Override
        public String message() {
            return store + " " + operation + (directory == null ? "" : " in " + directory) + " has not returned for "
                    + String.format(Locale.ROOT, "%.1f s", elapsed.toMillis() / 1000.0)
                    + "; the server stays silent until it does, so that another one can lead";
        }
    }

    /** {@code 12.3 MiB}: bytes in binary units, for messages. */
    private static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s (%d bytes)", v, units[u], n);
    }
}
