package io.raftkv.core.progress;

/**
 * The leader's view of one follower's log (Figure 2's nextIndex and matchIndex, plus flow control), modelled on
 * etcd's tracker.Progress.
 *
 * <ul>
 *   <li>{@link State#PROBE}: the leader does not know where the follower's log diverges; it sends one
 *       AppendEntries at a time and waits for the answer (or a heartbeat interval) before the next.</li>
 *   <li>{@link State#REPLICATE}: the follower is known to match up to matchIndex; the leader pipelines
 *       AppendEntries optimistically (advancing nextIndex at send time), bounded by {@link Inflights}.</li>
 *   <li>{@link State#SNAPSHOT}: the entries the follower needs were compacted; it is sent a snapshot.</li>
 * </ul>
 */
public final class Progress {

    public enum State { PROBE, REPLICATE, SNAPSHOT }

    /** Highest index known to be replicated on the follower (§5.3). */
    private long matchIndex;
    /** Index of the next entry to send (§5.3). */
    private long nextIndex;
    private State state = State.PROBE;
    /** In PROBE: a message was sent and we are waiting for its answer before probing again. */
    private boolean probeSent;
    private final Inflights inflights;
    /** Heard from this follower since the last check-quorum round (thesis §6.2). */
    private boolean recentActive;
    /** Highest AppendEntries seq the follower acknowledged in this term (for ReadIndex and the lease). */
    private long ackedSeq;
    /** Snapshot being sent: its last included index (SNAPSHOT state). */
    private long pendingSnapshotIndex;
    /** The leader's seq when it last sent this follower entries (detects lost pipelined messages). */
    private long lastEntriesSeq;
    /**
     * The highest commit index a message sent to this follower can teach it: one it will accept (sent at or below
     * its match index) teaches it min(leaderCommit, the message's last index), §5.3 receiver rule 5.
     */
    private long commitTold;

    public Progress(long nextIndex, int maxInflight, long maxInflightBytes) {
        this.nextIndex = nextIndex;
        this.inflights = new Inflights(maxInflight, maxInflightBytes);
    }

    public long matchIndex() {
        return matchIndex;
    }

    public long nextIndex() {
        return nextIndex;
    }

    public State state() {
        return state;
    }

    public Inflights inflights() {
        return inflights;
    }

    public boolean recentActive() {
        return recentActive;
    }

    public void setRecentActive(boolean active) {
        this.recentActive = active;
    }

    public long ackedSeq() {
        return ackedSeq;
    }

    public void ackSeq(long seq) {
        if (seq > ackedSeq) {
            ackedSeq = seq;
        }
    }

    public long pendingSnapshotIndex() {
        return pendingSnapshotIndex;
    }

    /** May the leader send this follower more entries now? */
    public boolean canSend() {
        return switch (state) {
            case PROBE -> !probeSent;
            case REPLICATE -> !inflights.full();
            case SNAPSHOT -> false;
        };
    }

    public long lastEntriesSeq() {
        return lastEntriesSeq;
    }

    /** Records that an AppendEntries ending at {@code lastIndex} with {@code bytes} of entries was sent. */
    public void sent(long lastIndex, int entryCount, long bytes, long seq) {
        if (entryCount > 0) {
            lastEntriesSeq = seq;
        }
        if (state == State.REPLICATE) {
            if (entryCount > 0) {
                nextIndex = lastIndex + 1; // optimistic: pipelining (etcd's "replicate" state)
                inflights.add(lastIndex, bytes);
            }
        } else if (state == State.PROBE) {
            probeSent = true;
        }
    }

    /**
     * A successful answer at {@code index} in PROBE that confirms the match index the probe started from also
     * answers the probe, although it does not advance matchIndex: after a snapshot, say, the leader already set
     * matchIndex to the snapshot's index, and the follower's answer to the probe that followed repeats it. Without
     * this the follower would stay in PROBE, and new entries would wait for the next heartbeat. (etcd-io/raft:
     * {@code pr.Match == m.Index && pr.State == StateProbe}; here only where the next probe would start, so that a
     * stale answer for an old index does not make the leader resend what a probe further on carries.)
     */
    public boolean confirmsProbe(long index) {
        return state == State.PROBE && index == matchIndex && nextIndex == matchIndex + 1;
    }

    public long commitTold() {
        return commitTold;
    }

    /** A message that teaches this follower the commit index up to {@code commit} was sent. */
    public void toldCommit(long commit) {
        commitTold = Math.max(commitTold, commit);
    }

    /** The follower confirmed it matches up to {@code index}. Returns true if matchIndex advanced. */
    public boolean maybeUpdate(long index) {
        boolean updated = false;
        if (index > matchIndex) {
            matchIndex = index;
            updated = true;
            probeSent = false;
        }
        nextIndex = Math.max(nextIndex, index + 1);
        inflights.freeTo(index);
        return updated;
    }

    /**
     * The follower rejected AppendEntries at {@code rejectedIndex}; {@code hintNext} is where the conflict hint
     * says to resume. Returns false if the rejection is stale (answers a request we have since superseded).
     */
    public boolean maybeDecreaseTo(long rejectedIndex, long hintNext) {
        if (state == State.REPLICATE) {
            if (rejectedIndex <= matchIndex) {
                return false; // stale: we already know it matches there
            }
            nextIndex = matchIndex + 1; // the follower matched up to matchIndex: resume right after it
            return true;
        }
        if (nextIndex - 1 != rejectedIndex) {
            return false; // stale: not the probe we are waiting for
        }
        nextIndex = Math.max(Math.min(hintNext, rejectedIndex), matchIndex + 1);
        probeSent = false;
        return true;
    }

    public void becomeProbe() {
        if (state == State.SNAPSHOT) {
            nextIndex = Math.max(matchIndex + 1, pendingSnapshotIndex + 1);
            pendingSnapshotIndex = 0;
        } else {
            nextIndex = matchIndex + 1;
        }
        state = State.PROBE;
        probeSent = false;
        inflights.reset();
    }

    public void becomeReplicate() {
        state = State.REPLICATE;
        nextIndex = matchIndex + 1;
        probeSent = false;
        inflights.reset();
    }

    public void becomeSnapshot(long snapshotIndex) {
        state = State.SNAPSHOT;
        pendingSnapshotIndex = snapshotIndex;
        probeSent = false;
        inflights.reset();
    }

    /** In PROBE, a heartbeat interval passed: allow another probe (the previous one may have been lost). */
    public void resumeProbe() {
        probeSent = false;
    }

    @Override
    public String toString() {
        return state + "(match=" + matchIndex + ", next=" + nextIndex + ", inflight=" + inflights.count() + ")";
    }
}
