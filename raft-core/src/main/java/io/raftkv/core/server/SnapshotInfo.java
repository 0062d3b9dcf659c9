package io.raftkv.core.server;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The newest snapshot this server holds, as {@link RaftStatus#lastSnapshot()} reports it.
 *
 * @param index      last log index the snapshot covers (§7 lastIncludedIndex)
 * @param term       term of that entry (§7 lastIncludedTerm)
 * @param bytes      size of the state machine's bytes in the snapshot
 * @param completedAt when it became durable here; for a snapshot found at start-up, when its file was written if
 *                    the store knows, else null
 * @param duration   capture to durable ({@link Origin#TAKEN}) or first chunk to durable ({@link Origin#INSTALLED});
 *                   null for {@link Origin#LOADED}
 * @param origin     how this server came to hold it
 */
public record SnapshotInfo(long index, long term, long bytes, Instant completedAt, Duration duration, Origin origin) {

    /** How a server came to hold its newest snapshot. */
    public enum Origin {
        /** Taken here from the local state machine (threshold or on demand). */
        TAKEN,
        /** Received from the leader with InstallSnapshot. */
        INSTALLED,
        /** Found in the snapshot store when the server started. */
        LOADED;

        public String lowerName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public SnapshotInfo {
        Objects.requireNonNull(origin, "origin");
        if (index < 0 || term < 0 || bytes < 0) {
            throw new IllegalArgumentException("index, term and bytes must be >= 0");
        }
    }
}
