package io.raftkv.sim;

/**
 * The kinds of events a fault schedule can contain. Statistics and the generator's weights are keyed by kind.
 *
 * <p><b>Extending.</b> Later issues add snapshots/compaction (InstallSnapshot), membership changes and
 * leadership transfer: add a kind here, a record to {@link Fault}, a branch to {@link FaultInjector} and a weight
 * to {@link ScheduleGenerator}. The checker needs no change for them to be checked.
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
    /** The leader proposes a single-server membership change (thesis §4.1): add a learner, promote, remove. */
    MEMBERSHIP,
    /** The leader hands leadership to a voter (thesis §3.10). */
    TRANSFER_LEADERSHIP
}
