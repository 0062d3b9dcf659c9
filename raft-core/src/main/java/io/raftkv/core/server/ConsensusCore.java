package io.raftkv.core.server;

import io.raftkv.core.Proposal;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.trace.TraceSink;

import java.util.Map;

/**
 * The part of {@link io.raftkv.core.RaftNode} the driver uses. The only production implementation is
 * {@link RaftNodeCore}, which delegates every call; called from the raft thread only.
 *
 * <p>Why the seam is kept although it is pure delegation: tests need it. {@code RaftServerDriverTest} and
 * {@code RaftServerFailureTest} run a real {@link RaftServer} against a {@code ScriptedCore}, a stand-in leader
 * whose every Ready is predictable, so that the driver's own rules (the Ready order, group commit, backpressure,
 * shutdown, a failing store) are checked without depending on election timing; {@code SnapshotTransfersTest} drives
 * the snapshot sender and receiver the same way. Without the interface those tests would need a real cluster to
 * reach each state.
 */
interface ConsensusCore {

    void tick();

    void step(RaftMessage message);

    /** @throws io.raftkv.core.NotLeaderException        if not leader
     *  @throws io.raftkv.core.ProposalRejectedException if the leader cannot take it now */
    Proposal propose(byte[] command);

    /** @throws io.raftkv.core.NotLeaderException        if not leader
     *  @throws io.raftkv.core.ProposalRejectedException if the change cannot be made now */
    Proposal changeMembership(MembershipChange change);

    /** @throws io.raftkv.core.NotLeaderException        if not leader
     *  @throws io.raftkv.core.ProposalRejectedException if a transfer is already running or the target is invalid */
    void transferLeadership(String target);

    /**
     * Hands client commands to the leader as one batch (the leader itself appends them at once); the answer comes
     * in a later Ready's {@code forwardResults}.
     *
     * @throws io.raftkv.core.NotLeaderException if no leader is known
     */
    void forward(long batchId, java.util.List<byte[]> commands);

    void readIndex(long requestId);

    /** A durable snapshot covers the log up to {@code meta.lastIncludedIndex()}. */
    void compact(SnapshotMeta meta);

    /** A complete snapshot from the leader is durable; false if stale. */
    boolean installSnapshot(SnapshotMeta meta);

    /** Leader: sending {@code peer} the snapshot at {@code index} finished or was abandoned. */
    void reportSnapshot(String peer, long index, boolean success);

    /** Last index covered by the snapshot the core relies on (0 if none). */
    long snapshotIndex();

    boolean hasReady();

    Ready ready();

    void advance(Ready ready);

    /** The state machine applied up to here: bounds how far committed entries are handed out. */
    void reportApplied(long appliedIndex);

    Role role();

    long currentTerm();

    String leaderId();

    long commitIndex();

    long lastLogIndex();

    /** Term of the entry at {@code index}, or -1 if this core no longer (or does not yet) hold it. */
    long termAt(long index);

    Configuration configuration();

    boolean leaseValid();

    /**
     * The election timeout in ticks (the lower bound of the randomized range). The driver needs it to bound how
     * far the core's tick clock may fall behind real time after a stall (see {@code RaftLoop}).
     */
    int electionTimeoutTicks();

    Map<String, Long> matchIndexes();

    /** Leader: each follower's next index (§5.3); empty elsewhere. */
    default Map<String, Long> nextIndexes() {
        return Map.of();
    }

    /** The candidate voted for in the current term, or null. */
    default String votedFor() {
        return null;
    }

    /** Index of the entry holding the configuration in effect (0 if it came from a snapshot or the bootstrap). */
    default long configurationIndex() {
        return 0;
    }

    /** Reports the core's own decisions (votes, with their reasons) to {@code sink}. */
    default void traceTo(TraceSink sink) {
    }
}
