package io.raftkv.core.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a {@link RaftServer} watches the disks it writes to ({@link RaftServer.Builder#disk}).
 *
 * <p><b>Free space.</b> Every {@code pollInterval} the server reads the free space of each named directory. Once
 * one has less than {@code reserveBytes} free it raises the {@link DiskAlarm.NoSpace} alarm: it refuses new
 * writes ({@link DiskFullException}), a leader hands leadership to another voter (thesis §3.10), a follower stops
 * taking new entries and snapshots from the leader (it falls behind like a slow follower; the others still
 * commit), reads go on. The alarm clears by itself once every directory has {@code reserveBytes} plus a tenth
 * of it (at least 1 MiB) free again, so that it does not flap at the threshold. The reserve is what the server
 * may still write after the alarm: proposals it had already accepted, a new leader's no-op, a snapshot.
 * {@code reserveBytes} 0 raises the alarm only when a store reports that it could not get space.
 *
 * <p><b>Stalls.</b> A disk operation of the raft thread (appending and syncing the log, saving the hard state)
 * that has not returned after {@code stallTimeout} raises the {@link DiskAlarm.Stalled} alarm: the server sends
 * nothing (so a leader stops asserting its leadership and the others elect a new one, §5.2), refuses requests
 * with {@link DiskStalledException}, and resumes when the operation returns. Null means one election timeout
 * (the lower bound of the randomized range), the time after which followers start an election anyway.
 *
 * @param directories  the directories the server writes, by what they hold (e.g. {@link #LOG} → the log's
 *                     directory), most telling first (an alarm names the first of equally full ones); may be empty
 *                     (then only stalls are watched)
 * @param reserveBytes free space below which writes are refused
 * @param pollInterval how often free space is read
 * @param stallTimeout how long a disk operation may take before the server counts its disk as stalled; null =
 *                     one election timeout
 * @param probe        how free space is read; {@link SpaceProbe#USABLE_SPACE} in production
 */
public record DiskOptions(Map<String, Path> directories, long reserveBytes, Duration pollInterval,
                          Duration stallTimeout, SpaceProbe probe) {

    /** What the log's directory is called in alarms and metrics. */
    public static final String LOG = "log";
    /** What the hard state's directory is called in alarms and metrics. */
    public static final String HARD_STATE = "hardstate";
    /** What the snapshots' directory is called in alarms and metrics. */
    public static final String SNAPSHOTS = "snapshots";
    /** Default reserve: room for the pending proposals' bytes (64 MiB), a snapshot and the log's next segment. */
    public static final long DEFAULT_RESERVE_BYTES = 256L << 20;
    /** Default poll interval. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(100);

    public DiskOptions {
        // In the caller's order: when several directories share a file system, the alarm names the first.
        directories = java.util.Collections.unmodifiableMap(
                new LinkedHashMap<>(Objects.requireNonNull(directories, "directories")));
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(probe, "probe");
        if (reserveBytes < 0) {
            throw new IllegalArgumentException("reserveBytes must be >= 0, got " + reserveBytes);
        }
        if (pollInterval.toMillis() < 1) {
            throw new IllegalArgumentException("pollInterval must be at least 1 ms, got " + pollInterval);
        }
        if (stallTimeout != null && stallTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("stallTimeout must be at least 1 ms, got " + stallTimeout);
        }
    }

    /** Watches no directory (stalls only), with the defaults otherwise. */
    public static DiskOptions none() {
        return new DiskOptions(Map.of(), DEFAULT_RESERVE_BYTES, DEFAULT_POLL_INTERVAL, null, SpaceProbe.USABLE_SPACE);
    }

    /** Watches {@code directories} with the default reserve, poll interval and stall timeout. */
    public static DiskOptions watching(Map<String, Path> directories) {
        return new DiskOptions(directories, DEFAULT_RESERVE_BYTES, DEFAULT_POLL_INTERVAL, null,
                SpaceProbe.USABLE_SPACE);
    }

    public DiskOptions withReserveBytes(long bytes) {
        return new DiskOptions(directories, bytes, pollInterval, stallTimeout, probe);
    }

    public DiskOptions withPollInterval(Duration d) {
        return new DiskOptions(directories, reserveBytes, d, stallTimeout, probe);
    }

    public DiskOptions withStallTimeout(Duration d) {
        return new DiskOptions(directories, reserveBytes, pollInterval, d, probe);
    }

    public DiskOptions withProbe(SpaceProbe p) {
        return new DiskOptions(directories, reserveBytes, pollInterval, stallTimeout, p);
    }

    /** Free space at or above which the no-space alarm clears again. */
    public long resumeBytes() {
        return reserveBytes == 0 ? 0 : reserveBytes + Math.max(reserveBytes / 10, 1L << 20);
    }

    /** Reads how many bytes can still be written in a directory. */
    @FunctionalInterface
    public interface SpaceProbe {
        /** The file system's usable space for this process ({@code statvfs} f_bavail). */
        SpaceProbe USABLE_SPACE = dir -> Files.getFileStore(dir).getUsableSpace();

        long usableBytes(Path directory) throws IOException;
    }
}
