package io.raftkv.core;

import io.raftkv.core.message.RaftMessage;

import java.util.ArrayList;
import java.util.List;

/** Output a {@link RaftNode} accumulates between two {@link Ready}s. */
final class Outbox {
    /** Messages that may leave before this Ready's state is persisted (the leader's AppendEntries, §10.2.1). */
    final List<RaftMessage> early = new ArrayList<>();
    /** Messages that must wait until this Ready's hard state and entries are durable. */
    final List<RaftMessage> late = new ArrayList<>();
    final List<ReadState> readStates = new ArrayList<>();
    /** Where the leader put batches this node forwarded (or why not). */
    final List<ForwardResult> forwardResults = new ArrayList<>();
    /** Peers that need the latest snapshot (their next entries were compacted). */
    final List<String> snapshotsToSend = new ArrayList<>();
    Ready.SnapshotInstall snapshotToInstall;

    boolean isEmpty() {
        return early.isEmpty() && late.isEmpty() && readStates.isEmpty() && forwardResults.isEmpty()
                && snapshotsToSend.isEmpty()
                && snapshotToInstall == null;
    }

    void clear() {
        early.clear();
        late.clear();
        readStates.clear();
        forwardResults.clear();
        snapshotsToSend.clear();
        snapshotToInstall = null;
    }
}
