package io.raftkv.core.server;

/**
 * The proposal was appended to the leader's log, and then this server stopped being leader (or shut down)
 * before it knew whether the entry committed; or this follower forwarded it to the leader and got no answer
 * (the leader may have appended it, see {@link #isPlaced()}). A new leader may still commit it (§5.4.2 lets a leader commit
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

    /** A forwarded proposal whose placement in the leader's log never became known. */
    public OutcomeUnknownException(String reason, Throwable cause) {
        super("outcome unknown: " + reason, cause);
        this.index = 0;
        this.term = 0;
    }

    /** True if the log index and term the proposal was appended at are known. */
    public boolean isPlaced() {
        return index > 0;
    }

    /** Log index the proposal was appended at (0 if never known). */
    public long index() {
        return index;
    }

    /** Term the proposal was appended in (0 if never known). */
    public long term() {
        return term;
    }

    @Override
    public boolean safeToRetry() {
        return false;
    }
}
