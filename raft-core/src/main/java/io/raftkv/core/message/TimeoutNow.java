package io.raftkv.core.message;

/** Leadership transfer (thesis §3.10): tells an up-to-date follower to start an election at once. */
public record TimeoutNow(String from, String to, long term) implements RaftMessage {
}
