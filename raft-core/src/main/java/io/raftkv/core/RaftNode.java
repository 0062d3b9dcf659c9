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
}
