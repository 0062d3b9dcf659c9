package io.raftkv.core;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.LogStore;
import io.raftkv.core.storage.SnapshotMeta;

import java.util.Random;

/**
 * The Raft algorithm for one server, as a deterministic single-threaded state machine (API skeleton; the
 * implementation lands next).
 */
public final class RaftNode {

    public RaftNode(String id, RaftOptions options, LogStore log, HardState hardState, SnapshotMeta snapshot,
                    Configuration bootstrap, Random random) {
        throw new UnsupportedOperationException("not yet");
    }

    public void tick() { }

    public void step(RaftMessage message) { }

    public Proposal propose(byte[] command) { throw new UnsupportedOperationException(); }

    public void readIndex(long requestId) { }

    public void campaign() { }

    public boolean hasReady() { return false; }

    public Ready ready() { throw new UnsupportedOperationException(); }

    public void advance(Ready ready) { }

    public String id() { return null; }

    public Role role() { return null; }

    public long currentTerm() { return 0; }

    public String leaderId() { return null; }

    public long commitIndex() { return 0; }

    public long lastLogIndex() { return 0; }

    public Configuration configuration() { return null; }

    /** True while this leader's lease holds (thesis §6.4.1): it may serve reads without a round trip. */
    public boolean leaseValid() { return false; }

    /** Leader only: each follower's match index (empty map on non-leaders). */
    public java.util.Map<String, Long> matchIndexes() { return java.util.Map.of(); }

    /** The current term and vote. */
    public HardState hardState() { return null; }

    /** First index of the log this node holds (persisted or not). */
    public long firstLogIndex() { return 0; }

    /** Term of the entry at {@code index} in this node's log (persisted or not); 0 for index 0. */
    public long logTerm(long index) { return 0; }

    /** The entry at {@code index} in this node's log (persisted or not). */
    public io.raftkv.core.message.LogEntry logEntry(long index) { return null; }
}
