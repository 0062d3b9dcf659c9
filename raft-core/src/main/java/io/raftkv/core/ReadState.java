package io.raftkv.core;

/**
 * The outcome of a {@link RaftNode#readIndex} request (thesis §6.4). When {@code success}, a read may be served
 * from the local state machine once it has applied {@code readIndex}; otherwise leadership could not be
 * confirmed and the caller should retry (possibly at the new leader).
 */
public record ReadState(long requestId, long readIndex, boolean success) {
}
