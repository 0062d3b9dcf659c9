package io.raftkv.core.message;

/** The answer to a {@link VoteRequest}; {@code preVote} echoes the request's flag. */
public record VoteResponse(String from, String to, long term, boolean granted, boolean preVote)
        implements RaftMessage {
}
