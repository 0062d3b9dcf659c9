package io.raftkv.core.server;

import io.raftkv.core.Proposal;
import io.raftkv.core.RaftNode;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.trace.TraceSink;

import java.util.Map;

/** {@link ConsensusCore} backed by the real algorithm. Pure delegation. */
final class RaftNodeCore implements ConsensusCore {
    private final RaftNode node;

    RaftNodeCore(RaftNode node) {
        this.node = node;
    }

    @Override
    public void tick() {
        node.tick();
    }

    @Override
    public void step(RaftMessage message) {
        node.step(message);
    }

    @Override
    public Proposal propose(byte[] command) {
        return node.propose(command);
    }

    @Override
    public Proposal changeMembership(MembershipChange change) {
        return node.changeMembership(change);
    }

    @Override
    public void transferLeadership(String target) {
        node.transferLeadership(target);
    }

    @Override
    public void forward(long batchId, java.util.List<byte[]> commands) {
        node.forward(batchId, commands);
    }

    @Override
    public void readIndex(long requestId) {
        node.readIndex(requestId);
    }

    @Override
    public void compact(SnapshotMeta meta) {
        node.compact(meta);
    }

    @Override
    public boolean installSnapshot(SnapshotMeta meta) {
        return node.installSnapshot(meta);
    }

    @Override
    public void reportSnapshot(String peer, long index, boolean success) {
        node.reportSnapshot(peer, index, success);
    }

    @Override
    public long snapshotIndex() {
        return node.snapshotIndex();
    }

    @Override
    public boolean hasReady() {
        return node.hasReady();
    }

    @Override
    public Ready ready() {
        return node.ready();
    }

    @Override
    public void reportApplied(long appliedIndex) {
        node.reportApplied(appliedIndex);
    }

    @Override
    public void advance(Ready ready) {
        node.advance(ready);
    }

    @Override
    public Role role() {
        return node.role();
    }

    @Override
    public long currentTerm() {
        return node.currentTerm();
    }

    @Override
    public String leaderId() {
        return node.leaderId();
    }

    @Override
    public long commitIndex() {
        return node.commitIndex();
    }

    @Override
    public long lastLogIndex() {
        return node.lastLogIndex();
    }

    @Override
    public long termAt(long index) {
        if (index == 0) {
            return 0;
        }
        if (index < node.firstLogIndex() || index > node.lastLogIndex()) {
            return -1;
        }
        return node.logTerm(index);
    }

    @Override
    public Configuration configuration() {
        return node.configuration();
    }

    @Override
    public boolean leaseValid() {
        return node.leaseValid();
    }

    @Override
    public int electionTimeoutTicks() {
        return node.options().electionTimeoutTicks();
    }

    @Override
    public Map<String, Long> matchIndexes() {
        return node.matchIndexes();
    }

    @Override
    public Map<String, Long> nextIndexes() {
        return node.nextIndexes();
    }

    @Override
    public String votedFor() {
        return node.hardState().votedFor();
    }

    @Override
    public long configurationIndex() {
        return node.configurationIndex();
    }

    @Override
    public void traceTo(TraceSink sink) {
        node.traceTo(sink);
    }
}
