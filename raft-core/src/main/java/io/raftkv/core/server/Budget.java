package io.raftkv.core.server;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A bound on work in flight, by count and by bytes, shared by the threads that submit work and the threads that
 * finish it. {@link #tryAcquire} never blocks: over the bound the caller is refused at once (docs/design.md §3
 * backpressure). The bound is never exceeded, even under races: acquisition adds first and rolls back on
 * overshoot.
 */
final class Budget {
    private final long maxCount;
    private final long maxBytes;
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    Budget(long maxCount, long maxBytes) {
        this.maxCount = maxCount;
        this.maxBytes = maxBytes;
    }

    /** Reserves one unit of {@code size} bytes; false (and nothing reserved) if that would exceed a bound. */
    boolean tryAcquire(long size) {
        if (count.incrementAndGet() > maxCount) {
            count.decrementAndGet();
            return false;
        }
        if (bytes.addAndGet(size) > maxBytes) {
            bytes.addAndGet(-size);
            count.decrementAndGet();
            return false;
        }
        return true;
    }

    void release(long size) {
        bytes.addAndGet(-size);
        count.decrementAndGet();
    }

    long count() {
        return count.get();
    }

    long bytes() {
        return bytes.get();
    }

    long maxCount() {
        return maxCount;
    }

    long maxBytes() {
        return maxBytes;
    }
}
