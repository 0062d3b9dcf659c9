package io.raftkv.core.server;

/**
 * The proposal's entry was appended to this server's log, but the entry that was eventually committed at that
 * index has a different term: a later leader overwrote it (§5.3), so by Log Matching it will never be applied.
 * Unlike {@link OutcomeUnknownException} this is a definite "no": resubmitting is safe.
 */
public final class NotCommittedException extends RaftException {
    private final long index;
    private final long proposedTerm;
    private final long committedTerm;

    public NotCommittedException(long index, long proposedTerm, long committedTerm) {
        super("entry " + index + " of term " + proposedTerm + " was overwritten by an entry of term "
                + committedTerm + ": not applied", null);
        this.index = index;
        this.proposedTerm = proposedTerm;
        this.committedTerm = committedTerm;
    }

    public long index() {
        return index;
    }

    public long proposedTerm() {
        return proposedTerm;
    }

    public long committedTerm() {
        return committedTerm;
    }

    @Override
    public boolean safeToRetry() {
        return true;
    }
}
