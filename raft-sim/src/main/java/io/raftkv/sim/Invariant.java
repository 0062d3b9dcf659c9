package io.raftkv.sim;

/** What the checker found broken. The first four are the safety properties of Figure 3 of the Raft paper. */
public enum Invariant {
    /** At most one leader per term (§5.2). */
    ELECTION_SAFETY,
    /** Two logs with an entry of the same index and term are identical up to it (§5.3). */
    LOG_MATCHING,
    /** An entry committed in a term is in the log of every leader of a later term (§5.4). */
    LEADER_COMPLETENESS,
    /** No two servers apply different entries (or get different results) at one index (§5.4.3). */
    STATE_MACHINE_SAFETY,
    /** A successful ReadIndex answer is at least every index committed before the read started (thesis §6.4). */
    LINEARIZABLE_READ,
    /**
     * Consecutive configurations keep overlapping majorities: every configuration entry differs from the one
     * before it in the same log by at most one voter (thesis §4.1), or enters the joint configuration C_old,new
     * from exactly C_old, or leaves it for exactly its C_new (§6); and a node only becomes leader while it is a
     * voter of its own configuration.
     */
    CONFIGURATION_CHANGE,
    /**
     * Client commands handed from a follower to the leader ({@code RaftNode.forward}) take effect at most once, and
     * where the leader said it appended a batch is where those commands apply (Log Matching, §5.3): no command
     * of the client is ever applied at two indexes, and the entry applied at an announced (index, term) is the
     * announced command.
     */
    FORWARDING,
    /**
     * Client sessions (thesis §6.3): an (session, seq) is applied by at most one log index however often the client
     * resends it, and every later entry of it is answered with that one apply's result.
     */
    EXACTLY_ONCE,
    /** After faults stop: a leader within a bounded time, and every later proposal commits everywhere. */
    LIVENESS,
    /** RaftNode broke its own API contract (or the state machine threw): an exception, a term or commit index going back, applying out of
     *  order, a non-leader accepting a proposal, a Ready loop that never settles. */
    CORE_CONTRACT
}
