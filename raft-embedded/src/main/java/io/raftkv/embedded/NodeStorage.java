package io.raftkv.embedded;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.raftkv.core.storage.LogStore;
import io.raftkv.core.storage.SnapshotStore;
import io.raftkv.core.storage.StableStore;
import io.raftkv.log.ChronicleLogOptions;
import io.raftkv.log.ChronicleLogStore;
import io.raftkv.log.FileSnapshotStore;
import io.raftkv.log.FileStableStore;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The three stores of one server, opened from its data directory. This is the single place that chooses the
 * store implementations, so moving to other stores is a change to {@link #open} only:
 *
 * <pre>
 * DIR/
 *   LOCK        exclusive lock: one raftkv process per data directory
 *   log/        Raft log (raft-log's Chronicle Queue {@link ChronicleLogStore})
 *   hardstate   currentTerm + votedFor ({@link FileStableStore})
 *   snapshots/  snapshot files ({@link FileSnapshotStore}, newest {@value #KEEP_SNAPSHOTS} kept) and a LOCK
 *               of their own; or wherever the server was told to keep snapshots (--snapshot-dir)
 * </pre>
 *
 * <p>The KV state machine lives in memory: at start it is restored from the newest snapshot (if any) and the
 * log after it is replayed as the leader's commit index becomes known.
 */
public record NodeStorage(LogStore log, StableStore stable, SnapshotStore snapshots, AutoCloseable dirLock) {
    /** Snapshots kept on disk: the newest, plus one to fall back on if it turns out corrupt. */
    public static final int KEEP_SNAPSHOTS = 2;

    /** Opens (creating if needed) the stores under {@code dir}, snapshots in {@code dir/snapshots}. */
    public static NodeStorage open(Path dir, MeterRegistry registry, String nodeId) throws IOException {
        return open(dir, dir.resolve("snapshots"), registry, nodeId);
    }

    /**
     * Opens (creating if needed) the stores under {@code dir}, the snapshots in {@code snapshotDir}.
     *
     * @throws IOException with a one-line reason if a directory cannot be created or written, is locked by
     *                     another process, or holds a corrupt log or hard state
     */
    public static NodeStorage open(Path dir, Path snapshotDir, MeterRegistry registry, String nodeId)
            throws IOException {
        requireWritableDirectory(dir, "data directory");
        AutoCloseable dataLock = lockDirectory(dir, "data directory");
        AutoCloseable lock;
        // The snapshot directory has a lock of its own, the default one included: a server pointed at another's
        // snapshot directory (--snapshot-dir) would otherwise delete that server's snapshots when pruning its own.
        try {
            requireWritableDirectory(snapshotDir, "snapshot directory");
            if (snapshotDir.toRealPath().equals(dir.toRealPath())) {
                throw new IOException("snapshot directory " + snapshotDir + " is the data directory itself; give"
                        + " --snapshot-dir a directory of its own");
            }
            AutoCloseable snapshotLock = lockDirectory(snapshotDir, "snapshot directory");
            lock = () -> {
                closeQuietly(snapshotLock);
                dataLock.close();
            };
        } catch (IOException | RuntimeException e) {
            closeQuietly(dataLock);
            throw e;
        }
        try {
            LogStore log = ChronicleLogStore.open(ChronicleLogOptions.builder(dir.resolve("log"), registry)
                    .tags(Tags.of("node", nodeId))
                    // Compaction frees whole segments only; tests that must see a prefix really go use small ones.
                    .segmentBytes(Long.getLong("raftkv.log.segmentBytes", ChronicleLogOptions.DEFAULT_SEGMENT_BYTES))
                    .build());
            log = SyncStallSwitch.wrapIfAsked(log, nodeId);
            try {
                StableStore stable = new FileStableStore(dir);
                SnapshotStore snapshots = new FileSnapshotStore(snapshotDir, KEEP_SNAPSHOTS);
                return new NodeStorage(log, stable, snapshots, lock);
            } catch (IOException | RuntimeException e) {
                closeQuietly(log);
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(lock);
            throw e;
        }
    }

    private static void requireWritableDirectory(Path dir, String what) throws IOException {
        if (!Files.isDirectory(dir)) {
            if (Files.exists(dir)) {
                throw new IOException(what + " " + dir + " is not a writable directory (it is a file)");
            }
            io.raftkv.log.Durable.createDirectories(dir); // durable with its parent: it will hold the only copies
        }
        if (!Files.isWritable(dir)) {
            throw new IOException(what + " " + dir + " is not a writable directory");
        }
    }

    /** Two servers on one directory would interleave their logs and votes: refuse the second one at once. */
    private static AutoCloseable lockDirectory(Path dir, String what) throws IOException {
        FileChannel ch = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            ch.close();
            throw new IOException(what + " " + dir + " is in use by another raftkv process");
        }
        FileLock held = lock;
        return () -> {
            held.release();
            ch.close();
        };
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing; the original error is the one to report
        }
    }

    /** Releases the directory lock; RaftServer.close() closes the stores themselves. */
    public void releaseLock() {
        closeQuietly(dirLock);
    }
}
