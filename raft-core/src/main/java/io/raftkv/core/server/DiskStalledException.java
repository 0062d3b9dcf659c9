package io.raftkv.core.server;

/**
 * Refused at the door: this server's raft thread is stuck in a disk operation for longer than the stall timeout
 * ({@link DiskAlarm.Stalled}), so it can neither commit nor confirm a read. Nothing was proposed; safe to retry on
 * another server (which will soon lead, if this one did). kv-server answers HTTP 503 with this message.
 */
public final class DiskStalledException extends RaftException {
    private final DiskAlarm.Stalled alarm;

    public DiskStalledException(String serverId, DiskAlarm.Stalled alarm) {
        super(serverId + " cannot serve this now: its disk is stalled: " + alarm.message(), null);
        this.alarm = alarm;
    }

    /** Which operation, for how long. */
    public DiskAlarm.Stalled alarm() {
        return alarm;
    }

    @Override
    public boolean safeToRetry() {
        return true;
    }
}
