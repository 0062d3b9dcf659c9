package io.raftkv.core.message;

/**
 * The answer to an {@link AppendEntriesRequest}. Build one with a factory that says which answer it is:
 * {@link #accept}, {@link #reject} (the consistency check failed) or {@link #staleTerm} (the request's term is
 * older than ours); the canonical constructor is for codecs that read every field back.
 *
 * @param success       the follower's log matched at prevLogIndex and now holds the request's entries
 * @param matchIndex    on success: the last index the follower now holds that matches the leader's log
 *                      (prevLogIndex + number of entries); 0 on failure
 * @param rejectedIndex on failure: the request's prevLogIndex that did not match (lets the leader ignore stale
 *                      rejections of requests it has since superseded); 0 on success
 * @param conflictTerm  on failure: {@link ConflictHint#term()}; 0 on success and in a stale-term answer
 * @param conflictIndex on failure: {@link ConflictHint#firstIndex()}; 0 on success and in a stale-term answer
 * @param lastLogIndex  the follower's last log index
 * @param seq           echoes the request's {@code seq}
 */
public record AppendEntriesResponse(String from, String to, long term, boolean success, long matchIndex,
                                    long rejectedIndex, long conflictTerm, long conflictIndex, long lastLogIndex,
                                    long seq) implements RaftMessage {

    /** The follower's log matches the leader's up to {@code matchIndex} (§5.3). */
    public static AppendEntriesResponse accept(String from, String to, long term, long matchIndex, long lastLogIndex,
                                               long seq) {
        return new AppendEntriesResponse(from, to, term, true, matchIndex, 0, 0, 0, lastLogIndex, seq);
    }

    /**
     * The consistency check failed at {@code rejectedIndex} (the request's prevLogIndex, §5.3); {@code hint} says
     * where the leader should look next.
     */
    public static AppendEntriesResponse reject(String from, String to, long term, long rejectedIndex,
                                               ConflictHint hint, long lastLogIndex, long seq) {
        return new AppendEntriesResponse(from, to, term, false, 0, rejectedIndex, hint.term(), hint.firstIndex(),
                lastLogIndex, seq);
    }

    /**
     * The request's term is older than ours (§5.1): refused without looking at the log; {@code term} (ours) makes
     * the sender step down.
     */
    public static AppendEntriesResponse staleTerm(String from, String to, long term, long rejectedIndex,
                                                  long lastLogIndex, long seq) {
        return new AppendEntriesResponse(from, to, term, false, 0, rejectedIndex, 0, 0, lastLogIndex, seq);
    }

    /** On failure: the follower's conflict hint (fast backtracking, §5.3). */
    public ConflictHint conflictHint() {
        return new ConflictHint(conflictTerm, conflictIndex);
    }
}
