package io.raftkv.core.server;

/**
 * Refused at the door: a disk of this server is (nearly) full ({@link DiskAlarm.NoSpace}), so it takes no new
 * writes. Nothing was proposed; safe to retry, on another server or once space is freed. kv-server answers HTTP
 * 507 with this message; any other front door should map it to its own "insufficient storage" error with the
 * same words ({@link #getMessage()}), and may use {@link #alarm()} for the details.
 */
public final class DiskFullException extends RaftException {
    private final DiskAlarm.NoSpace alarm;

    public DiskFullException(String serverId, DiskAlarm.NoSpace alarm) {
        super(serverId + " refuses writes: " + alarm.message(), null);
        this.alarm = alarm;
    }

    /** Which directory, how much is free, the reserve. */
    public DiskAlarm.NoSpace alarm() {
        return alarm;
    }

    @Override
    public boolean safeToRetry() {
        return true;
    }
}
