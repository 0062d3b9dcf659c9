package io.raftkv.core.storage;

/**
 * The state a server must keep on stable storage before it answers any RPC (Figure 2 of the Raft paper):
 * {@code currentTerm} and {@code votedFor} (null if it has voted for no one in this term). Losing either
 * could let a server vote twice in one term and break Election Safety (§5.2).
 */
public record HardState(long currentTerm, String votedFor) {
    public static final HardState INITIAL = new HardState(0, null);

    public HardState {
        if (currentTerm < 0) {
            throw new IllegalArgumentException("negative term " + currentTerm);
        }
    }
}
