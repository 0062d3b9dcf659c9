package io.raftkv.core.message;

/**
 * The leader's answer to a {@link ForwardRequest}: either where it appended the batch, or why it did not.
 *
 * @param batchId    echoes the request's batch id
 * @param firstIndex if accepted: the log index of the batch's first command (the others follow at consecutive
 *                   indexes, all in this message's {@code term}); 0 if rejected
 * @param count      if accepted: how many commands were appended (the whole batch); 0 if rejected
 * @param rejection  null if accepted; otherwise why nothing of the batch was appended (not leader, leadership
 *                   transfer in progress, a stale term): the follower may safely send the commands again
 */
public record ForwardResponse(String from, String to, long term, long batchId, long firstIndex, int count,
                              String rejection) implements RaftMessage {

    public static ForwardResponse accepted(String from, String to, long term, long batchId, long firstIndex,
                                           int count) {
        return new ForwardResponse(from, to, term, batchId, firstIndex, count, null);
    }

    public static ForwardResponse rejected(String from, String to, long term, long batchId, String why) {
        return new ForwardResponse(from, to, term, batchId, 0, 0, why);
    }

    public boolean isAccepted() {
        return rejection == null;
    }
}
