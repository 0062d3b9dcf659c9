package io.raftkv.core.server;

import io.raftkv.core.message.LogEntry;
import io.raftkv.core.storage.ForwardingLogStore;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.LogStore;
import io.raftkv.core.storage.NoSpaceException;
import io.raftkv.core.storage.StableStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fault injection for one server's disk, below the storage SPIs: wraps a {@link LogStore} and a
 * {@link StableStore} and, on demand,
 * <ul>
 *   <li>fills the disk: writes throw {@link NoSpaceException} (ENOSPC) — optionally after writing part of a
 *       batch, as a log that runs out of space mid-batch does — and the {@link #probe() space probe} reports
 *       little free space;</li>
 *   <li>breaks it: syncs throw an {@link IOException} (EIO);</li>
 *   <li>hangs it: syncs (and hard-state saves) block until released, as on a dead or frozen device.</li>
 * </ul>
 * All switches may be flipped from the test thread while the raft thread uses the stores.
 */
final class DiskFaults {
    static final long PLENTY = 1L << 40;

    private final AtomicLong freeBytes = new AtomicLong(PLENTY);
    private volatile boolean noSpace;
    /** With {@link #noSpace}: how many entries of a batch still get written before the failure (a partial batch). */
    private volatile int entriesBeforeNoSpace;
    private volatile IOException syncFailure;
    private volatile CountDownLatch stall;
    private final Semaphore stallEntered = new Semaphore(0);
    final AtomicInteger syncs = new AtomicInteger();
    final AtomicInteger noSpaceThrown = new AtomicInteger();

    /** Free space as the server's probe sees it. */
    DiskOptions.SpaceProbe probe() {
        return dir -> freeBytes.get();
    }

    void setFreeBytes(long bytes) {
        freeBytes.set(bytes);
    }

    /** Writes fail with ENOSPC; the first failing log batch keeps its first {@code entriesFirst} entries. */
    void failWritesForSpace(int entriesFirst) {
        entriesBeforeNoSpace = entriesFirst;
        noSpace = true;
    }

    void allowWrites() {
        noSpace = false;
    }

    /** Every later sync fails with {@code e}. */
    void failSyncsWith(IOException e) {
        syncFailure = e;
    }

    /** Every later sync and save blocks until {@link #releaseStall()}. */
    void stallSyncs() {
        stall = new CountDownLatch(1);
    }

    void releaseStall() {
        CountDownLatch s = stall;
        stall = null;
        if (s != null) {
            s.countDown();
        }
    }

    boolean awaitStallEntered(long timeoutMs) throws InterruptedException {
        return stallEntered.tryAcquire(timeoutMs, TimeUnit.MILLISECONDS);
    }

    private void maybeStall() throws IOException {
        CountDownLatch s = stall;
        if (s == null) {
            return;
        }
        stallEntered.release();
        try {
            if (!s.await(60, TimeUnit.SECONDS)) {
                throw new IOException("test never released the stalled disk");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted in a stalled sync", e);
        }
    }

    private NoSpaceException noSpaceException(String what) {
        noSpaceThrown.incrementAndGet();
        return new NoSpaceException(what + ": No space left on device", Path.of("/injected"), null);
    }

    LogStore log(LogStore delegate) {
        return new FaultyLog(delegate);
    }

    StableStore stable(StableStore delegate) {
        return new FaultyStable(delegate);
    }

    private final class FaultyLog extends ForwardingLogStore {
        FaultyLog(LogStore delegate) {
            super(delegate);
        }

        @Override
        public void append(List<LogEntry> entries) throws IOException {
            if (noSpace) {
                int keep = Math.min(entriesBeforeNoSpace, entries.size());
                entriesBeforeNoSpace = 0; // only the first failing batch is written in part
                if (keep > 0) {
                    super.append(entries.subList(0, keep));
                }
                throw noSpaceException("append of " + entries.size() + " entries (" + keep + " written)");
            }
            super.append(entries);
        }

        @Override
        public void sync() throws IOException {
            syncs.incrementAndGet();
            IOException failure = syncFailure;
            if (failure != null) {
                throw failure;
            }
            maybeStall();
            super.sync();
        }

        @Override
        public void truncateSuffix(long fromIndex) throws IOException {
            if (noSpace) {
                throw noSpaceException("truncation from " + fromIndex);
            }
            super.truncateSuffix(fromIndex);
        }

        @Override
        public void reset(long index, long term) throws IOException {
            if (noSpace) {
                throw noSpaceException("reset to " + index);
            }
            super.reset(index, term);
        }
    }

    private final class FaultyStable implements StableStore {
        private final StableStore delegate;

        FaultyStable(StableStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public HardState load() throws IOException {
            return delegate.load();
        }

        @Override
        public void save(HardState state) throws IOException {
            if (noSpace) {
                throw noSpaceException("hard state save");
            }
            maybeStall();
            delegate.save(state);
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }
}
