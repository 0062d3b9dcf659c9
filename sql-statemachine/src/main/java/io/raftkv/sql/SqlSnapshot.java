package io.raftkv.sql;

import io.raftkv.core.statemachine.StateMachine;
import org.sqlite.SQLiteConnection;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A point-in-time view of the database: a read transaction, opened on the apply thread by
 * {@link SqlStateMachine#snapshot()} right after a commit, on a read-only connection of its own. In WAL mode the
 * transaction sees the database as of that commit for as long as it stays open, while the apply connection
 * keeps committing (readers and the writer do not block each other). {@link #writeTo} — on the snapshot
 * writer's thread — copies the pages it sees with SQLite's online backup API into a file beside the database,
 * ends the read transaction (checkpoints can then proceed past it), and streams the copy in the
 * {@link SqlSnapshotFormat}. The backup goes in steps, yielding the CPU and flushing the copy between them. While
 * the read transaction is open the apply connection does not checkpoint (see {@link ApplySession#pauseCheckpoints});
 * the snapshot checkpoints when it ends.
 */
final class SqlSnapshot implements StateMachine.Snapshot {
    /**
     * Pages copied per backup step (256 KiB at 4 KiB pages). Between steps the thread yields its CPU and flushes
     * what the step wrote: SQLite fsyncs the copy when the backup ends, and one flush of the whole file would hold
     * the disk for the Raft log's fsyncs to queue behind (the same reason the snapshot store flushes in steps).
     */
    private static final int PAGES_PER_STEP = 64;

    private final SqlStateMachine owner;
    private final SQLiteConnection reader;
    private final long index;
    private final long lockStamp;
    private final AtomicBoolean released = new AtomicBoolean();

    SqlSnapshot(SqlStateMachine owner, SQLiteConnection reader, long index, long lockStamp) {
        this.owner = owner;
        this.reader = reader;
        this.index = index;
        this.lockStamp = lockStamp;
    }

    long index() {
        return index;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        if (released.get()) {
            throw new IllegalStateException("snapshot at index " + index + " was closed");
        }
        Path copy = Files.createTempFile(owner.directory(), "snapshot-" + index + "-", SqlStateMachine.TEMP_SUFFIX);
        try {
            try (FileChannel flush = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                IOException[] flushFailed = new IOException[1];
                int rc = reader.getDatabase().backup("main", copy.toString(), (remaining, total) -> {
                    try {
                        flush.force(false);
                    } catch (IOException e) {
                        flushFailed[0] = e;
                    }
                    Thread.yield();
                }, 0, 0, PAGES_PER_STEP);
                if (rc != 0) {
                    throw new IOException("SQLite backup of the snapshot at index " + index + " failed with code " + rc);
                }
                if (flushFailed[0] != null) {
                    throw flushFailed[0];
                }
            } catch (SQLException e) {
                throw new IOException("SQLite backup of the snapshot at index " + index + " failed: " + e.getMessage(), e);
            } finally {
                close(); // the copy is taken: end the read transaction now, not after streaming
            }
            SqlSnapshotFormat.write(index, copy, out);
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    /** Ends the read transaction and gives the connection back; idempotent, any thread. */
    @Override
    public void close() {
        if (released.compareAndSet(false, true)) {
            owner.releaseSnapshot(reader, lockStamp);
        }
    }
}
