package io.raftkv.sim;

/**
 * The kinds of events a fault schedule can contain. Statistics and the generator's weights are keyed by kind.
 *
 * <p><b>Extending.</b> Add a kind here, a record to {@link Fault}, a branch to {@link FaultInjector} and a weight
 * (or, to leave existing schedules unchanged, a random stream of its own) to {@link ScheduleGenerator}.
 * Snapshots are not a fault but a per-schedule driver policy ({@link Schedule.Snapshots}).
 */
public enum FaultKind {
    /** A node stops at once (optionally mid-persist); unsynced log writes may be lost. */
    CRASH,
    /** The node that has been down the longest comes back from its surviving storage. */
    RESTART,
    /** The cluster splits into two sides that cannot talk (symmetric). */
    PARTITION,
    /** The current leader is cut off from everyone (symmetric). */
    ISOLATE_LEADER,
    /** Messages from one node to another are lost; the reverse direction still works (asymmetric). */
    BLOCK_LINK,
    /** Every partition and blocked link is removed. */
    HEAL_NETWORK,
    /** The network's loss, duplication and reordering rates change. */
    LINK_QUALITY,
    /**
     * The leader proposes a membership change: a single-server one (thesis §4.1: add a learner, promote, remove) or
     * a joint-consensus one (§6: any voters at once).
     */
    MEMBERSHIP,
    /** The leader hands leadership to a voter (thesis §3.10). */
    TRANSFER_LEADERSHIP
}
