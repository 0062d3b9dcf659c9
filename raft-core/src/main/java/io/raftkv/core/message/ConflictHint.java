package io.raftkv.core.message;

/**
 * What a follower tells the leader when the AppendEntries consistency check fails (§5.3), so that the leader finds
 * where their logs match in one round trip per conflicting term instead of one per entry (the optimisation at the
 * end of §5.3).
 *
 * @param term       the term of the follower's entry at the rejected prevLogIndex, or 0 if its log is shorter than
 *                   that
 * @param firstIndex the first index the follower holds with {@code term}; when its log is too short, its last index
 *                   + 1. The leader resumes from here, or after its own last entry of {@code term}.
 */
public record ConflictHint(long term, long firstIndex) {

    /** The follower's log ends at {@code lastIndex}, before the index the leader asked about. */
    public static ConflictHint logTooShort(long lastIndex) {
        return new ConflictHint(0, lastIndex + 1);
    }

    /** True if the follower's log does not reach the rejected index at all. */
    public boolean logTooShort() {
        return term == 0;
    }
}
