package io.raftkv.core.message;

/**
 * RequestVote (§5.2) or, with {@code preVote}, the pre-vote probe of thesis §9.6 that does not disturb anyone's
 * term. {@code transfer} is set when the campaign was triggered by {@link TimeoutNow} (thesis §3.10): receivers
 * then grant the vote even if they heard from a leader recently.
 *
 * @param lastLogIndex index of the candidate's last log entry (§5.4.1)
 * @param lastLogTerm  term of the candidate's last log entry (§5.4.1)
 */
public record VoteRequest(String from, String to, long term, long lastLogIndex, long lastLogTerm,
                          boolean preVote, boolean transfer) implements RaftMessage {
}
