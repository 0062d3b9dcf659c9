package io.raftkv.core.server;

/**
 * The proposal was appended to the leader's log, and then this server stopped being leader (or shut down)
 * before it knew whether the entry committed. A new leader may still commit it (§5.4.2 lets a leader commit
 * earlier-term entries indirectly), so the command may or may not take effect. Only idempotent commands may be
 * retried blindly; others should read back first (the HTTP layer answers 504).
 */
public final class OutcomeUnknownException extends RaftException {
    private final long index;
    private final long term;

    public OutcomeUnknownException(long index, long term, String reason, Throwable cause) {
        super("outcome of entry " + index + " (term " + term + ") unknown: " + reason, cause);
        this.index = index;
        this.term = term;
    }

    /** Log index the proposal was appended at. */
    public long index() {
        return index;
    }

    /** Term the proposal was appended in. */
    public long term() {
        return term;
    }

    @Override
    public boolean safeToRetry() {
        return false;
    }
}
