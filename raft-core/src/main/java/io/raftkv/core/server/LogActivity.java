package io.raftkv.core.server;

/**
 * When this node's log last appended and synced entries, so that background disk work (writing a snapshot) can
 * give way to the write path while it is busy and run flat out while it is idle. Written by the raft thread once
 * per turn that persists entries, read by the snapshot writer.
 */
class LogActivity { // not final: tests pin it busy or idle
    /** A log that has not synced for this long is idle: nothing waits behind the snapshot's flushes. */
    static final long IDLE_AFTER_NANOS = 200_000_000L;

    private volatile long lastSyncStartNanos;
    private volatile boolean everSynced;

    /** Raft thread: a sync of new entries begins now ({@link System#nanoTime()}). */
    void syncStarting(long nanos) {
        lastSyncStartNanos = nanos;
        everSynced = true;
    }

    /** Whether the log synced entries within {@link #IDLE_AFTER_NANOS} before {@code nowNanos}. */
    boolean busy(long nowNanos) {
        return everSynced && nowNanos - lastSyncStartNanos < IDLE_AFTER_NANOS;
    }
}
