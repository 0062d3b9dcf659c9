package io.raftkv.core.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/**
 * Durable snapshots: metadata plus an opaque byte stream produced by the state machine.
 *
 * <p><b>Contract.</b> A snapshot becomes visible through {@link #latest()} only after {@link Sink#commit()}
 * returned, at which point it is durable (written to a temp file, fsynced, renamed, directory fsynced). A
 * crash during writing leaves the previous snapshot in place. A snapshot that fails its checksum when opened
 * is skipped in favour of the previous one. The newest few are kept; older ones are deleted (or, in
 * {@code FileSnapshotStore}, one is recycled: overwritten by the next snapshot).
 * Writing may happen on a background thread while the raft thread reads the latest snapshot.
 */
public interface SnapshotStore extends AutoCloseable {

    /** Metadata of the newest valid snapshot, if any. */
    Optional<SnapshotMeta> latest() throws IOException;

    /** Opens the newest valid snapshot for reading, if any. */
    Optional<Source> openLatest() throws IOException;

    /** Starts writing a new snapshot taken here, while this server goes on appending to its log. */
    Sink begin(SnapshotMeta meta) throws IOException;

    /**
     * Starts writing a snapshot received from the leader (InstallSnapshot, §7). Such a follower appends nothing
     * to its log meanwhile, so a store may write it with fewer, larger flushes than {@link #begin}, which has to
     * keep out of the way of the log's fsyncs. Same contract otherwise; by default the same as {@link #begin}.
     */
    default Sink beginReceived(SnapshotMeta meta) throws IOException {
        return begin(meta);
    }

    @Override
    default void close() throws IOException {
    }

    /** A snapshot being written. Closing it without {@link #commit()} discards it. */
    interface Sink extends AutoCloseable {
        SnapshotMeta meta();

        /** Where the state machine writes its bytes. */
        OutputStream stream();

        /** Makes the snapshot durable and the newest one. */
        void commit() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** A stored snapshot, for restoring or sending to a follower. */
    interface Source extends AutoCloseable {
        SnapshotMeta meta();

        /** Size of the state machine's bytes. */
        long size();

        /** The state machine's bytes from {@code offset} on (a resumed transfer starts mid-way). */
        InputStream open(long offset) throws IOException;

        /** When this snapshot was made durable, if the store knows (reported in the server's status). */
        default Optional<java.time.Instant> writtenAt() {
            return Optional.empty();
        }

        @Override
        default void close() throws IOException {
        }
    }
}
