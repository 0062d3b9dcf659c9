package io.raftkv.core;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.log.RaftLog;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.InstallSnapshotResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import io.raftkv.core.message.ReadIndexResponse;
import io.raftkv.core.message.TimeoutNow;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;
import io.raftkv.core.progress.Progress;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.LogStore;
import io.raftkv.core.storage.SnapshotMeta;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The Raft algorithm for one server, as a deterministic, single-threaded state machine (after etcd-io/raft).
 * It has no clock, threads, sockets or files: time is {@link #tick()}, input is {@link #step(RaftMessage)},
 * {@link #propose(byte[])} and {@link #readIndex(long)}, and the output is a {@link Ready} the driver executes
 * and acknowledges with {@link #advance(Ready)}. Randomness (election timeouts) comes from the injected
 * {@link Random}, so a seed replays an execution exactly.
 *
 * <p>Where the rules live: elections in {@link #tick()}, {@code campaign}, {@code handleVoteRequest},
 * {@code handleVoteResponse}; replication in {@code sendAppend} and {@code handleAppendEntries}; commitment in
 * {@code maybeCommit}; reads in {@link #readIndex(long)} and {@link #leaseValid()}. The per-follower state is
 * {@link Progress}; the log with its unpersisted tail is {@link RaftLog}.
 */
public final class RaftNode {

    private final String id;
    private final RaftOptions options;
    private final Random random;
    private final RaftLog log;

    // Persistent state on all servers (Figure 2), mirrored in memory; made durable via Ready.hardState.
    private long currentTerm;
    private String votedFor;

    private Role role = Role.FOLLOWER;
    private String leaderId;
    private Configuration configuration;

    /** Ticks since the last election timeout reset (followers, candidates) or check-quorum round (leaders). */
    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedElectionTimeout;
    /** Ticks since this node started. */
    private long now;
    /** Started with a non-zero term: it may have acknowledged a leader just before it went down. */
    private final boolean restarted;

    /** Votes received in the current (pre-)campaign: voter id to granted. */
    private final Map<String, Boolean> votes = new TreeMap<>();
    /** Leader only: replication state of every other member. */
    private final Map<String, Progress> progress = new TreeMap<>();
    /** Leader only: heartbeat-round sequence number, echoed by followers (ReadIndex and the lease). */
    private long seq;
    /** Leader only: the tick at which each recent heartbeat round was sent. */
    private final TreeMap<Long, Long> seqSentAt = new TreeMap<>();
    private final ReadIndexTracker reads = new ReadIndexTracker();
    /** Leader only: appended entries need broadcasting at the next {@link #ready()}. */
    private boolean broadcastPending;
    /** Leader only: the commit index advanced; followers with nothing new to receive still hear about it. */
    private boolean commitNoticePending;
    /** Follower only: ReadIndex requests forwarded to the leader and not yet answered. */
    private final java.util.Set<Long> forwardedReads = new java.util.TreeSet<>();

    // Output accumulated for the next Ready.
    private final List<RaftMessage> earlyMessages = new ArrayList<>();
    private final List<RaftMessage> messages = new ArrayList<>();
    private final List<ReadState> readStates = new ArrayList<>();
    private HardState lastHardState;
    private SoftState lastSoftState;

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
        this.configuration = latestConfiguration(snapshot, bootstrap);
        resetElectionTimeout();
        this.lastSoftState = softState();
    }

    /** The configuration in effect is the latest in the log, committed or not (thesis §4.1). */
    private Configuration latestConfiguration(SnapshotMeta snapshot, Configuration bootstrap) {
        for (long i = log.lastIndex(); i >= log.firstIndex() && i > log.snapshotIndex(); i--) {
            LogEntry e = log.entry(i);
            if (e.type() == EntryType.CONFIGURATION) {
                return Configuration.decode(e.data());
            }
        }
        if (!snapshot.configuration().members().isEmpty()) {
            return snapshot.configuration();
        }
        return bootstrap;
    }

    // ------------------------------------------------------------------------------------------------ inputs

    /** Advances logical time by one tick: election timeouts for followers, heartbeats for leaders. */
    public void tick() {
        now++;
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            tickElection();
        }
    }

    private void tickElection() {
        electionElapsed++;
        if (promotable() && electionElapsed >= randomizedElectionTimeout) {
            // §5.2: a follower that hears nothing for an election timeout starts an election.
            electionElapsed = 0;
            campaign(options.preVote());
        }
    }

    private void tickLeader() {
        heartbeatElapsed++;
        electionElapsed++;
        if (electionElapsed >= options.electionTimeoutTicks()) {
            electionElapsed = 0;
            if (options.checkQuorum() && !quorumRecentlyActive()) {
                // Check-quorum (thesis §6.2): a leader that has not heard from a majority within an election
                // timeout steps down, so that clients stop waiting on a deposed leader.
                becomeFollower(currentTerm, null);
                return;
            }
        }
        if (heartbeatElapsed >= options.heartbeatTicks()) {
            heartbeatElapsed = 0;
            broadcastHeartbeat(); // §5.2: leaders send heartbeats to maintain their authority
        }
    }

    private boolean quorumRecentlyActive() {
        List<String> active = new ArrayList<>();
        active.add(id);
        for (Map.Entry<String, Progress> e : progress.entrySet()) {
            if (e.getValue().recentActive()) {
                active.add(e.getKey());
            }
            e.getValue().setRecentActive(false);
        }
        return configuration.hasQuorum(new java.util.HashSet<>(active));
    }

    /** Starts an election now, as if the election timeout had fired (tests and tools). */
    public void campaign() {
        if (promotable()) {
            campaign(options.preVote());
        }
    }

    /** Handles one message from a peer. */
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
            handleAppendResponse(r);
        } else if (m instanceof ReadIndexRequest r) {
            handleReadIndexRequest(r);
        } else if (m instanceof ReadIndexResponse r) {
            handleReadIndexResponse(r);
        } else if (m instanceof TimeoutNow r) {
            handleTimeoutNow(r);
        }
        // InstallSnapshotRequest/Response: snapshot transfer lands with the snapshot issue.
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
        String leader = (m instanceof AppendEntriesRequest || m instanceof InstallSnapshotRequest) ? m.from() : null;
        becomeFollower(m.term(), leader);
        return true;
    }

    /** §5.1: a request with a stale term is rejected, telling the sender our term so that it steps down. */
    private void handleLowerTerm(RaftMessage m) {
        if (m instanceof AppendEntriesRequest r) {
            send(new AppendEntriesResponse(id, r.from(), currentTerm, false, 0, r.prevLogIndex(), 0, 0,
                    log.lastIndex(), r.seq()));
        } else if (m instanceof VoteRequest r) {
            send(new VoteResponse(id, r.from(), currentTerm, false, r.preVote()));
        }
        // Stale responses are dropped.
    }

    /**
     * Proposes a command; only the leader accepts. The entry is appended to the leader's log now (Leader
     * Append-Only, §5.3) and replicated from the next {@link #ready()}.
     *
     * @throws NotLeaderException if this node is not the leader
     */
    public Proposal propose(byte[] command) {
        return appendAsLeader(EntryType.COMMAND, command);
    }

    private Proposal appendAsLeader(EntryType type, byte[] data) {
        if (role != Role.LEADER) {
            throw new NotLeaderException(leaderId);
        }
        long index = log.lastIndex() + 1;
        log.append(List.of(new LogEntry(index, currentTerm, type, data)));
        broadcastPending = true; // batched: one AppendEntries per follower for everything proposed before ready()
        return new Proposal(index, currentTerm);
    }

    /**
     * Requests a read index for a linearizable read (thesis §6.4). The answer arrives as a {@link ReadState}
     * with the same {@code requestId} in a later {@link Ready}. On a follower the request is forwarded to the
     * leader; without a known leader it fails at once.
     */
    public void readIndex(long requestId) {
        if (role == Role.LEADER) {
            leaderReadIndex(requestId, null);
        } else if (leaderId != null && !leaderId.equals(id)) {
            forwardedReads.add(requestId);
            send(new ReadIndexRequest(id, leaderId, currentTerm, requestId));
        } else {
            readStates.add(new ReadState(requestId, 0, false));
        }
    }

    // ------------------------------------------------------------------------------------------------ output

    /** True if {@link #ready()} has work for the driver. */
    public boolean hasReady() {
        return broadcastPending || commitNoticePending || !earlyMessages.isEmpty() || !messages.isEmpty() || !readStates.isEmpty()
                || log.hasUnstable() || log.hasEntriesToApply() || !hardState().equals(lastHardState)
                || !softState().equals(lastSoftState);
    }

    /**
     * The work to do now. The driver executes it in the order documented on {@link Ready} and then calls
     * {@link #advance(Ready)} before the next input.
     */
    public Ready ready() {
        if (broadcastPending) {
            broadcastPending = false;
            broadcastAppend(commitNoticePending);
            commitNoticePending = false;
        }
        HardState hs = hardState();
        boolean hardStateChanged = !hs.equals(lastHardState);
        SoftState ss = softState();
        List<RaftMessage> early = new ArrayList<>(earlyMessages);
        List<RaftMessage> late = new ArrayList<>();
        if (hardStateChanged) {
            // Nothing leaves before a new term or vote is durable (Election Safety, §5.2).
            late.addAll(early);
            early.clear();
        }
        late.addAll(messages);
        List<LogEntry> committed = log.entriesToApply(options.maxApplyBytes());
        Ready ready = new Ready(ss.equals(lastSoftState) ? null : ss, hardStateChanged ? hs : null,
                log.unstableEntries(), early, late, committed, readStates);
        earlyMessages.clear();
        messages.clear();
        readStates.clear();
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
        if (role == Role.LEADER && !ready.entries().isEmpty()) {
            // Thesis §10.2.1: the leader counts itself towards the commit quorum only once its own fsync is done.
            maybeCommit();
        }
    }

    // ------------------------------------------------------------------------------------------------ roles

    private boolean promotable() {
        return configuration.isVoter(id);
    }

    private void resetElectionTimeout() {
        // §5.2: randomized election timeouts, uniformly in [T, 2T), make split votes rare.
        randomizedElectionTimeout = options.electionTimeoutTicks() + random.nextInt(options.electionTimeoutTicks());
    }

    private void reset(long term) {
        if (term != currentTerm) {
            currentTerm = term;
            votedFor = null;
        }
        leaderId = null;
        electionElapsed = 0;
        heartbeatElapsed = 0;
        resetElectionTimeout();
        votes.clear();
        progress.clear();
        seqSentAt.clear();
        broadcastPending = false;
        commitNoticePending = false;
        failPendingReads();
    }

    private void becomeFollower(long term, String leader) {
        reset(term);
        role = Role.FOLLOWER;
        leaderId = leader;
    }

    private void campaign(boolean preVote) {
        long campaignTerm;
        if (preVote) {
            // Thesis §9.6: first ask whether we could win, without incrementing our term.
            role = Role.PRE_CANDIDATE;
            leaderId = null;
            votes.clear();
            electionElapsed = 0;
            resetElectionTimeout();
            campaignTerm = currentTerm + 1;
        } else {
            // §5.2: increment currentTerm, vote for self, request votes from all other servers.
            reset(currentTerm + 1);
            role = Role.CANDIDATE;
            votedFor = id;
            campaignTerm = currentTerm;
        }
        votes.put(id, true);
        if (configuration.hasQuorum(grantedVoters())) {
            electionWon(preVote);
            return;
        }
        for (String peer : configuration.voterIds()) {
            if (!peer.equals(id)) {
                send(new VoteRequest(id, peer, campaignTerm, log.lastIndex(), log.lastTerm(), preVote, false));
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

    private java.util.Set<String> grantedVoters() {
        java.util.Set<String> granted = new java.util.HashSet<>();
        votes.forEach((voter, yes) -> {
            if (yes) {
                granted.add(voter);
            }
        });
        return granted;
    }

    private void becomeLeader() {
        reset(currentTerm);
        role = Role.LEADER;
        leaderId = id;
        // Figure 2: when a leader comes to power it initialises nextIndex to just after its last entry.
        for (Member m : configuration.members()) {
            if (!m.id().equals(id)) {
                progress.put(m.id(), new Progress(log.lastIndex() + 1, options.maxInflightMessages(),
                        options.maxInflightBytes()));
            }
        }
        // §5.4.2 / thesis §6.4: a new leader appends a no-op so that it can commit (by counting) an entry of
        // its own term, which also commits everything before it and enables ReadIndex.
        appendAsLeader(EntryType.NOOP, null);
    }

    /** Leader stickiness (thesis §4.2.3): heard from a leader (or restarted) within the minimum timeout. */
    private boolean inLease() {
        if (!options.checkQuorum() || electionElapsed >= options.electionTimeoutTicks()) {
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
        boolean grant = canVote && upToDate && configuration.contains(id);
        if (grant && !r.preVote()) {
            // §5.2: at most one vote per term, first-come-first-served; the vote is persisted before the reply
            // leaves (the reply goes to Ready.messages, sent after Ready.hardState is durable).
            votedFor = r.from();
            electionElapsed = 0;
        }
        long replyTerm = (grant && r.preVote()) ? r.term() : currentTerm;
        send(new VoteResponse(id, r.from(), replyTerm, grant, r.preVote()));
    }

    private void handleVoteResponse(VoteResponse r) {
        boolean mine = (role == Role.PRE_CANDIDATE && r.preVote()) || (role == Role.CANDIDATE && !r.preVote());
        if (!mine || !configuration.isVoter(r.from())) {
            return;
        }
        votes.putIfAbsent(r.from(), r.granted());
        if (configuration.hasQuorum(grantedVoters())) {
            electionWon(r.preVote()); // §5.2: votes from a majority win the election
            return;
        }
        java.util.Set<String> rejected = new java.util.HashSet<>();
        votes.forEach((voter, yes) -> {
            if (!yes) {
                rejected.add(voter);
            }
        });
        if (configuration.hasQuorum(rejected)) {
            becomeFollower(currentTerm, null); // lost: a majority said no
        }
    }

    private void handleTimeoutNow(TimeoutNow r) {
        if (promotable()) {
            // Thesis §3.10: the target of a leadership transfer starts a real election at once (no pre-vote).
            reset(currentTerm + 1);
            role = Role.CANDIDATE;
            votedFor = id;
            votes.put(id, true);
            if (configuration.hasQuorum(grantedVoters())) {
                becomeLeader();
                return;
            }
            for (String peer : configuration.voterIds()) {
                if (!peer.equals(id)) {
                    send(new VoteRequest(id, peer, currentTerm, log.lastIndex(), log.lastTerm(), false, true));
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ replication

    private void handleAppendEntries(AppendEntriesRequest r) {
        if (role == Role.LEADER) {
            // Election Safety (§5.2): two leaders in one term is impossible; if it happens the node is broken.
            throw new IllegalStateException(id + " is leader of term " + currentTerm + " but got AppendEntries from "
                    + r.from() + " in the same term");
        }
        if (role != Role.FOLLOWER) {
            becomeFollower(currentTerm, r.from()); // §5.2: a candidate that hears from the new leader steps down
        }
        leaderId = r.from();
        electionElapsed = 0;
        if (r.prevLogIndex() < log.commitIndex()) {
            // Everything up to our commit index matches the leader's log (Leader Completeness); tell it so.
            send(new AppendEntriesResponse(id, r.from(), currentTerm, true, log.commitIndex(), 0, 0, 0,
                    log.lastIndex(), r.seq()));
            return;
        }
        if (!log.matchTerm(r.prevLogIndex(), r.prevLogTerm())) {
            // §5.3 consistency check failed: reply false with the conflict hint for fast backtracking.
            long[] hint = log.conflictHint(r.prevLogIndex());
            send(new AppendEntriesResponse(id, r.from(), currentTerm, false, 0, r.prevLogIndex(), hint[0], hint[1],
                    log.lastIndex(), r.seq()));
            return;
        }
        long lastNew = log.appendAfterMatch(r.prevLogIndex(), r.entries());
        // §5.3 receiver rule 5: commitIndex = min(leaderCommit, index of last new entry).
        log.commitTo(Math.min(r.leaderCommit(), lastNew));
        // The success reply goes to Ready.messages: it leaves only after the entries are durable.
        send(new AppendEntriesResponse(id, r.from(), currentTerm, true, lastNew, 0, 0, 0, log.lastIndex(), r.seq()));
    }

    private void handleAppendResponse(AppendEntriesResponse r) {
        if (role != Role.LEADER) {
            return;
        }
        Progress pr = progress.get(r.from());
        if (pr == null) {
            return;
        }
        pr.setRecentActive(true);
        pr.ackSeq(r.seq());
        releaseConfirmedReads();
        if (!r.success()) {
            if (pr.maybeDecreaseTo(r.rejectedIndex(), nextIndexFromHint(r))) {
                if (pr.state() == Progress.State.REPLICATE) {
                    pr.becomeProbe();
                }
                sendAppend(r.from(), true);
            }
            return;
        }
        if (pr.maybeUpdate(r.matchIndex())) {
            if (pr.state() == Progress.State.PROBE) {
                pr.becomeReplicate(); // the follower's log now matches: pipeline from here on
            }
            maybeCommit();
            sendAppend(r.from(), false);
        } else if (pr.state() == Progress.State.REPLICATE && pr.matchIndex() < pr.nextIndex() - 1
                && r.seq() > pr.lastEntriesSeq()) {
            // The follower answered a heartbeat sent after our last entries but has not acknowledged them: on a
            // FIFO link that means they were lost. Probe from its match index again.
            pr.becomeProbe();
            sendAppend(r.from(), true);
        } else if (pr.state() == Progress.State.PROBE) {
            sendAppend(r.from(), false);
        }
    }

    /** Where to resume after a rejection, from the follower's conflict hint (§5.3, fast backtracking). */
    private long nextIndexFromHint(AppendEntriesResponse r) {
        if (r.conflictTerm() == 0) {
            return r.conflictIndex();
        }
        // If we have entries of conflictTerm, resume after our last one; otherwise skip that whole term.
        long i = Math.min(r.rejectedIndex(), log.lastIndex());
        while (i >= r.conflictIndex() && log.term(i) > r.conflictTerm()) {
            i--;
        }
        if (i >= r.conflictIndex() && log.term(i) == r.conflictTerm()) {
            return i + 1;
        }
        return r.conflictIndex();
    }

    private void broadcastAppend(boolean commitAdvanced) {
        for (String peer : progress.keySet()) {
            int before = earlyMessages.size();
            sendAppend(peer, false);
            if (commitAdvanced && earlyMessages.size() == before) {
                sendHeartbeat(peer, progress.get(peer)); // nothing new to send, but the commit index moved
            }
        }
    }

    /**
     * Sends the follower the entries it lacks, as far as flow control allows; with {@code allowEmpty} a
     * message goes out even with no entries (a probe of where the logs match).
     */
    private void sendAppend(String peer, boolean allowEmpty) {
        Progress pr = progress.get(peer);
        while (pr.canSend()) {
            long prevIndex = pr.nextIndex() - 1;
            long prevTerm = log.term(prevIndex);
            if (prevTerm < 0) {
                // The entries this follower needs were compacted into a snapshot: InstallSnapshot (§7) handles
                // it once log compaction exists; until then the log is never compacted, so this cannot happen.
                throw new IllegalStateException("entry " + prevIndex + " needed by " + peer + " is not in the log");
            }
            List<LogEntry> entries = log.entries(pr.nextIndex(), log.lastIndex() + 1, options.maxAppendBytes());
            if (entries.isEmpty() && !allowEmpty) {
                return;
            }
            long bytes = 0;
            for (LogEntry e : entries) {
                bytes += e.sizeInBytes();
            }
            earlyMessages.add(new AppendEntriesRequest(id, peer, currentTerm, prevIndex, prevTerm, entries,
                    log.commitIndex(), seq));
            pr.sent(prevIndex + entries.size(), entries.size(), bytes, seq);
            if (pr.state() != Progress.State.REPLICATE || entries.isEmpty()) {
                return;
            }
            allowEmpty = false;
        }
    }

    private void broadcastHeartbeat() {
        seq++;
        seqSentAt.put(seq, now);
        for (Map.Entry<String, Progress> e : progress.entrySet()) {
            Progress pr = e.getValue();
            if (pr.state() == Progress.State.PROBE) {
                pr.resumeProbe(); // the last probe may have been lost: probe again (it doubles as a heartbeat)
                sendAppend(e.getKey(), true);
            } else {
                sendHeartbeat(e.getKey(), pr);
            }
        }
    }

    /**
     * A heartbeat only claims what we know the follower matches, so it never truncates or is rejected; it
     * carries the commit index no further than that (§5.3 receiver rule 5).
     */
    private void sendHeartbeat(String peer, Progress pr) {
        long prev = pr.matchIndex();
        earlyMessages.add(new AppendEntriesRequest(id, peer, currentTerm, prev, log.term(prev), List.of(),
                Math.min(log.commitIndex(), prev), seq));
    }

    /**
     * §5.3/§5.4.2: the leader commits the highest index stored on a majority of voters, but only if that entry is
     * from its current term; earlier entries are then committed indirectly (Log Matching).
     */
    private void maybeCommit() {
        List<Long> matches = new ArrayList<>();
        for (String voter : configuration.voterIds()) {
            if (voter.equals(id)) {
                matches.add(log.stableIndex()); // thesis §10.2.1: our own entries count once durable
            } else {
                Progress pr = progress.get(voter);
                matches.add(pr == null ? 0 : pr.matchIndex());
            }
        }
        if (matches.isEmpty()) {
            return;
        }
        Collections.sort(matches, Collections.reverseOrder());
        long quorumIndex = matches.get(configuration.quorumSize() - 1);
        if (quorumIndex <= log.commitIndex()) {
            return;
        }
        boolean currentTermEntry = log.term(quorumIndex) == currentTerm;
        if (currentTermEntry || options.mutation() == RaftOptions.UnsafeMutation.COMMIT_PREVIOUS_TERM_ENTRIES_BY_COUNTING) {
            boolean firstCommitOfTerm = log.term(log.commitIndex()) != currentTerm;
            log.commitTo(quorumIndex);
            broadcastPending = true; // tell followers the new commit index promptly
            commitNoticePending = true;
            if (firstCommitOfTerm && currentTermEntry) {
                for (ReadIndexTracker.PendingRead read : reads.drainWaitingForCommit()) {
                    leaderReadIndex(read.requestId(), read.from());
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ reads

    private void leaderReadIndex(long requestId, String from) {
        if (log.term(log.commitIndex()) != currentTerm) {
            // Thesis §6.4 step 1: until the leader commits an entry of its term it may not know the latest
            // commit index; the read waits for the no-op to commit.
            reads.waitForCommit(requestId, from);
            return;
        }
        if (configuration.voterIds().size() == 1 && configuration.isVoter(id)) {
            answerRead(new ReadIndexTracker.PendingRead(requestId, from, log.commitIndex(), seq));
            return;
        }
        // Thesis §6.4 steps 2-3: record the commit index, then confirm leadership with a fresh heartbeat round.
        broadcastHeartbeat();
        reads.awaitQuorum(new ReadIndexTracker.PendingRead(requestId, from, log.commitIndex(), seq));
    }

    private void handleReadIndexRequest(ReadIndexRequest r) {
        if (role != Role.LEADER) {
            send(new ReadIndexResponse(id, r.from(), currentTerm, r.requestId(), 0, false));
            return;
        }
        leaderReadIndex(r.requestId(), r.from());
    }

    private void handleReadIndexResponse(ReadIndexResponse r) {
        if (forwardedReads.remove(r.requestId())) {
            readStates.add(new ReadState(r.requestId(), r.readIndex(), r.success()));
        }
    }

    /** The highest heartbeat seq acknowledged by a majority of voters (we acknowledge our own). */
    private long quorumAckedSeq() {
        List<Long> acked = new ArrayList<>();
        for (String voter : configuration.voterIds()) {
            if (voter.equals(id)) {
                acked.add(seq);
            } else {
                Progress pr = progress.get(voter);
                acked.add(pr == null ? 0 : pr.ackedSeq());
            }
        }
        if (acked.isEmpty()) {
            return 0;
        }
        Collections.sort(acked, Collections.reverseOrder());
        return acked.get(configuration.quorumSize() - 1);
    }

    private void releaseConfirmedReads() {
        long acked = quorumAckedSeq();
        for (ReadIndexTracker.PendingRead read : reads.releaseUpTo(acked)) {
            answerRead(read);
        }
        // Rounds older than the newest quorum-acknowledged one no longer matter for the lease.
        seqSentAt.headMap(acked).clear();
    }

    private void answerRead(ReadIndexTracker.PendingRead read) {
        if (read.from() == null) {
            readStates.add(new ReadState(read.requestId(), read.readIndex(), true));
        } else {
            earlyMessages.add(new ReadIndexResponse(id, read.from(), currentTerm, read.requestId(), read.readIndex(), true));
        }
    }

    private void failPendingReads() {
        for (long requestId : forwardedReads) {
            readStates.add(new ReadState(requestId, 0, false)); // the leader we asked is gone or deposed
        }
        forwardedReads.clear();
        for (ReadIndexTracker.PendingRead read : reads.drainAll()) {
            if (read.from() == null) {
                readStates.add(new ReadState(read.requestId(), 0, false));
            } else {
                messages.add(new ReadIndexResponse(id, read.from(), currentTerm, read.requestId(), 0, false));
            }
        }
    }

    /**
     * True while this leader's lease holds (thesis §6.4.1): a majority acknowledged a heartbeat round sent at
     * tick t, and each of them ignores vote requests until a minimum election timeout after hearing from us,
     * so no other leader can exist before {@code t + electionTimeout}; we stop {@code leaseDriftTicks} earlier
     * to allow for clock drift. Requires check-quorum (which enables that stickiness) and a committed entry of
     * our term (so our commit index is current).
     */
    public boolean leaseValid() {
        if (role != Role.LEADER || !options.checkQuorum() || log.term(log.commitIndex()) != currentTerm) {
            return false;
        }
        if (configuration.voterIds().size() == 1 && configuration.isVoter(id)) {
            return true;
        }
        Long sentAt = seqSentAt.get(quorumAckedSeq());
        return sentAt != null
                && now < sentAt + options.electionTimeoutTicks() - options.leaseDriftTicks();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void send(RaftMessage m) {
        messages.add(m);
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

    public Configuration configuration() {
        return configuration;
    }

    /** Leader only: each follower's match index (empty map on non-leaders). */
    public Map<String, Long> matchIndexes() {
        Map<String, Long> out = new TreeMap<>();
        progress.forEach((peer, pr) -> out.put(peer, pr.matchIndex()));
        return out;
    }

    /** Leader only: a readable description of each follower's replication state. */
    public Map<String, String> progressDescription() {
        Map<String, String> out = new TreeMap<>();
        progress.forEach((peer, pr) -> out.put(peer, pr.toString()));
        return out;
    }

    /** The current term and vote. */
    public HardState hardState() {
        return new HardState(currentTerm, votedFor);
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
