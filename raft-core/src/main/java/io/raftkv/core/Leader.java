package io.raftkv.core;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.log.RaftLog;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.ConflictHint;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.ForwardRequest;
import io.raftkv.core.message.ForwardResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.ReadIndexResponse;
import io.raftkv.core.message.TimeoutNow;
import io.raftkv.core.progress.Progress;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Everything a leader tracks, for as long as it leads one term: a {@link Progress} per follower, heartbeats and
 * check-quorum, the commit rule, ReadIndex rounds and the lease, and a leadership transfer in progress. Created
 * by {@link RaftNode} when it wins an election and dropped when it steps down, so no leader state can leak
 * into another role.
 */
final class Leader {

    private final String id;
    private final long term;
    private final RaftOptions options;
    private final RaftLog log;
    private final Outbox out;
    private Configuration configuration;
    /** Index of the configuration entry in effect (0 if it came from a snapshot or the bootstrap). */
    private long configIndex;

    private final Map<String, Progress> progress = new TreeMap<>();
    /** Members that joined since the last flush: probed at once rather than at the next heartbeat. */
    private final Set<String> joined = new HashSet<>();
    /** Heartbeat-round sequence number, echoed by followers (ReadIndex and the lease). */
    private long seq;
    /** The tick at which each recent heartbeat round was sent. */
    private final TreeMap<Long, Long> seqSentAt = new TreeMap<>();
    private final ReadIndexTracker reads = new ReadIndexTracker();
    private final ForwardedBatches forwarded = new ForwardedBatches();
    private boolean broadcastPending;
    private boolean commitNoticePending;
    /** ReadIndex requests arrived since the last flush: one heartbeat round confirms them all. */
    private boolean readRoundPending;
    private int checkQuorumElapsed;
    /** Ticks since the configuration in effect committed (departed members are dropped after a while). */
    private int ticksSinceConfigCommitted;
    private int heartbeatElapsed;
    private long now;
    /** Target of a leadership transfer in progress (thesis §3.10), or null. */
    private String transferee;
    private int transferElapsed;
    private boolean timeoutNowSent;
    /**
     * Set for the rest of this term once any TimeoutNow left. Its target campaigns with the transfer flag, which
     * voters grant despite leader stickiness (thesis §3.10), so acknowledgements no longer bound when another
     * leader may appear; aborting the transfer cannot take the TimeoutNow back, so the lease stays off.
     */
    private boolean leaseForfeited;

    Leader(String id, long term, RaftOptions options, RaftLog log, Outbox out, Configuration configuration,
           long configIndex, long now) {
        this.id = id;
        this.term = term;
        this.options = options;
        this.log = log;
        this.out = out;
        this.now = now;
        configurationChanged(configuration, configIndex);
    }

    // ------------------------------------------------------------------------------------------------ membership

    /** The configuration in effect changed (an entry was appended or truncated). */
    void configurationChanged(Configuration newConfiguration, long newConfigIndex) {
        Configuration previous = this.configuration;
        this.configuration = newConfiguration;
        this.configIndex = newConfigIndex;
        this.ticksSinceConfigCommitted = 0;
        // Figure 2: a new follower's nextIndex starts just after the leader's last entry, its matchIndex at 0.
        for (Member m : newConfiguration.members()) {
            if (m.id().equals(id)) {
                continue;
            }
            // A member that was not in the previous configuration starts afresh even if the progress of a departed
            // member of that id is still kept (see pruneDepartedMembers): a server removed and re-added under the
            // same id may be a new, empty machine, and its old matchIndex would count it in a quorum for entries it
            // does not hold (Leader Completeness, §5.4) and make its rejections look stale forever.
            boolean joining = previous != null && !previous.contains(m.id());
            if (joining || !progress.containsKey(m.id())) {
                progress.put(m.id(), new Progress(log.lastIndex() + 1, options.maxInflightMessages(),
                        options.maxInflightBytes()));
                if (previous != null) {
                    joined.add(m.id()); // (a new leader's followers get its no-op at the first flush anyway)
                }
            }
        }
        // A removed server keeps receiving entries until its removal commits, so that it learns of it and stops
        // campaigning (thesis §4.2.2); see pruneDepartedMembers.
        pruneDepartedMembers();
        if (transferee != null && !newConfiguration.isVoter(transferee)) {
            abortTransfer();
        }
    }

