package io.raftkv.core.server;

import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.storage.SnapshotStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * Writes snapshots out on their own thread. The apply thread captures a point-in-time view of the state machine
 * ({@link StateMachine#snapshot()}, cheap by contract) and hands it here, so applies continue while the bytes are
 * streamed into the {@link SnapshotStore} and made durable. Once committed, {@code onWritten} tells the raft
 * thread, which lets the core and the log store drop the entries the snapshot covers (§7).
 *
 * <p>One snapshot at a time: a capture that arrives while one is being written is refused, and taken again later.
 * A failed write is logged and retried at the next threshold (or reported to whoever asked for it); it does not
 * stop the server (the log still holds everything).
 */
final class SnapshotWriter {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotWriter.class);

    private final String id;
    private final SnapshotStore store;
    private final RaftMetrics metrics;
    private final BiConsumer<SnapshotMeta, SnapshotInfo> onWritten;
    private final ExecutorService executor;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final long bytesPerSecond;
    private final LogActivity logActivity;
    /** Set by {@link #close}: a write in progress stops at its next write call (the log still holds everything). */
    private volatile boolean closing;

    /**
     * @param bytesPerSecond pace of writing while the log is busy (0: unlimited), see {@link RaftServerOptions}
     * @param logActivity    tells whether the log is busy; while it is idle the snapshot is written flat out
     */
    SnapshotWriter(String id, SnapshotStore store, RaftMetrics metrics, long bytesPerSecond, LogActivity logActivity,
                   BiConsumer<SnapshotMeta, SnapshotInfo> onWritten) {
        this.bytesPerSecond = bytesPerSecond;
        this.logActivity = logActivity;
        this.id = id;
        this.store = store;
        this.metrics = metrics;
        this.onWritten = onWritten;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "raft-snapshot-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Apply thread: writes {@code captured} as the snapshot {@code meta}; false if one is still being written.
     * {@code whenDone} runs on the writer's thread once this write ended: with what was written, or with the error.
     *
     * @param captureStartNanos when the capture began ({@link System#nanoTime()}), so the reported duration covers
     *                          capture and write
     */
    boolean write(SnapshotMeta meta, StateMachine.Snapshot captured, long captureStartNanos,
                  BiConsumer<SnapshotInfo, Throwable> whenDone) {
        if (!busy.compareAndSet(false, true)) {
            captured.close();
            return false;
        }
        try {
            executor.execute(() -> {
                SnapshotInfo written = null;
                Throwable error = null;
                try {
                    written = writeNow(meta, captured, captureStartNanos);
                } catch (IOException | RuntimeException e) {
                    if (closing) {
                        LOG.info("{}: snapshot at index {} abandoned, the server is closing ({})", id,
                                meta.lastIncludedIndex(), e.toString());
                    } else {
                        LOG.error("{}: writing the snapshot at index {} failed; the log is kept and it will be retried",
                            id, meta.lastIncludedIndex(), e);
                    }
                    error = e;
                } finally {
                    busy.set(false);
                }
                whenDone.accept(written, error);
            });
            return true;
        } catch (RuntimeException rejected) { // shutting down
            busy.set(false);
            captured.close();
            return false;
        }
    }

    boolean busy() {
        return busy.get();
    }

    private SnapshotInfo writeNow(SnapshotMeta meta, StateMachine.Snapshot captured, long t0) throws IOException {
        try (captured; SnapshotStore.Sink sink = store.begin(meta)) {
            CountingStream out = new CountingStream(sink.stream());
            captured.writeTo(out);
            // A state machine that swallowed the abandoning exception returns normally with half its bytes
            // written: never commit those (the sink is discarded when closed uncommitted).
            out.checkOpen();
            out.flush();
            sink.commit();
            long nanos = System.nanoTime() - t0;
            metrics.snapshotDuration.record(nanos, TimeUnit.NANOSECONDS);
            metrics.snapshotBytes.record(out.count);
            SnapshotInfo info = new SnapshotInfo(meta.lastIncludedIndex(), meta.lastIncludedTerm(), out.count,
                    Instant.now(), Duration.ofNanos(nanos), SnapshotInfo.Origin.TAKEN);
            LOG.info("{}: snapshot at index {} (term {}) written, {} bytes in {} ms", id, meta.lastIncludedIndex(),
                    meta.lastIncludedTerm(), out.count, nanos / 1_000_000);
            onWritten.accept(meta, info);
            return info;
        }
    }

    /**
     * Stops the thread. A snapshot being written is abandoned at its next write (its temp file is discarded, the log
     * keeps the entries): paced at 30 MB/s a large snapshot would otherwise outlast any shutdown timeout, and go on
     * committing and deleting files after the server reported itself closed. Waits up to {@code timeoutMs} for the
     * state machine's serializer to return.
     */
    void close(long timeoutMs) {
        closing = true;
        executor.shutdown();
        try {
            if (!executor.awaitTermination(timeoutMs, TimeUnit.MILLISECONDS)) {
                LOG.error("{}: snapshot writer did not finish within {} ms", id, timeoutMs);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Counts the bytes, yields the CPU every {@link #YIELD_STEP} bytes, with a rate sleeps whenever the writing runs
     * ahead of it, and fails the write once the writer is closing.
     */
    private final class CountingStream extends FilterOutputStream {
        private static final long PACE_STEP = 256 << 10;
        private static final long SLEEP_SLICE_NANOS = 10_000_000;
        /**
         * The writer yields its CPU this often. Serialising is CPU-bound, and Linux's scheduler (EEVDF) lets a
         * running thread finish its slice (~1.5-3 ms) before a woken one of equal priority gets the core: on two
         * cores the raft or apply thread, woken for a write, waited behind it. Measured with the log and snapshots
         * on tmpfs (no disk at all), 2,000 writes/s: write p99 0.2 ms without a snapshot, ~1.0 ms with one being
         * written; yielding every 16 KiB (~50 us of serialising), 0.3 ms. A lower nice value changes nothing here
         * (the slice is protected whatever the weight); SCHED_IDLE works but starves under full load.
         */
        private static final long YIELD_STEP = 16 << 10;
        /** Pacing counts from here: reset whenever the log is idle or the writing falls behind the pace. */
        private long paceFromNanos = System.nanoTime();
        private long paceFromCount;
        private long nextCheck = PACE_STEP;
        private long nextYield = YIELD_STEP;
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        private void checkOpen() throws IOException {
            if (closing) {
                throw new java.io.InterruptedIOException("server closing: snapshot abandoned");
            }
        }

        @Override
        public void write(int b) throws IOException {
            checkOpen();
            out.write(b);
            count++;
            pace();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            checkOpen();
            out.write(b, off, len);
            count += len;
            pace();
        }

        private void pace() throws IOException {
            if (count >= nextYield) {
                nextYield = count + YIELD_STEP;
                Thread.yield(); // let a woken raft/apply thread have the core now, not after our slice
            }
            if (bytesPerSecond <= 0 || count < nextCheck) {
                return;
            }
            nextCheck = count + PACE_STEP;
            long now = System.nanoTime();
            long dueNanos = paceFromNanos + (long) ((count - paceFromCount) * 1e9 / bytesPerSecond);
            if (!logActivity.busy(now) || dueNanos - now <= 0) {
                // Nothing waits for the disk, or we are behind the pace (slow flushes): no credit is banked, so
                // the writing never bursts to catch up once the log becomes busy.
                paceFromNanos = now;
                paceFromCount = count;
                return;
            }
            long ahead;
            while ((ahead = dueNanos - System.nanoTime()) > 0) {
                checkOpen();
                try {
                    TimeUnit.NANOSECONDS.sleep(Math.min(ahead, SLEEP_SLICE_NANOS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("snapshot write interrupted");
                }
            }
        }
    }
}
