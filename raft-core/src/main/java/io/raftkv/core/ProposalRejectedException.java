package io.raftkv.core;

/**
 * Thrown by {@link RaftNode} when a proposal cannot be accepted for a reason other than leadership: a
 * leadership transfer in progress, a configuration change already pending, an invalid change. The
 * {@link #reason()} tells a caller whether to retry.
 */
public final class ProposalRejectedException extends RuntimeException {

    /** Why a proposal was rejected, as far as a caller needs to know to decide what to do next. */
    public enum Reason {
        /** Not now; the same request may be accepted shortly (e.g. a transfer in progress, a learner catching up). */
        RETRY_LATER,
        /** Another membership change is not finished yet (thesis §4.1: one at a time; §6: a joint change ends first). */
        CHANGE_IN_PROGRESS,
        /** The request cannot be accepted as it is (e.g. a change that does not apply to the configuration). */
        INVALID
    }

    private final Reason reason;

    /** A rejection the caller may retry ({@link Reason#RETRY_LATER}). */
    public ProposalRejectedException(String message) {
        this(Reason.RETRY_LATER, message);
    }

    public ProposalRejectedException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
