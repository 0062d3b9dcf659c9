package io.raftkv.core;

/**
 * Where a proposal landed in the leader's log. The proposal took effect iff the entry applied at
 * {@code index} has this {@code term} (Log Matching, §5.3: same index and term means the same entry).
 */
public record Proposal(long index, long term) {
}
