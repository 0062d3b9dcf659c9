package io.raftkv.core.server;

import io.raftkv.core.Role;

import io.raftkv.core.cluster.Configuration;

import java.util.List;

/**
 * A consistent snapshot of one server's Raft state, published by the raft thread after every loop turn and
 * readable from any thread ({@link RaftServer#status()}). It backs {@code GET /status}.
 *
 * @param id                this server's id
 * @param role              its role; null before {@link RaftServer#start()} and after it stopped
 * @param term              its current term
 * @param leaderId          the leader it knows of, or null
 * @param commitIndex       highest index known committed (§5.3)
 * @param appliedIndex      highest index the state machine has applied (lastApplied of Figure 2)
 * @param lastLogIndex      index of its last log entry (persisted or not)
 * @param members           the configuration in effect, with replication progress when this server leads
 * @param lastSnapshotIndex last index covered by the newest snapshot the log was compacted to (0 if none)
 * @param running           false once the server stopped (normally or on a fatal error)
 * @param lastSnapshot      the newest snapshot this server holds: index, size, when and how it got it; null if none
 * @param joint             while the configuration in effect is a joint one (C_old,new, Raft §6), its two halves;
 *                          null otherwise ({@code members} then lists the union of both)
 */
public record RaftStatus(String id, Role role, long term, String leaderId, long commitIndex, long appliedIndex,
                         long lastLogIndex, List<MemberStatus> members, long lastSnapshotIndex, boolean running,
                         SnapshotInfo lastSnapshot, JointConfiguration joint) {

    public RaftStatus {
        members = List.copyOf(members);
    }

    /** A status without snapshot details (the raft thread's view; the server adds them). */
    public RaftStatus(String id, Role role, long term, String leaderId, long commitIndex, long appliedIndex,
                      long lastLogIndex, List<MemberStatus> members, long lastSnapshotIndex, boolean running) {
        this(id, role, term, leaderId, commitIndex, appliedIndex, lastLogIndex, members, lastSnapshotIndex, running,
                null, null);
    }

    /** This status with {@code snapshot} as {@link #lastSnapshot()}. */
    public RaftStatus withLastSnapshot(SnapshotInfo snapshot) {
        return new RaftStatus(id, role, term, leaderId, commitIndex, appliedIndex, lastLogIndex, members,
                lastSnapshotIndex, running, snapshot, joint);
    }

    /** True if this server believes it is the leader. */
    public boolean isLeader() {
        return role == Role.LEADER;
    }

    /**
     * One member of the configuration.
     *
     * @param matchIndex the highest index known replicated on that member (§5.3 matchIndex); null unless the
     *                   reporting server is the leader
     * @param nextIndex  the index of the next entry the leader will send that member (§5.3 nextIndex); null unless
     *                   the reporting server is the leader, and for the leader itself
     */
    public record MemberStatus(String id, String address, boolean voter, Long matchIndex, Long nextIndex) {

        /** A member without a next index (not reported by a leader, or the leader itself). */
        public MemberStatus(String id, String address, boolean voter, Long matchIndex) {
            this(id, address, voter, matchIndex, null);
        }
    }

    /**
     * The two halves of a joint configuration C_old,new (Raft §6): its elections and commits need a majority of
     * {@code oldVoters} and one of {@code newVoters}. Ids sorted.
     */
    public record JointConfiguration(List<String> oldVoters, List<String> newVoters) {
        public JointConfiguration {
            oldVoters = List.copyOf(oldVoters);
            newVoters = List.copyOf(newVoters);
        }

        /** The halves of {@code configuration}, or null if it is not joint. */
        public static JointConfiguration of(Configuration configuration) {
            return configuration == null || !configuration.isJoint() ? null
                    : new JointConfiguration(List.copyOf(configuration.oldConfiguration().voterIds()),
                            List.copyOf(configuration.newConfiguration().voterIds()));
        }
    }
}