    /**
     * Drops members the configuration no longer has, one election timeout after their removal committed: until
     * then they keep receiving entries and heartbeats, so they learn that the change committed and stop
     * campaigning (thesis §4.2.2).
     */
    private void pruneDepartedMembers() {
        if (log.commitIndex() >= configIndex && ticksSinceConfigCommitted >= options.electionTimeoutTicks()) {
            progress.keySet().removeIf(peer -> !configuration.contains(peer));
        }
    }

    /** Why a membership change cannot be proposed now (the exception to throw), or null if it can. */
    ProposalRejectedException membershipChangeBlocker() {
        if (transferee != null) {
            return new ProposalRejectedException("a leadership transfer is in progress");
        }
        if (log.term(log.commitIndex()) != term) {
            // Thesis §4.1 (the 2015 correction): a leader must commit an entry of its own term before it
            // appends a configuration change, or two changes from different terms could yield disjoint majorities.
            return new ProposalRejectedException("the leader has not yet committed an entry of its term; retry shortly");
        }
        if (configIndex > log.commitIndex()) {
            // Thesis §4.1: at most one uncommitted configuration change at a time.
            return new ProposalRejectedException(ProposalRejectedException.Reason.CHANGE_IN_PROGRESS,
                    "another configuration change is not yet committed");
        }
        if (configuration.isJoint()) {
            // §6: a joint change ends with C_new, which the leader appends itself (see RaftNode.maybeLeaveJoint);
            // nothing may come in between.
            return new ProposalRejectedException(ProposalRejectedException.Reason.CHANGE_IN_PROGRESS,
                    "the joint configuration " + configuration + " is still in effect; its C_new comes next");
        }
        return null;
    }

    /** A learner that has caught up (within the configured lag) and should be promoted, or null. */
    String learnerReadyForPromotion() {
        if (!options.autoPromoteLearners() || membershipChangeBlocker() != null) {
            return null;
        }
        for (Member m : configuration.members()) {
            if (!m.voter() && caughtUp(m.id())) {
                return m.id();
            }
        }
        return null;
    }

    /**
     * Thesis §4.2.1: a server becomes a voter only once it has caught up, or a slow new voter could stall commits
     * for as long as it takes to catch up. Why one of {@code next}'s voters that is a learner now is not ready to be
     * promoted, or null if every such server is.
     */
    String promotionBlocker(Configuration next) {
        for (String voter : next.voterIds()) {
            if (configuration.contains(voter) && !configuration.isVoter(voter) && !caughtUp(voter)) {
                Progress pr = progress.get(voter);
                return voter + " has not caught up yet (it holds the log up to " + (pr == null ? 0 : pr.matchIndex())
                        + " of " + log.lastIndex() + (pr != null && pr.recentActive() ? "" : ", and has not answered lately")
                        + "); retry once it has";
            }
        }
        return null;
    }

    /** Recently heard from and within {@code promoteLagEntries} of our last index. */
    private boolean caughtUp(String peer) {
        Progress pr = progress.get(peer);
        return pr != null && pr.recentActive() && pr.matchIndex() + options.promoteLagEntries() >= log.lastIndex();
    }

    // ------------------------------------------------------------------------------------------------ time

    /** Returns false if the leader must step down (check-quorum failed). */
    boolean tick() {
        now++;
        heartbeatElapsed++;
        checkQuorumElapsed++;
        if (log.commitIndex() >= configIndex) {
            ticksSinceConfigCommitted++;
            pruneDepartedMembers();
        }
        if (transferee != null && ++transferElapsed >= options.electionTimeoutTicks()) {
            abortTransfer(); // thesis §3.10: give up if the target has not taken over within an election timeout
        }
        if (checkQuorumElapsed >= options.electionTimeoutTicks()) {
            checkQuorumElapsed = 0;
            if (options.checkQuorum() && !quorumRecentlyActive()) {
                // Check-quorum (thesis §6.2): a leader that has not heard from a majority within an election
                // timeout steps down, so that clients stop waiting on a deposed leader.
                return false;
            }
        }
        if (heartbeatElapsed >= options.heartbeatTicks()) {
            heartbeatElapsed = 0;
            broadcastHeartbeat(); // §5.2: leaders send heartbeats to maintain their authority
        }
        return true;
    }

    /** Ticks since the last check-quorum round: the leader's own "heard from a leader" clock. */
    int checkQuorumElapsed() {
        return checkQuorumElapsed;
    }

