package io.raftkv.core;

/**
 * Thrown by {@link RaftNode} when a proposal cannot be accepted for a reason other than leadership: a
 * leadership transfer in progress, a configuration change already pending, an invalid change.
 */
public final class ProposalRejectedException extends RuntimeException {
    public ProposalRejectedException(String message) {
        super(message, null, false, false);
    }
}
