package io.raftkv.core.message;

/**
 * The answer to an {@link AppendEntriesRequest}.
 *
 * @param success       the follower's log matched at prevLogIndex and now holds the request's entries
 * @param matchIndex    on success: the last index the follower now holds that matches the leader's log
 *                      (prevLogIndex + number of entries); 0 on failure
 * @param rejectedIndex on failure: the request's prevLogIndex that did not match (lets the leader ignore stale
 *                      rejections of requests it has since superseded); 0 on success
 * @param conflictTerm  on failure: the term of the follower's entry at prevLogIndex, or 0 if its log is
 *                      shorter than that (the fast-backtracking optimisation at the end of §5.3)
 * @param conflictIndex on failure: the first index the follower holds with {@code conflictTerm}, or its last
 *                      index + 1 when its log is too short; the leader resumes from there
 * @param lastLogIndex  the follower's last log index
 * @param seq           echoes the request's {@code seq}
 */
public record AppendEntriesResponse(String from, String to, long term, boolean success, long matchIndex,
                                    long rejectedIndex, long conflictTerm, long conflictIndex, long lastLogIndex,
                                    long seq) implements RaftMessage {
}