    private boolean quorumRecentlyActive() {
        Set<String> active = new HashSet<>();
        active.add(id);
        for (Map.Entry<String, Progress> e : progress.entrySet()) {
            if (e.getValue().recentActive()) {
                active.add(e.getKey());
            }
            e.getValue().setRecentActive(false);
        }
        return configuration.hasQuorum(active); // while joint, a majority of C_old and one of C_new (§6)
    }

    // ------------------------------------------------------------------------------------------------ appending

    /** Appends an entry of this term (Leader Append-Only, §5.3); it is broadcast at the next flush. */
    Proposal append(EntryType type, byte[] data) {
        if (transferee != null && type != EntryType.NOOP) {
            throw new ProposalRejectedException(transferRefusal());
        }
        long index = log.lastIndex() + 1;
        log.append(List.of(new LogEntry(index, term, type, data)));
        broadcastPending = true; // batched: one AppendEntries per follower for everything appended before flush
        return new Proposal(index, term);
    }

    /**
     * A follower's batch of client commands: appended at consecutive indexes of this term (Leader Append-Only,
     * §5.3), once even if the batch arrives twice, or refused whole. The answer tells the follower where.
     */
    ForwardResponse acceptForward(ForwardRequest r) {
        ForwardedBatches.Placement seen = options.mutation() == RaftOptions.UnsafeMutation.APPEND_DUPLICATE_FORWARDS
                ? null : forwarded.lookup(r.from(), r.batchId());
        if (seen != null) {
            // A duplicate delivery: the commands are in the log already; appending them again would apply a
            // client's command twice.
            return ForwardResponse.accepted(id, r.from(), term, r.batchId(), seen.firstIndex(), seen.count());
        }
        if (transferee != null) {
            return ForwardResponse.rejected(id, r.from(), term, r.batchId(), transferRefusal());
        }
        if (r.commands().isEmpty()) {
            return ForwardResponse.rejected(id, r.from(), term, r.batchId(), "empty batch");
        }
        long first = log.lastIndex() + 1;
        List<LogEntry> entries = new ArrayList<>(r.commands().size());
        for (byte[] command : r.commands()) {
            entries.add(new LogEntry(first + entries.size(), term, EntryType.COMMAND, command));
        }
        log.append(entries);
        broadcastPending = true;
        forwarded.remember(r.from(), r.batchId(), new ForwardedBatches.Placement(first, entries.size()));
        return ForwardResponse.accepted(id, r.from(), term, r.batchId(), first, entries.size());
    }

    boolean hasPendingBroadcast() {
        return broadcastPending || commitNoticePending || readRoundPending;
    }

    /** Sends what accumulated since the last flush (called when the driver asks for a Ready). */
    void flush() {
        if (readRoundPending) {
            readRoundPending = false;
            broadcastHeartbeat(); // its seq is the one the pending reads wait for
        }
        if (broadcastPending) {
            broadcastPending = false;
            for (Map.Entry<String, Progress> e : progress.entrySet()) {
                int before = out.early.size();
                // A member that just joined has nothing of the log: probe where it stands now (an empty probe).
                sendAppend(e.getKey(), joined.contains(e.getKey()));
                if (commitNoticePending && out.early.size() == before) {
                    sendCommitNotice(e.getKey(), e.getValue()); // nothing new to send, but the commit index moved
                }
            }
            commitNoticePending = false;
        }
        joined.clear();
    }

    // ------------------------------------------------------------------------------------------------ replication

    void handleAppendResponse(AppendEntriesResponse r) {
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
        boolean advanced = pr.maybeUpdate(r.matchIndex());
        if (advanced || pr.confirmsProbe(r.matchIndex())) {
            if (pr.state() == Progress.State.PROBE) {
                pr.becomeReplicate(); // the follower's log now matches: pipeline from here on
            }
            if (advanced) {
                maybeCommit();
            }
            int before = out.early.size();
            sendAppend(r.from(), false);
            if (out.early.size() == before) {
                // Nothing new to send, but earlier messages could only tell it min(commit, its old match): tell it
                // the commit index now so it applies (and a removed member learns its removal committed) promptly.
                sendCommitNotice(r.from(), pr);
            }
        } else if (pr.state() == Progress.State.REPLICATE && pr.matchIndex() < pr.nextIndex() - 1
                && r.seq() > pr.lastEntriesSeq()) {
            // The follower answered a heartbeat sent after our last entries but has not acknowledged them: on a
            // FIFO link that means they were lost. Probe from its match index again.
            pr.becomeProbe();
            sendAppend(r.from(), true);
        } else if (pr.state() == Progress.State.PROBE) {
            sendAppend(r.from(), false);
        }
        if (r.from().equals(transferee)) {
            maybeSendTimeoutNow();
        }
    }

