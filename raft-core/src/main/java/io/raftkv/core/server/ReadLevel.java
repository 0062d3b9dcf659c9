package io.raftkv.core.server;

/** How fresh a read must be (docs/design.md §6). From strongest and slowest to weakest and fastest. */
public enum ReadLevel {
    /**
     * ReadIndex (thesis §6.4): the leader records its commit index, confirms with a round of heartbeats that it is
     * still leader, and the read is served once the local state machine has applied up to that index. Works on
     * followers too: the core asks the leader for the read index. Linearizable without any clock assumption.
     */
    LINEARIZABLE,
    /**
     * Leader lease (thesis §6.4.1): while the leader heard from a majority within the last election timeout minus
     * a drift bound, no other leader can exist, so it serves reads at its commit index without a round trip.
     * Correct only if clocks drift less than {@code RaftOptions.leaseDriftTicks} per election timeout. Falls back to
     * {@link #LINEARIZABLE} when the lease is not held (not leader, lease expired, no entry of its term committed).
     */
    LEASE,
    /** The local state machine as it is now, on any server: may be arbitrarily stale, never blocks. */
    STALE
}
