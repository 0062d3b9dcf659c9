package io.raftkv.core.server;

/**
 * {@link RaftServer#takeSnapshot()} did not start a snapshot; {@link #reason()} says why. Nothing was written and
 * the previous snapshot (if any) is untouched.
 */
public final class SnapshotRejectedException extends RaftException {

    /** Why no snapshot was started. */
    public enum Reason {
        /** Another snapshot is being written right now (one at a time); retry when it is done. */
        IN_PROGRESS,
        /** Nothing was applied since the newest snapshot: it already covers the state. */
        UP_TO_DATE,
        /**
         * The term of the last applied entry is not known yet (a restarted server whose state machine is ahead of
         * its snapshot, until the core hands that entry out again); retry shortly.
         */
        NOT_READY
    }

    private final Reason reason;

    public SnapshotRejectedException(Reason reason, String message) {
        super(message, null);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** Taking a snapshot changes no replicated state: asking again is always safe. */
    @Override
    public boolean safeToRetry() {
        return true;
    }
}
