package io.raftkv.core;

/**
 * The outcome of a {@link RaftNode#forward} batch, handed to the driver in {@link Ready#forwardResults()}.
 * Accepted: the batch's commands were appended to the leader's log at {@code firstIndex}, {@code firstIndex+1},
 * ... in {@code term}; each took effect iff the entry this server applies at its index has that term (Log
 * Matching, §5.3), exactly as for a local {@link Proposal}. Rejected: none of it was appended, and
 * {@code rejection} says why; sending the commands again cannot apply them twice.
 */
public record ForwardResult(long batchId, long firstIndex, long term, int count, String rejection) {

    public boolean isAccepted() {
        return rejection == null;
    }

    /** Where the {@code k}-th command of the batch landed (accepted batches only). */
    public Proposal proposal(int k) {
        if (!isAccepted() || k < 0 || k >= count) {
            throw new IndexOutOfBoundsException("command " + k + " of " + this);
        }
        return new Proposal(firstIndex + k, term);
    }
}
