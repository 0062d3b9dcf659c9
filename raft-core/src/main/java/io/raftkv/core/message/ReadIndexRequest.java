package io.raftkv.core.message;

/** A follower asks the leader for a read index (thesis §6.4) on behalf of a local linearizable read. */
public record ReadIndexRequest(String from, String to, long term, long requestId) implements RaftMessage {
}
