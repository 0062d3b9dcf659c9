package io.raftkv.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The leader's queue of ReadIndex requests (thesis §6.4). A read is safe to serve at index {@code readIndex}
 * once a majority has acknowledged a heartbeat round that started after the read arrived (that proves no newer
 * leader existed at that moment). Reads that arrive before the leader has committed an entry of its own term
 * wait for that first: until then its commit index may lag the cluster's (step 1 of §6.4).
 */
final class ReadIndexTracker {

    /** A read request: {@code from} is null for a local request, else the follower that asked. */
    record PendingRead(long requestId, String from, long readIndex, long seq) {
    }

    /** Reads waiting for the leader's first current-term commit; readIndex is filled in later. */
    private final List<PendingRead> waitingForCommit = new ArrayList<>();
    /** Reads waiting for a quorum to acknowledge their heartbeat round, in seq order. */
    private final ArrayDeque<PendingRead> awaitingQuorum = new ArrayDeque<>();

    void waitForCommit(long requestId, String from) {
        waitingForCommit.add(new PendingRead(requestId, from, 0, 0));
    }

    /** Takes the reads that waited for the first current-term commit. */
    List<PendingRead> drainWaitingForCommit() {
        List<PendingRead> out = new ArrayList<>(waitingForCommit);
        waitingForCommit.clear();
        return out;
    }

    void awaitQuorum(PendingRead read) {
        awaitingQuorum.addLast(read);
    }

    /** Removes and returns every read whose heartbeat round a quorum acknowledged. */
    List<PendingRead> releaseUpTo(long quorumAckedSeq) {
        List<PendingRead> out = new ArrayList<>();
        while (!awaitingQuorum.isEmpty() && awaitingQuorum.peekFirst().seq() <= quorumAckedSeq) {
            out.add(awaitingQuorum.pollFirst());
        }
        return out;
    }

    /** Removes and returns every pending read (leadership lost: they must fail). */
    List<PendingRead> drainAll() {
        List<PendingRead> out = new ArrayList<>(waitingForCommit);
        out.addAll(awaitingQuorum);
        waitingForCommit.clear();
        awaitingQuorum.clear();
        return out;
    }

    boolean isEmpty() {
        return waitingForCommit.isEmpty() && awaitingQuorum.isEmpty();
    }
}
