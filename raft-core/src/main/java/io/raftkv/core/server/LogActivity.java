package io.raftkv.core.server;

/**
 * Whether this node's log is busy syncing entries, so that background disk work (writing a snapshot) can give way
 * to the write path while it is busy and run flat out while it is idle. Written by the raft thread around each
 * sync of new entries, read by the snapshot writer.
 */
class LogActivity { // not final: tests pin it busy
    /** A log that has not synced for this long is idle: nothing waits behind the snapshot's flushes. */
    static final long IDLE_AFTER_NANOS = 200_000_000L;

    private volatile long lastSyncEndNanos;
    private volatile boolean everSynced;
    /** True during a sync: a sync stalled for longer than {@link #IDLE_AFTER_NANOS} keeps the log busy. */
    private volatile boolean syncing;

    /** Raft thread: a sync of new entries begins. */
    void syncStarting() {
        syncing = true;
        everSynced = true;
    }

    /** Raft thread: that sync ended (also when it failed) at {@code nanos} ({@link System#nanoTime()}). */
    void syncEnded(long nanos) {
        lastSyncEndNanos = nanos;
        syncing = false;
    }

    /** Whether a sync of entries is in progress, or ended less than {@link #IDLE_AFTER_NANOS} before {@code nowNanos}. */
    boolean busy(long nowNanos) {
        return syncing || (everSynced && nowNanos - lastSyncEndNanos < IDLE_AFTER_NANOS);
    }
}