    /** Where to resume after a rejection, from the follower's conflict hint (§5.3, fast backtracking). */
    private long nextIndexFromHint(AppendEntriesResponse r) {
        ConflictHint hint = r.conflictHint();
        if (hint.logTooShort()) {
            return hint.firstIndex();
        }
        // If we have entries of the hint's term, resume after our last one; otherwise skip that whole term.
        long i = Math.min(r.rejectedIndex(), log.lastIndex());
        while (i >= hint.firstIndex() && log.term(i) > hint.term()) {
            i--;
        }
        if (i >= hint.firstIndex() && log.term(i) == hint.term()) {
            return i + 1;
        }
        return hint.firstIndex();
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
            if (prevTerm < 0 || pr.nextIndex() < log.firstIndex()) {
                // §7: the entries this follower needs were compacted into a snapshot; the driver sends it.
                pr.becomeSnapshot(log.snapshotIndex());
                out.snapshotsToSend.add(peer);
                return;
            }
            List<LogEntry> entries = log.entries(pr.nextIndex(), log.lastIndex() + 1, options.maxAppendBytes());
            if (entries.isEmpty() && !allowEmpty) {
                return;
            }
            long bytes = 0;
            for (LogEntry e : entries) {
                bytes += e.sizeInBytes();
            }
            sendAppendEntries(peer, pr, prevIndex, prevTerm, entries, log.commitIndex());
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
                sendEmptyProbe(e.getKey(), pr);
            } else {
                sendHeartbeat(e.getKey(), pr);
            }
        }
    }

    /**
     * A heartbeat round's probe: an AppendEntries at nextIndex - 1 without entries; its answer starts them (a match
     * moves the follower to REPLICATE, a rejection's hint says where to resume). Without entries, so that every
     * follower takes it as a heartbeat: one that refuses entries (RaftServer drops them while its disk is full) must
     * still hear from its leader every round, or it would campaign (§5.2).
     */
    private void sendEmptyProbe(String peer, Progress pr) {
        long prevIndex = pr.nextIndex() - 1;
        long prevTerm = log.term(prevIndex);
        if (prevTerm < 0 || pr.nextIndex() < log.firstIndex()) {
            sendAppend(peer, true); // compacted away: it needs the snapshot
            return;
        }
        sendAppendEntries(peer, pr, prevIndex, prevTerm, List.of(), log.commitIndex());
        pr.sent(prevIndex, 0, 0, seq);
    }

    /**
     * A heartbeat only claims what we know the follower matches, so it never truncates or is rejected; it
     * carries the commit index no further than that (§5.3 receiver rule 5).
     */
    private void sendHeartbeat(String peer, Progress pr) {
        long prev = pr.matchIndex();
        long prevTerm = log.term(prev);
        if (prevTerm < 0) {
            prev = 0; // what the follower matches was compacted away: claim only the empty prefix
            prevTerm = 0;
        }
        sendAppendEntries(peer, pr, prev, prevTerm, List.of(), Math.min(log.commitIndex(), prev));
    }

    /**
     * A heartbeat that tells {@code peer} the commit index, unless a message already sent can teach it as much: what
     * a follower learns is capped at what it is known to hold (its match index, §5.3 receiver rule 5), so a notice
     * that would repeat an earlier one, or carry a commit index of 0, is not sent.
     */
    private void sendCommitNotice(String peer, Progress pr) {
        if (Math.min(log.commitIndex(), pr.matchIndex()) > pr.commitTold()) {
            sendHeartbeat(peer, pr);
        }
    }

    /** Every AppendEntries this leader sends goes out here, in the early messages (thesis §10.2.1). */
    private void sendAppendEntries(String peer, Progress pr, long prevIndex, long prevTerm, List<LogEntry> entries,
                                   long leaderCommit) {
        out.early.add(new AppendEntriesRequest(id, peer, term, prevIndex, prevTerm, entries, leaderCommit, seq));
        if (prevIndex <= pr.matchIndex()) {
            // The follower holds prevIndex, so it takes this message and learns the commit index from it (§5.3).
            pr.toldCommit(Math.min(leaderCommit, prevIndex + entries.size()));
        }
    }

    /**
     * The driver finished (or gave up) sending {@code peer} the snapshot at {@code index}. On success the
     * follower holds everything up to there; either way replication resumes by probing.
     */
    void reportSnapshot(String peer, long index, boolean success) {
        Progress pr = progress.get(peer);
        if (pr == null || pr.state() != Progress.State.SNAPSHOT) {
            return;
        }
        if (success) {
            pr.maybeUpdate(index);
        }
        pr.becomeProbe();
        if (success) {
            sendAppend(peer, true);
        }
    }

    // ------------------------------------------------------------------------------------------------ commitment

    /**
     * §5.3/§5.4.2: the leader commits the highest index stored on a majority of voters — while joint, on a majority
     * of C_old and on one of C_new (§6) — but only if that entry is from its current term; earlier entries are
     * then committed indirectly (Log Matching). A leader outside C_new does not count itself in C_new (§6).
     */
    void maybeCommit() {
        long quorumIndex = commitQuorum().quorumValue(voter -> voter.equals(id)
                ? log.stableIndex() // thesis §10.2.1: our own entries count once durable
                : matchIndex(voter));
        if (quorumIndex <= log.commitIndex()) {
            return;
        }
        boolean currentTermEntry = log.term(quorumIndex) == term;
        if (currentTermEntry
                || options.mutation() == RaftOptions.UnsafeMutation.COMMIT_PREVIOUS_TERM_ENTRIES_BY_COUNTING) {
            boolean firstCommitOfTerm = log.term(log.commitIndex()) != term;
            log.commitTo(quorumIndex);
            broadcastPending = true; // tell followers the new commit index promptly
            commitNoticePending = true;

            if (firstCommitOfTerm && currentTermEntry) {
                for (ReadIndexTracker.PendingRead read : reads.drainWaitingForCommit()) {
                    readIndex(read.requestId(), read.from());
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ reads

    /** ReadIndex (thesis §6.4); {@code from} is null for a local request. */
    void readIndex(long requestId, String from) {
        if (log.term(log.commitIndex()) != term) {
            // Thesis §6.4 step 1: until the leader commits an entry of its term it may not know the latest
            // commit index; the read waits for the no-op to commit.
            reads.waitForCommit(requestId, from);
            return;
        }
        if (soleVoter() || options.mutation() == RaftOptions.UnsafeMutation.CONFIRM_READS_WITHOUT_QUORUM) {
            answerRead(new ReadIndexTracker.PendingRead(requestId, from, log.commitIndex(), seq));
            return;
        }
        // Thesis §6.4 steps 2-3: record the commit index, then confirm leadership with a heartbeat round sent
        // after this moment. Reads arriving before the next flush share one round (seq + 1).
        reads.awaitQuorum(new ReadIndexTracker.PendingRead(requestId, from, log.commitIndex(), seq + 1));
        readRoundPending = true;
    }

    /** The configuration whose majorities commit: the one in effect, unless a mutation test breaks §6. */
    private Configuration commitQuorum() {
        if (options.mutation() == RaftOptions.UnsafeMutation.COUNT_ONLY_NEW_MAJORITY_WHILE_JOINT) {
            return configuration.newConfiguration();
        }
        return configuration;
    }

    private long matchIndex(String peer) {
        Progress pr = progress.get(peer);
        return pr == null ? 0 : pr.matchIndex();
    }

    private boolean soleVoter() {
        return configuration.voterIds().size() == 1 && configuration.isVoter(id);
    }

    /**
     * The highest heartbeat seq acknowledged by a majority of voters (we acknowledge our own); while joint, by a
     * majority of C_old and one of C_new (§6), or a leader of one half could confirm a read the other half's new
     * leader has already overtaken.
     */
    private long quorumAckedSeq() {
        return configuration.quorumValue(voter -> {
            if (voter.equals(id)) {
                return seq;
            }
            Progress pr = progress.get(voter);
            return pr == null ? 0 : pr.ackedSeq();
        });
    }

    private void releaseConfirmedReads() {
        long acked = quorumAckedSeq();
        for (ReadIndexTracker.PendingRead read : reads.releaseUpTo(acked)) {
            answerRead(read);
        }
        seqSentAt.headMap(acked).clear(); // older rounds no longer matter for the lease
    }

    private void answerRead(ReadIndexTracker.PendingRead read) {
        if (read.from() == null) {
            out.readStates.add(new ReadState(read.requestId(), read.readIndex(), true));
        } else {
            out.early.add(new ReadIndexResponse(id, read.from(), term, read.requestId(), read.readIndex(), true));
        }
    }

    /** Fails every pending read: leadership is lost. Replies use {@code replyTerm}. */
    void failPendingReads(long replyTerm) {
        for (ReadIndexTracker.PendingRead read : reads.drainAll()) {
            if (read.from() == null) {
                out.readStates.add(new ReadState(read.requestId(), 0, false));
            } else {
                out.late.add(new ReadIndexResponse(id, read.from(), replyTerm, read.requestId(), 0, false));
            }
        }
    }

    /**
     * True while the lease holds (thesis §6.4.1): a majority acknowledged a heartbeat round sent at tick t, and
     * each of them ignores vote requests until a minimum election timeout after hearing from us, so no other
     * leader can exist before {@code t + electionTimeout}; we stop {@code leaseDriftTicks} earlier to allow for
     * clock drift. Requires check-quorum (which enables that stickiness), a committed entry of our term (so our
     * commit index is current), no transfer in progress and no TimeoutNow sent earlier in this term, even by a
     * transfer that was aborted since (TimeoutNow lets the target bypass stickiness).
     */
    boolean leaseValid() {
        if (!options.checkQuorum() || transferee != null || leaseForfeited || log.term(log.commitIndex()) != term) {
            return false;
        }
        if (soleVoter()) {
            return true;
        }
        Long sentAt = seqSentAt.get(quorumAckedSeq());
        return sentAt != null && now < sentAt + options.electionTimeoutTicks() - options.leaseDriftTicks();
    }

    // ------------------------------------------------------------------------------------------------ transfer

    /** Starts a leadership transfer (thesis §3.10) to {@code target}, or to the most caught-up voter if null. */
    void transferLeadership(String target) {
        if (target == null) {
            target = mostCaughtUpVoter();
            if (target == null) {
                throw new ProposalRejectedException(ProposalRejectedException.Reason.INVALID,
                        "no other voter to transfer leadership to");
            }
        }
        if (target.equals(id)) {
            return;
        }
        if (!configuration.isVoter(target)) {
            throw new ProposalRejectedException(ProposalRejectedException.Reason.INVALID, target + " is not a voter");
        }
        transferee = target;
        transferElapsed = 0;
        timeoutNowSent = false;
        maybeSendTimeoutNow();
        if (!timeoutNowSent) {
            sendAppend(target, false); // bring the target up to date first
        }
    }

    String transferee() {
        return transferee;
    }

    /** Thesis §3.10: during a transfer the leader stops accepting new entries so the target can catch up. */
    private String transferRefusal() {
        return "leadership transfer to " + transferee + " in progress";
    }

    private void abortTransfer() {
        transferee = null;
        transferElapsed = 0;
        timeoutNowSent = false;
    }

    private void maybeSendTimeoutNow() {
        Progress pr = progress.get(transferee);
        if (!timeoutNowSent && pr != null && pr.matchIndex() == log.lastIndex()) {
            // The target's log is as up-to-date as ours, so it can win the election TimeoutNow triggers.
            sendTimeoutNow(transferee);
            timeoutNowSent = true;
        }
    }

    private void sendTimeoutNow(String target) {
        out.early.add(new TimeoutNow(id, target, term));
        leaseForfeited = true; // §6.4.1 lease safety: the target may now win without waiting out stickiness
    }

    /** The voter (other than us) with the highest match index, or null; while joint, a voter of C_new. */
    String mostCaughtUpVoter() {
        String best = null;
        long bestMatch = -1;
        for (String voter : configuration.newConfiguration().voterIds()) {
            Progress pr = progress.get(voter);
            if (!voter.equals(id) && pr != null && pr.matchIndex() > bestMatch) {
                best = voter;
                bestMatch = pr.matchIndex();
            }
        }
        return best;
    }

    /** Hands off leadership when this leader was removed (thesis §4.2.2): wake the best voter at once. */
    void handOffAfterRemoval() {
        String target = mostCaughtUpVoter();
        if (target != null && progress.get(target).matchIndex() == log.lastIndex()) {
            sendTimeoutNow(target);
        }
    }

    // ------------------------------------------------------------------------------------------------ inspection

    Map<String, Long> matchIndexes() {
        return eachFollower(Progress::matchIndex);
    }

    Map<String, Long> nextIndexes() {
        return eachFollower(Progress::nextIndex);
    }

    Map<String, String> progressDescription() {
        return eachFollower(Progress::toString);
    }

    private <T> Map<String, T> eachFollower(Function<Progress, T> view) {
        Map<String, T> m = new TreeMap<>();
        progress.forEach((peer, pr) -> m.put(peer, view.apply(pr)));
        return m;
    }
}
