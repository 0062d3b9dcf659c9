package io.raftkv.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Prepares the next segment file off the raft thread: a file of zeros, written and fsynced, under a name that is
 * not a segment name ({@value #FILE}, which neither Chronicle nor {@link SegmentFiles#list} sees). When the log
 * rolls, {@link #claim} renames the ready file to the new segment's name and Chronicle opens it as its new cycle
 * file (Chronicle starts a cycle file by CAS-ing its header into a zero first word, so a zero-filled file is a
 * valid "new" file).
 *
 * <p><b>Why.</b> Chronicle creates a cycle file sparse. Every append then lands in a hole: the page fault of the
 * first touch must reserve a block (ext4 delayed allocation), and every {@code fdatasync} must allocate the
 * blocks and commit the journal for the new extents. In a file whose blocks were written (and the allocation made
 * durable) beforehand, a page fault finds the page in the page cache and an {@code fdatasync} only writes the
 * dirty pages: no block allocation, no journal commit (the same trick as PostgreSQL's zero-filled WAL segments).
 *
 * <p><b>Crash safety.</b> The file holds only zeros, and a zero region reads exactly like the hole of a sparse
 * file, which is what Chronicle and {@link LogRecovery} see in a fresh segment anyway; whether the zeros reached
 * the disk does not matter for correctness. A crash after the rename but before Chronicle wrote the header leaves
 * a last segment with a zero header, which recovery already removes (raft-log/README.md, "Recovery at open",
 * step 3). The rename is made durable by the directory fsync that {@code sync()} does after every roll, as a file
 * creation was. A prepared file left by a crash is deleted at open.
 *
 * <p>If the writer rolls faster than a file can be prepared, the roll does not wait: Chronicle creates a sparse
 * file as before, and the file being prepared serves the roll after it.
 */
final class SegmentPreallocator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentPreallocator.class);
    static final String FILE = "next-segment.prealloc";
    private static final int CHUNK = 1 << 20;

    private final Path file;
    private final long bytes;
    private final ExecutorService executor;
    private Future<?> pending;

    /**
     * @param bytes how many bytes of zeros to write: the segment size plus a margin for the last record and
     *              Chronicle's index arrays (writes beyond it land in a sparse hole, which is correct, only slower)
     */
    SegmentPreallocator(Path dir, long bytes) throws IOException {
        this.file = dir.resolve(FILE);
        this.bytes = bytes;
        deleteLeftover(dir);
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "raft-log-preallocate-" + dir.getFileName());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Deletes a prepared file left by a crash (it may be incomplete). Called at every open, also with preallocation
     * off, so that a directory last used with it on is left clean.
     */
    static void deleteLeftover(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(FILE));
    }

    /** Starts preparing the next segment file in the background, unless one is ready or being prepared. */
    void prepare() {
        if (pending == null) {
            pending = executor.submit(() -> {
                zeroFill();
                return null;
            });
        }
    }

    /**
     * If a prepared file is ready, renames it to {@code segment} (which must not exist) and returns true. Never
     * waits: false means Chronicle will create the segment as a sparse file.
     */
    boolean claim(Path segment) throws IOException {
        if (pending == null || !pending.isDone()) {
            return false;
        }
        Future<?> done = pending;
        pending = null;
        try {
            done.get();
        } catch (ExecutionException e) {
            LOG.warn("Could not preallocate the next log segment ({}); it will be created sparse", e.getCause().toString());
            Files.deleteIfExists(file);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        Files.move(file, segment, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    private void zeroFill() throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect(CHUNK);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            long written = 0;
            while (written < bytes) {
                zeros.clear().limit((int) Math.min(CHUNK, bytes - written));
                written += ch.write(zeros);
            }
            // force(true): the blocks AND their allocation (extents, size) must be on disk, otherwise the first
            // fdatasync after the rename would commit them, which is the cost this class exists to avoid.
            ch.force(true);
        }
    }

    /** Stops the background thread and deletes a prepared file. */
    @Override
    public void close() throws IOException {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("Segment preallocation did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(file);
    }
}
