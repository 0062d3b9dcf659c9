package io.raftkv.core;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.log.RaftLog;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.ForwardRequest;
import io.raftkv.core.message.ForwardResponse;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.InstallSnapshotResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import io.raftkv.core.message.ReadIndexResponse;
import io.raftkv.core.message.TimeoutNow;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.LogStore;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.trace.TraceEvent;
import io.raftkv.core.trace.TraceSink;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The Raft algorithm for one server, as a deterministic, single-threaded state machine (after etcd-io/raft).
 * It has no clock, threads, sockets or files: time is {@link #tick()}, input is {@link #step(RaftMessage)},
 * {@link #propose(byte[])}, {@link #forward}, {@link #readIndex(long)}, {@link #changeMembership} and
 * {@link #transferLeadership}; the output is a {@link Ready} the driver executes and acknowledges with
 * {@link #advance(Ready)}. Randomness (election timeouts) comes from the injected {@link Random}, so a seed
 * replays an execution exactly.
 *
 * <p>This class holds what every role shares — terms, votes, elections, the follower side of replication,
 * the configuration — and delegates everything only a leader tracks to {@link Leader}. The log with its
 * not-yet-durable tail is {@link RaftLog}.
 */
public final class RaftNode {

    private final String id;
    private final RaftOptions options;
    private final Random random;
    private final RaftLog log;
    private final Outbox out = new Outbox();

    // Persistent state on all servers (Figure 2), mirrored in memory; made durable via Ready.hardState.
    private long currentTerm;
    private String votedFor;

    private Role role = Role.FOLLOWER;
    private String leaderId;
    /** Present exactly while this node is the leader. */
    private Leader leader;

    /** The configuration in effect: the latest in the log, committed or not (thesis §4.1). */
    private Configuration configuration;
    private long configIndex;
    private long configTerm;
    /** The configuration the one in effect replaced (for the removed-server rule of thesis §4.2.2). */
    private Configuration priorConfiguration;
    /** The configuration of the latest snapshot (or the bootstrap one): used when the log holds none. */
    private Configuration fallbackConfiguration;

    /** Ticks since the last election-timeout reset (heard from a leader, granted a vote, or campaigned). */
    private int electionElapsed;
    private int randomizedElectionTimeout;
    private long now;
    /** Started with a non-zero term: it may have acknowledged a leader just before it went down. */
    private final boolean restarted;

    /** Votes received in the current (pre-)campaign: voter id to granted. */
    private final Map<String, Boolean> votes = new TreeMap<>();
    /** Follower only: ReadIndex requests forwarded to the leader and not yet answered. */
    private final Set<Long> forwardedReads = new TreeSet<>();

    private HardState lastHardState;
    private SoftState lastSoftState;
    /** Told why each vote was granted or refused; nobody by default (see {@link #traceTo}). */
    private TraceSink trace = TraceSink.NONE;

    /**
     * Creates (or restarts) a node from what its stable storage holds.
     *
     * @param id        this server's id
     * @param log       the persisted log (read only by the core)
     * @param hardState term and vote as last persisted
     * @param snapshot  the latest snapshot's metadata ({@link SnapshotMeta#NONE} if none)
     * @param bootstrap the configuration to use if neither the log nor the snapshot holds one
     * @param random    the only source of randomness (seed it for deterministic runs)
     */
    public RaftNode(String id, RaftOptions options, LogStore log, HardState hardState, SnapshotMeta snapshot,
                    Configuration bootstrap, Random random) {
        this.id = id;
        this.options = options;
        this.random = random;
        this.log = new RaftLog(log, snapshot.lastIncludedIndex(), snapshot.lastIncludedTerm());
        this.currentTerm = hardState.currentTerm();
        this.votedFor = hardState.votedFor();
        this.lastHardState = hardState;
        this.restarted = hardState.currentTerm() > 0;
        this.fallbackConfiguration = snapshot.configuration().members().isEmpty() ? bootstrap : snapshot.configuration();
        reloadConfiguration(this.log.lastIndex());
        resetElectionTimeout();
        this.lastSoftState = softState();
    }

    /**
     * Reports each vote decision, with its reason, to {@code sink} (the driver reports everything else it sees in
     * the Readys). Observation only: the algorithm behaves the same whatever the sink.
     */
    public void traceTo(TraceSink sink) {
        this.trace = sink == null ? TraceSink.NONE : sink;
    }

    // ------------------------------------------------------------------------------------------------ inputs

    /** Advances logical time by one tick: election timeouts for followers, heartbeats for leaders. */
    public void tick() {
        now++;
        if (leader != null) {
            if (!leader.tick()) {
                becomeFollower(currentTerm, null); // check-quorum failed (thesis §6.2)
                return;
            }
            maybeLeaveJoint(); // a transfer that held the leave back may have ended
            String learner = leader.learnerReadyForPromotion();
            if (learner != null) {
                changeMembership(new MembershipChange.Promote(learner)); // learner-first joins (thesis §4.2.1)
            }
            return;
        }
        electionElapsed++;
        if (promotable() && electionElapsed >= randomizedElectionTimeout) {
            // §5.2: a follower that hears nothing for an election timeout starts an election.
            electionElapsed = 0;
            campaign(options.preVote());
        }
    }

    /** Starts an election now, as if the election timeout had fired (tests and tools). */
    public void campaign() {
        if (promotable() && role != Role.LEADER) {
            campaign(options.preVote());
        }
    }

    /**
     * Handles one message from a peer. A message addressed to another server is ignored.
     *
     * @throws IllegalArgumentException if {@code m} is of a type this method has no branch for (a record added to
     *                                  the sealed {@link RaftMessage} family without one): never dropped silently
     */
    public void step(RaftMessage m) {
        if (!m.to().equals(id)) {
            return;
        }
        if (m.term() > currentTerm) {
            if (!handleHigherTerm(m)) {
                return;
            }
        } else if (m.term() < currentTerm) {
            handleLowerTerm(m);
            return;
        }
        if (m instanceof VoteRequest r) {
            handleVoteRequest(r);
        } else if (m instanceof VoteResponse r) {
            handleVoteResponse(r);
        } else if (m instanceof AppendEntriesRequest r) {
            handleAppendEntries(r);
        } else if (m instanceof AppendEntriesResponse r) {
            if (leader != null) {
                leader.handleAppendResponse(r);
                afterLeaderCommit();
            }
        } else if (m instanceof ReadIndexRequest r) {
            if (leader != null) {
                leader.readIndex(r.requestId(), r.from());
            } else {
                send(new ReadIndexResponse(id, r.from(), currentTerm, r.requestId(), 0, false));
            }
        } else if (m instanceof ReadIndexResponse r) {
            if (forwardedReads.remove(r.requestId())) {
                out.readStates.add(new ReadState(r.requestId(), r.readIndex(), r.success()));
            }
        } else if (m instanceof ForwardRequest r) {
            handleForwardRequest(r);
        } else if (m instanceof ForwardResponse r) {
            out.forwardResults.add(toForwardResult(r));
        } else if (m instanceof TimeoutNow) {
            handleTimeoutNow();
        } else if (m instanceof InstallSnapshotRequest r) {
            heardFromLeader(r.from());
        } else if (m instanceof InstallSnapshotResponse) {
            // Nothing beyond the term rules above: the driver's snapshot sender reads it and calls reportSnapshot.
        } else {
            // RaftMessage is sealed, but Java 17 does not check an instanceof chain for exhaustiveness: a type added
            // to the family without a branch here must fail loudly, not be dropped (MessageDispatchTest steps one
            // message of every permitted type).
            throw new IllegalArgumentException(id + ": RaftNode.step has no handler for " + m.getClass().getName());
        }
    }

    /**
     * A message from the leader of our term: follow it and reset the election timer. For InstallSnapshot
     * chunks that is all the core does — the driver receives the bytes and calls {@link #installSnapshot}.
     */
    private void heardFromLeader(String from) {
        if (leader != null) {
            // Election Safety (§5.2): two leaders in one term is impossible; if it happens the node is broken.
            throw new IllegalStateException(id + " is leader of term " + currentTerm + " but heard from leader "
                    + from + " of the same term");
        }
        if (role != Role.FOLLOWER) {
            becomeFollower(currentTerm, from); // §5.2: a candidate that hears from the new leader steps down
        }
        leaderId = from;
        electionElapsed = 0;
    }

    /**
     * §5.1: a server that sees a higher term adopts it and becomes a follower — except for the pre-vote and
     * leader-stickiness cases. Returns false if the message is to be ignored.
     */
    private boolean handleHigherTerm(RaftMessage m) {
        if (m instanceof VoteRequest r) {
            if (inLease() && !r.transfer()) {
                // Leader stickiness (thesis §4.2.3): we heard from a leader within the minimum election timeout,
                // so this candidate is disruptive (e.g. partitioned away and back); ignore it entirely.
                traceVote(r, false, TraceEvent.VoteReason.IN_LEASE);
                return false;
            }
            if (r.preVote()) {
                return true; // thesis §9.6: a pre-vote never changes anyone's term
            }
            becomeFollower(m.term(), null);
            return true;
        }
        if (m instanceof VoteResponse r && r.preVote() && r.granted()) {
            return true; // a granted pre-vote carries the term we would campaign in, not a newer leader's term
        }
        String newLeader = (m instanceof AppendEntriesRequest || m instanceof InstallSnapshotRequest) ? m.from() : null;
        becomeFollower(m.term(), newLeader);
        return true;
    }

    /** §5.1: a request with a stale term is rejected, telling the sender our term so that it steps down. */
    private void handleLowerTerm(RaftMessage m) {
        if (m instanceof AppendEntriesRequest r) {
            send(AppendEntriesResponse.staleTerm(id, r.from(), currentTerm, r.prevLogIndex(), log.lastIndex(),
                    r.seq()));
        } else if (m instanceof VoteRequest r) {
            traceVote(r, false, TraceEvent.VoteReason.STALE_TERM);
            send(new VoteResponse(id, r.from(), currentTerm, false, r.preVote()));
        } else if (m instanceof ForwardRequest r) {
            // §5.1: the sender learns our term from the rejection; nothing was appended, so it may send again.
            send(ForwardResponse.rejected(id, r.from(), currentTerm, r.batchId(),
                    "stale term " + r.term() + " (current term " + currentTerm + ")"));
        } else if (m instanceof ForwardResponse r) {
            // Where a leader of an earlier term appended a batch stays true: whatever this server applies at those
            // indexes decides the batch by its term (Log Matching, §5.3), so a late answer is still worth having.
            out.forwardResults.add(toForwardResult(r));
        }
        // Other stale responses are dropped.
    }

    /**
     * Proposes a command; only the leader accepts. The entry is appended to the leader's log now (Leader
     * Append-Only, §5.3) and replicated from the next {@link #ready()}.
     *
     * @throws NotLeaderException         if this node is not the leader
     * @throws ProposalRejectedException if a leadership transfer is in progress
     */
    public Proposal propose(byte[] command) {
        return requireLeader().append(EntryType.COMMAND, command);
    }

    /**
     * Hands client commands that reached this server to the leader, as one {@link ForwardRequest} for the whole
     * batch (the follower side of etcd-io/raft's {@code MsgProp}). The answer arrives in a later Ready's
     * {@link Ready#forwardResults()} under {@code batchId}: where the leader appended the commands, or why it did
     * not. The leader itself appends them at once and answers in the next Ready. No answer may ever come (the
     * leader crashed, the message was lost): the driver gives up after a deadline, and then the outcome is
     * unknown.
     *
     * @param batchId  unique among this server's forwards (the leader appends a repeated id only once)
     * @throws NotLeaderException if this server knows no leader (nothing was sent)
     */
    public void forward(long batchId, List<byte[]> commands) {
        if (leader != null) {
            out.forwardResults.add(toForwardResult(leader.acceptForward(
                    new ForwardRequest(id, id, currentTerm, batchId, commands))));
            return;
        }
        if (leaderId == null || leaderId.equals(id)) {
            throw new NotLeaderException(null);
        }
        // Early: where the leader puts the commands does not depend on anything this Ready persists.
        out.early.add(new ForwardRequest(id, leaderId, currentTerm, batchId, commands));
    }

    /**
     * Proposes a membership change: a single-server one (thesis §4.1), or a {@link MembershipChange.Reconfigure}
     * by joint consensus (§6). The entry takes effect on each server as soon as it is appended to that server's
     * log. A single-server change is complete once its entry is committed; a joint one once C_new, which the leader
     * appends by itself after C_old,new commits, is committed.
     *
     * @return where the entry (for a joint change, C_old,new) was appended
     * @throws NotLeaderException         if this node is not the leader
     * @throws ProposalRejectedException if another change is not finished ({@code CHANGE_IN_PROGRESS}); the leader
     *                                    has not committed an entry of its term yet, a transfer is in progress, or
     *                                    a learner to be promoted has not caught up ({@code RETRY_LATER}); or the
     *                                    change does not apply ({@code INVALID}) — never silently an empty entry
     */
    public Proposal changeMembership(MembershipChange change) {
        Leader l = requireLeader();
        ProposalRejectedException blocker = l.membershipChangeBlocker();
        if (blocker != null) {
            throw blocker;
        }
        Configuration next;
        try {
            next = change.applyTo(configuration);
        } catch (IllegalArgumentException e) {
            throw new ProposalRejectedException(ProposalRejectedException.Reason.INVALID, e.getMessage());
        }
        String lagging = l.promotionBlocker(next);
        if (lagging != null) {
            throw new ProposalRejectedException(lagging); // thesis §4.2.1: learners catch up before they vote
        }
        return appendConfiguration(l, next);
    }

    private Proposal appendConfiguration(Leader l, Configuration next) {
        Proposal p = l.append(EntryType.CONFIGURATION, next.encode());
        setConfiguration(next, p.index(), p.term()); // thesis §4.1: in effect once in the log, committed or not
        return p;
    }

    /**
     * Hands leadership to {@code target} (thesis §3.10), or to the most caught-up voter if null: the leader
     * stops accepting proposals, brings the target up to date and sends it TimeoutNow. Aborted after an
     * election timeout if the target has not taken over.
     */
    public void transferLeadership(String target) {
        requireLeader().transferLeadership(target);
    }

    /**
     * Requests a read index for a linearizable read (thesis §6.4). The answer arrives as a {@link ReadState}
     * with the same {@code requestId} in a later {@link Ready}. On a follower the request is forwarded to the
     * leader; without a known leader it fails at once.
     */
    public void readIndex(long requestId) {
        if (leader != null) {
            leader.readIndex(requestId, null);
        } else if (leaderId != null && !leaderId.equals(id)) {
            forwardedReads.add(requestId);
            send(new ReadIndexRequest(id, leaderId, currentTerm, requestId));
        } else {
            out.readStates.add(new ReadState(requestId, 0, false));
        }
    }

    /**
     * The driver made a snapshot durable that covers the log up to {@code meta.lastIncludedIndex()} (which the
     * state machine has applied). The core stops relying on those entries (§7); the driver may then compact
     * the log store up to there (usually keeping a trailing margin for slightly-behind followers).
     */
    public void compact(SnapshotMeta meta) {
        long index = meta.lastIncludedIndex();
        if (index <= log.snapshotIndex()) {
            return;
        }
        if (log.term(index) != meta.lastIncludedTerm()) {
            throw new IllegalArgumentException("snapshot at " + index + " has term " + meta.lastIncludedTerm()
                    + " but the log has " + log.term(index));
        }
        log.compactTo(index, meta.lastIncludedTerm());
        fallbackConfiguration = meta.configuration();
    }

    /**
     * The driver received, from the leader of the current term, a complete snapshot and made it durable. If it
     * is newer than what this node has committed, the node adopts it (§7): the Ready that follows carries it
     * in {@link Ready#snapshotToInstall()} for the state machine (and the log store, if discarded).
     *
     * @return false if the snapshot is stale (we already committed past it) and should be ignored
     */
    public boolean installSnapshot(SnapshotMeta meta) {
        if (leader != null || meta.lastIncludedIndex() <= log.commitIndex()) {
            return false;
        }
        boolean discard = log.restoreFromSnapshot(meta.lastIncludedIndex(), meta.lastIncludedTerm());
        fallbackConfiguration = meta.configuration();
        reloadConfiguration(log.lastIndex()); // the latest configuration: in the kept suffix, else the snapshot's
        out.snapshotToInstall = new Ready.SnapshotInstall(meta, discard);
        return true;
    }

    /**
     * Bounds the apply backlog: committed entries are handed out in {@link Ready#committedEntries()} only up to
     * {@code appliedIndex + maxApplyBacklogEntries}. A driver whose state machine may fall behind calls this as
     * it applies; a driver that never calls it gets every committed entry at once.
     */
    public void reportApplied(long appliedIndex) {
        log.limitApplyTo(appliedIndex + options.maxApplyBacklogEntries());
    }

    /** Leader: the driver finished (success) or abandoned sending {@code peer} the snapshot at {@code index}. */
    public void reportSnapshot(String peer, long index, boolean success) {
        if (leader != null) {
            leader.reportSnapshot(peer, index, success);
        }
    }

    private Leader requireLeader() {
        if (leader == null) {
            throw new NotLeaderException(leaderId);
        }
        return leader;
    }

    // ------------------------------------------------------------------------------------------------ output

    /** True if {@link #ready()} has work for the driver. */
    public boolean hasReady() {
        return (leader != null && leader.hasPendingBroadcast()) || !out.isEmpty() || log.hasUnstable()
                || log.hasEntriesToApply() || !hardState().equals(lastHardState) || !softState().equals(lastSoftState);
    }

    /**
     * The work to do now. The driver executes it in the order documented on {@link Ready} and then calls
     * {@link #advance(Ready)} before the next input.
     */
    public Ready ready() {
        if (leader != null) {
            leader.flush();
        }
        HardState hs = hardState();
        boolean hardStateChanged = !hs.equals(lastHardState);
        SoftState ss = softState();
        List<RaftMessage> early = new java.util.ArrayList<>(out.early);
        List<RaftMessage> late = new java.util.ArrayList<>();
        if (hardStateChanged) {
            // Nothing leaves before a new term or vote is durable (Election Safety, §5.2).
            late.addAll(early);
            early.clear();
        }
        late.addAll(out.late);
        Ready ready = new Ready(ss.equals(lastSoftState) ? null : ss, hardStateChanged ? hs : null,
                log.unstableEntries(), early, late, log.entriesToApply(options.maxApplyBytes()), out.readStates,
                out.forwardResults, out.snapshotToInstall, out.snapshotsToSend);
        out.clear();
        return ready;
    }

    /** The driver has executed {@code ready}: its entries and hard state are durable, its messages sent. */
    public void advance(Ready ready) {
        if (ready.hardState() != null) {
            lastHardState = ready.hardState();
        }
        if (ready.softState() != null) {
            lastSoftState = ready.softState();
        }
        if (!ready.entries().isEmpty()) {
            LogEntry last = ready.entries().get(ready.entries().size() - 1);
            log.stableTo(last.index(), last.term());
        }
        if (!ready.committedEntries().isEmpty()) {
            log.appliedTo(ready.committedEntries().get(ready.committedEntries().size() - 1).index());
        }
        if (ready.snapshotToInstall() != null && ready.snapshotToInstall().discardLog()) {
            log.storeReset();
        }
        if (leader != null && !ready.entries().isEmpty()) {
            // Thesis §10.2.1: the leader counts itself towards the commit quorum only once its own fsync is done.
            leader.maybeCommit();
            afterLeaderCommit();
        }
    }

    // ------------------------------------------------------------------------------------------------ roles

    /**
     * May this server start elections? A voter of the latest configuration may; so may a server that was a voter
     * before the latest change and whose removal is not yet committed (thesis §4.2.2: "it might still be
     * needed until the C_new entry is committed"), e.g. the only up-to-date server of a two-voter cluster whose
     * leader removed itself. Its own vote never counts unless it is a voter of the latest configuration:
     * {@link Configuration#hasQuorum} only counts voters of that configuration.
     */
    private boolean promotable() {
        return configuration.isVoter(id)
                || (configIndex > log.commitIndex() && priorConfiguration != null && priorConfiguration.isVoter(id));
    }

    private void resetElectionTimeout() {
        // §5.2: randomized election timeouts, uniformly in [T, 2T), make split votes rare.
        randomizedElectionTimeout = options.electionTimeoutTicks() + random.nextInt(options.electionTimeoutTicks());
    }

    private void reset(long term) {
        if (leader != null) {
            leader.failPendingReads(term);
            leader = null;
        }
        // Only a leader sends snapshots. A transfer the Ready would start now would carry the new term from a node
        // that does not lead it (§5.2: its receiver would take this node for that term's leader).
        out.snapshotsToSend.clear();
        if (term != currentTerm) {
            // Messages of the old term still queued for this Ready go: an AppendEntries acknowledgement of the old
            // term would go out after the new term's leader overwrote or discarded what it acknowledges, and the
            // old leader could count it towards committing entries this node no longer holds (§5.4). Dropping a
            // message is always allowed (§5.1: Raft retries).
            out.early.removeIf(m -> m.term() < term);
            out.late.removeIf(m -> m.term() < term);
            currentTerm = term;
            votedFor = null;
        }
        leaderId = null;
        electionElapsed = 0;
        resetElectionTimeout();
        votes.clear();
        for (long requestId : forwardedReads) {
            out.readStates.add(new ReadState(requestId, 0, false)); // the leader we asked is gone or deposed
        }
        forwardedReads.clear();
    }

    private void becomeFollower(long term, String newLeader) {
        reset(term);
        role = Role.FOLLOWER;
        leaderId = newLeader;
    }

    private void campaign(boolean preVote) {
        if (preVote) {
            becomePreCandidate();
            requestVotes(currentTerm + 1, true, false); // the term it would campaign in
        } else {
            becomeCandidate();
            requestVotes(currentTerm, false, false);
        }
    }

    /** Thesis §9.6: first ask whether we could win, without incrementing our term. */
    private void becomePreCandidate() {
        reset(currentTerm);
        role = Role.PRE_CANDIDATE;
    }

    /** §5.2: increment currentTerm and vote for self (then request votes from all other servers). */
    private void becomeCandidate() {
        reset(currentTerm + 1);
        role = Role.CANDIDATE;
        votedFor = id;
    }

    private void requestVotes(long campaignTerm, boolean preVote, boolean transfer) {
        votes.put(id, true);
        if (configuration.hasQuorum(votersWhoSaid(true))) {
            electionWon(preVote);
            return;
        }
        for (String peer : configuration.voterIds()) {
            if (!peer.equals(id)) {
                send(new VoteRequest(id, peer, campaignTerm, log.lastIndex(), log.lastTerm(), preVote, transfer));
            }
        }
    }

    private void electionWon(boolean preVote) {
        if (preVote) {
            campaign(false);
        } else {
            becomeLeader();
        }
    }

    private Set<String> votersNotYetRefused() {
        Set<String> voters = new HashSet<>(configuration.voterIds());
        voters.removeAll(votersWhoSaid(false));
        return voters;
    }

    private Set<String> votersWhoSaid(boolean granted) {
        Set<String> voters = new HashSet<>();
        votes.forEach((voter, yes) -> {
            if (yes == granted) {
                voters.add(voter);
            }
        });
        return voters;
    }

    private void becomeLeader() {
        reset(currentTerm);
        role = Role.LEADER;
        leaderId = id;
        leader = new Leader(id, currentTerm, options, log, out, configuration, configIndex, now);
        // §5.4.2 / thesis §6.4: a new leader appends a no-op so that it can commit (by counting) an entry of
        // its own term, which also commits everything before it and enables ReadIndex.
        leader.append(EntryType.NOOP, null);
        maybeLeaveJoint(); // a joint change its predecessor started and committed (etcd#12136)
    }

    /** The leader's commit index may have advanced. */
    private void afterLeaderCommit() {
        maybeLeaveJoint();
        stepDownIfRemoved();
    }

    /**
     * §6: once C_old,new is committed the leader appends C_new by itself — whichever leader that is: a new leader
     * that finds a committed joint configuration in its log finishes the change its predecessor started, so no
     * cluster stays joint after a leader change (etcd#12136). The joint configuration is the latest in the log
     * (thesis §4.1) only until C_new is appended, so the leave entry is appended once. It needs no committed entry
     * of this leader's term first (unlike other changes, thesis §4.1): C_new is fixed by the committed C_old,new,
     * so every leader appends the same one, and each of its majorities is part of a majority of C_old,new.
     * A transfer in progress holds it back (§3.10: no new entries); the tick after the transfer ends retries.
     */
    private void maybeLeaveJoint() {
        if (leader != null && configuration.isJoint() && log.commitIndex() >= configIndex
                && leader.transferee() == null) {
            appendConfiguration(leader, configuration.newConfiguration());
        }
    }

    /**
     * Thesis §4.2.2 (and §6 for a joint change): a leader that is not a voter of the configuration (C_new) leads
     * until that configuration commits, then steps down.
     */
    private void stepDownIfRemoved() {
        if (leader != null && !configuration.isVoter(id) && log.commitIndex() >= configIndex) {
            // Tell everyone the commit index first — the servers removed with us too: no later leader replicates
            // to them, and until they learn their removal committed they may campaign (§4.2.2).
            leader.flush();
            leader.handOffAfterRemoval();
            becomeFollower(currentTerm, null);
        }
    }

    /** Leader stickiness (thesis §4.2.3): heard from a leader (or restarted) within the minimum timeout. */
    private boolean inLease() {
        if (!options.checkQuorum()) {
            return false;
        }
        if (leader != null) {
            return leader.checkQuorumElapsed() < options.electionTimeoutTicks();
        }
        if (electionElapsed >= options.electionTimeoutTicks()) {
            return false;
        }
        // A restarted node may have acknowledged a leader just before it crashed; granting votes at once could
        // break that leader's lease, so it behaves as if in contact until one election timeout has passed.
        return leaderId != null || (restarted && now < options.electionTimeoutTicks());
    }

    // ------------------------------------------------------------------------------------------------ elections

    private void handleVoteRequest(VoteRequest r) {
        boolean canVote = r.from().equals(votedFor)
                || (votedFor == null && leaderId == null)
                || (r.preVote() && r.term() > currentTerm)
                || options.mutation() == RaftOptions.UnsafeMutation.VOTE_TWICE_PER_TERM;
        // §5.4.1 election restriction: vote only for a candidate whose log is at least as up-to-date as ours.
        boolean upToDate = options.mutation() == RaftOptions.UnsafeMutation.SKIP_VOTE_LOG_UP_TO_DATE_CHECK
                || log.isUpToDate(r.lastLogIndex(), r.lastLogTerm());
        boolean grant = canVote && upToDate;
        if (grant && !r.preVote()) {
            // §5.2: at most one vote per term, first-come-first-served; the vote is persisted before the reply
            // leaves (the reply goes to Ready.messages, sent after Ready.hardState is durable).
            votedFor = r.from();
            electionElapsed = 0;
        }
        long replyTerm = (grant && r.preVote()) ? r.term() : currentTerm;
        if (trace.enabled()) {
            traceVote(r, grant, grant ? TraceEvent.VoteReason.GRANTED : !canVote
                    ? (votedFor != null && !votedFor.equals(r.from()) ? TraceEvent.VoteReason.ALREADY_VOTED
                    : TraceEvent.VoteReason.LEADER_KNOWN) : TraceEvent.VoteReason.LOG_BEHIND);
        }
        send(new VoteResponse(id, r.from(), replyTerm, grant, r.preVote()));
    }

    /** Tells the trace sink what became of a vote request, and why (observation only). */
    private void traceVote(VoteRequest r, boolean granted, TraceEvent.VoteReason reason) {
        if (!trace.enabled()) {
            return;
        }
        String candidateLog = r.lastLogIndex() + "@" + r.lastLogTerm();
        String ours = log.lastIndex() + "@" + log.lastTerm();
        String detail = switch (reason) {
            case GRANTED -> "candidate's log " + candidateLog + " is at least as up to date as ours " + ours;
            case ALREADY_VOTED -> "already voted for " + votedFor + " in term " + currentTerm;
            case LEADER_KNOWN -> "follows leader " + leaderId + " in term " + currentTerm;
            case LOG_BEHIND -> "candidate's log " + candidateLog + " is behind ours " + ours;
            case STALE_TERM -> "request's term " + r.term() + " is older than ours " + currentTerm;
            case IN_LEASE -> (leader != null ? "leads with a live lease"
                    : leaderId != null ? "heard from leader " + leaderId + " within the election timeout"
                    : "restarted less than an election timeout ago") + "; request ignored";
        };
        trace.emit(new TraceEvent.Vote(r.from(), r.term(), r.preVote(), granted, reason, detail));
    }

    private void handleVoteResponse(VoteResponse r) {
        boolean mine = (role == Role.PRE_CANDIDATE && r.preVote()) || (role == Role.CANDIDATE && !r.preVote());
        if (!mine || !configuration.isVoter(r.from())) {
            return;
        }
        votes.putIfAbsent(r.from(), r.granted());
        // §5.2: votes from a majority win the election; while joint, from a majority of C_old and one of C_new (§6).
        if (configuration.hasQuorum(votersWhoSaid(true))) {
            electionWon(r.preVote());
        } else if (!configuration.hasQuorum(votersNotYetRefused())) {
            becomeFollower(currentTerm, null); // lost: even if every other voter said yes, no quorum would
        }
    }

    private void handleTimeoutNow() {
        if (promotable() && leader == null) {
            // Thesis §3.10: the target of a leadership transfer starts a real election at once, skipping
            // pre-vote, and its vote requests bypass the voters' leader stickiness.
            becomeCandidate();
            requestVotes(currentTerm, false, true);
        }
    }

    // ------------------------------------------------------------------------------------------------ replication

    private void handleAppendEntries(AppendEntriesRequest r) {
        heardFromLeader(r.from());
        if (r.prevLogIndex() < log.commitIndex()) {
            // Everything up to our commit index matches the leader's log (Leader Completeness); tell it so.
            send(AppendEntriesResponse.accept(id, r.from(), currentTerm, log.commitIndex(), log.lastIndex(), r.seq()));
            return;
        }
        if (!log.matchTerm(r.prevLogIndex(), r.prevLogTerm())) {
            // §5.3 consistency check failed: reply false with the conflict hint for fast backtracking.
            send(AppendEntriesResponse.reject(id, r.from(), currentTerm, r.prevLogIndex(),
                    log.conflictHint(r.prevLogIndex()), log.lastIndex(), r.seq()));
            return;
        }
        long lastNew = log.appendAfterMatch(r.prevLogIndex(), r.entries());
        trackConfigurationEntries(r.entries());
        // §5.3 receiver rule 5: commitIndex = min(leaderCommit, index of last new entry).
        log.commitTo(Math.min(r.leaderCommit(), lastNew));
        // The success reply goes to Ready.messages: it leaves only after the entries are durable.
        send(AppendEntriesResponse.accept(id, r.from(), currentTerm, lastNew, log.lastIndex(), r.seq()));
    }

    // ------------------------------------------------------------------------------------------------ forwarding

    /** A follower's batch of client commands: the leader appends it once; anyone else refuses it whole. */
    private void handleForwardRequest(ForwardRequest r) {
        if (leader == null) {
            send(ForwardResponse.rejected(id, r.from(), currentTerm, r.batchId(),
                    leaderId == null ? "not leader; no leader known" : "not leader; leader is " + leaderId));
            return;
        }
        // Early: the answer says where the commands went, not that they are durable (§10.2.1 applies as for any
        // entry: the leader counts itself towards commitment only after its own fsync).
        out.early.add(leader.acceptForward(r));
    }

    private static ForwardResult toForwardResult(ForwardResponse r) {
        return new ForwardResult(r.batchId(), r.firstIndex(), r.isAccepted() ? r.term() : 0, r.count(), r.rejection());
    }

    // ------------------------------------------------------------------------------------------------ configuration

    /** After a follower append: adopt a configuration entry that arrived, or recover from one truncated away. */
    private void trackConfigurationEntries(List<LogEntry> appended) {
        if (configIndex > 0 && log.term(configIndex) != configTerm) {
            reloadConfiguration(log.lastIndex()); // our latest configuration entry was in a deleted suffix
        }
        for (int k = appended.size() - 1; k >= 0; k--) {
            LogEntry e = appended.get(k);
            if (e.type() == EntryType.CONFIGURATION && e.index() > configIndex && log.term(e.index()) == e.term()) {
                setConfiguration(Configuration.decode(e.data()), e.index(), e.term());
                break;
            }
        }
    }

    /**
     * Finds the latest configuration entry at or below {@code from} (thesis §4.1: the latest in the log wins)
     * and the one before it (needed for the removed-server rule of §4.2.2, e.g. after a restart).
     */
    private void reloadConfiguration(long from) {
        Configuration latest = null;
        long latestIndex = 0;
        long latestTerm = 0;
        for (long i = from; i > log.snapshotIndex() && i >= log.firstIndex(); i--) {
            LogEntry e = log.entry(i);
            if (e.type() != EntryType.CONFIGURATION) {
                continue;
            }
            if (latest == null) {
                latest = Configuration.decode(e.data());
                latestIndex = e.index();
                latestTerm = e.term();
            } else {
                configuration = Configuration.decode(e.data()); // becomes the prior one in setConfiguration
                configIndex = 0;
                setConfiguration(latest, latestIndex, latestTerm);
                return;
            }
        }
        if (latest == null) {
            configIndex = 0;
            configuration = fallbackConfiguration;
            setConfiguration(fallbackConfiguration, 0, 0);
            return;
        }
        configuration = fallbackConfiguration;
        configIndex = 0;
        setConfiguration(latest, latestIndex, latestTerm);
    }

    private void setConfiguration(Configuration next, long index, long term) {
        priorConfiguration = index > configIndex ? configuration : next; // unknown after a truncation: be strict
        configuration = next;
        configIndex = index;
        configTerm = term;
        if (leader != null) {
            leader.configurationChanged(next, index);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void send(RaftMessage m) {
        out.late.add(m);
    }

    private SoftState softState() {
        return new SoftState(role, currentTerm, leaderId);
    }

    // ------------------------------------------------------------------------------------------------ inspection

    public String id() {
        return id;
    }

    public Role role() {
        return role;
    }

    public long currentTerm() {
        return currentTerm;
    }

    /** The leader's id as far as this node knows, or null. */
    public String leaderId() {
        return leaderId;
    }

    public long commitIndex() {
        return log.commitIndex();
    }

    public long lastLogIndex() {
        return log.lastIndex();
    }

    /** The configuration in effect (the latest in the log, committed or not). */
    public Configuration configuration() {
        return configuration;
    }

    /** Index of the log entry holding the configuration in effect (0 if from a snapshot or the bootstrap). */
    public long configurationIndex() {
        return configIndex;
    }

    /** The options this node runs with. */
    public RaftOptions options() {
        return options;
    }

    /** True while this leader's lease holds (thesis §6.4.1): it may serve reads without a round trip. */
    public boolean leaseValid() {
        return leader != null && leader.leaseValid();
    }

    /** The target of a leadership transfer in progress, or null. */
    public String transferTarget() {
        return leader == null ? null : leader.transferee();
    }

    /** Leader only: each follower's match index (empty map on non-leaders). */
    public Map<String, Long> matchIndexes() {
        return leader == null ? Map.of() : leader.matchIndexes();
    }

    /** Leader only: each follower's next index (§5.3 nextIndex; empty map on non-leaders). */
    public Map<String, Long> nextIndexes() {
        return leader == null ? Map.of() : leader.nextIndexes();
    }

    /** Leader only: a readable description of each follower's replication state. */
    public Map<String, String> progressDescription() {
        return leader == null ? Map.of() : leader.progressDescription();
    }

    /** The current term and vote. */
    public HardState hardState() {
        return new HardState(currentTerm, votedFor);
    }

    /** Index of the last entry covered by the latest snapshot (0 if none). */
    public long snapshotIndex() {
        return log.snapshotIndex();
    }

    /** First index of the log this node holds (persisted or not). */
    public long firstLogIndex() {
        return log.firstIndex();
    }

    /** Term of the entry at {@code index} in this node's log (persisted or not); 0 for index 0, -1 if unknown. */
    public long logTerm(long index) {
        return log.term(index);
    }

    /** The entry at {@code index} in this node's log (persisted or not). */
    public LogEntry logEntry(long index) {
        return log.entry(index);
    }

    @Override
    public String toString() {
        return id + "[" + role.lowerName() + " term=" + currentTerm + " last=" + log.lastIndex() + " commit="
                + log.commitIndex() + "]";
    }
}
