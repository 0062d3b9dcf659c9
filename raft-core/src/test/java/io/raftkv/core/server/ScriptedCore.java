package io.raftkv.core.server;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.Proposal;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.ReadState;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.SoftState;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.SnapshotMeta;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A scripted stand-in for RaftNode, so the driver's own rules can be tested deterministically. It starts as the
 * leader of term 1 in configuration {n1, n2} and behaves like a leader whose follower n2 never answers but whose
 * quorum is itself: an entry commits as soon as the driver reports it durable (advance). Every Ready with entries
 * carries an early AppendEntries to n2 and a late AppendEntriesResponse to n2, so the test can see which left
 * before and which after the sync. A message with a higher term makes it step down (dropping its unpersisted
 * entries, like a follower that will be overwritten).
 */
final class ScriptedCore implements ConsensusCore {
    private final String id;
    private final Journal journal;
    private long term = 1;
    private Role role = Role.LEADER;
    private String leader;
    private final List<LogEntry> log = new ArrayList<>();   // every entry, index = position + 1
    private final List<LogEntry> unstable = new ArrayList<>();
    private long stableIndex;
    private long appliedIndex;
    private boolean softChanged = true;
    private boolean hardChanged = true;
    private final List<ReadState> readStates = new ArrayList<>();

    ScriptedCore(String id, Journal journal) {
        this.id = id;
        this.leader = id;
        this.journal = journal;
    }

    /** Ticks so far (the raft thread writes, tests read). */
    volatile int ticks;
    /** The tick count at each leaseValid() call, for tests. */
    final List<Integer> leaseChecksAtTick = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void tick() {
        ticks++;
    }

    @Override
    public void step(RaftMessage message) {
        if (message.term() > term) {
            term = message.term();
            role = Role.FOLLOWER;
            leader = message.from();
            log.subList((int) stableIndex, log.size()).clear();
            unstable.clear();
            softChanged = true;
            hardChanged = true;
        }
    }

    @Override
    public Proposal propose(byte[] command) {
        if (role != Role.LEADER) {
            throw new NotLeaderException(leader);
        }
        LogEntry e = LogEntry.command(log.size() + 1, term, command);
        log.add(e);
        unstable.add(e);
        return new Proposal(e.index(), e.term());
    }

    @Override
    public Proposal changeMembership(MembershipChange change) {
        throw new ProposalRejectedException("scripted core: no membership changes");
    }

    @Override
    public void transferLeadership(String target) {
        throw new ProposalRejectedException("scripted core: no transfers");
    }

    @Override
    public void compact(SnapshotMeta meta) {
    }

    /** installSnapshot calls, for tests. */
    final List<SnapshotMeta> installed = new ArrayList<>();
    /** reportSnapshot calls as "peer:index:success", for tests. */
    final List<String> reports = new ArrayList<>();
    /** Run at each installSnapshot call (tests check what is durable at that moment). */
    Runnable onInstall = () -> { };

    @Override
    public boolean installSnapshot(SnapshotMeta meta) {
        onInstall.run();
        installed.add(meta);
        return true;
    }

    @Override
    public void reportSnapshot(String peer, long index, boolean success) {
        reports.add(peer + ":" + index + ":" + success);
    }

    @Override
    public long snapshotIndex() {
        return 0;
    }

    /** Batches the driver forwarded, for tests; the scripted core refuses them all (no leader takes them). */
    final List<Long> forwarded = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<io.raftkv.core.ForwardResult> forwardResults = new ArrayList<>();

    @Override
    public void forward(long batchId, List<byte[]> commands) {
        if (role == Role.LEADER || leader == null) {
            throw new NotLeaderException(null);
        }
        forwarded.add(batchId);
        forwardResults.add(new io.raftkv.core.ForwardResult(batchId, 0, 0, 0, "scripted core: not leader"));
    }

    @Override
    public void readIndex(long requestId) {
        readStates.add(new ReadState(requestId, stableIndex, role == Role.LEADER));
    }

    @Override
    public boolean hasReady() {
        return softChanged || hardChanged || !unstable.isEmpty() || appliedIndex < stableIndex || !readStates.isEmpty()
                || !forwardResults.isEmpty();
    }

    @Override
    public Ready ready() {
        List<RaftMessage> early = new ArrayList<>();
        List<RaftMessage> late = new ArrayList<>();
        if (!unstable.isEmpty()) {
            LogEntry first = unstable.get(0);
            long prev = first.index() - 1;
            early.add(new AppendEntriesRequest(id, "n2", term, prev, prev == 0 ? 0 : log.get((int) prev - 1).term(),
                    unstable, stableIndex, 1));
            late.add(AppendEntriesResponse.accept(id, "n2", term, unstable.get(unstable.size() - 1).index(), prev, 1));
        }
        List<LogEntry> committed = new ArrayList<>(log.subList((int) appliedIndex, (int) stableIndex));
        return new Ready(softChanged ? new SoftState(role, term, leader) : null,
                hardChanged ? new HardState(term, leader) : null, unstable, early, late, committed, readStates,
                List.copyOf(forwardResults), null, List.of());
    }

    @Override
    public void reportApplied(long appliedIndex) {
        // the scripted core hands out whatever the script says
    }

    @Override
    public void advance(Ready ready) {
        journal.add("advance");
        softChanged = false;
        hardChanged = false;
        if (!ready.entries().isEmpty()) {
            stableIndex = ready.entries().get(ready.entries().size() - 1).index();
            unstable.subList(0, ready.entries().size()).clear();
        }
        if (!ready.committedEntries().isEmpty()) {
            appliedIndex = ready.committedEntries().get(ready.committedEntries().size() - 1).index();
        }
        readStates.clear();
        forwardResults.clear();
    }

    @Override
    public Role role() {
        return role;
    }

    @Override
    public long currentTerm() {
        return term;
    }

    @Override
    public String leaderId() {
        return leader;
    }

    @Override
    public long commitIndex() {
        return stableIndex;
    }

    @Override
    public long lastLogIndex() {
        return log.size();
    }

    @Override
    public long termAt(long index) {
        return index == 0 ? 0 : index <= log.size() ? log.get((int) index - 1).term() : -1;
    }

    @Override
    public Configuration configuration() {
        return Configuration.ofVoterIds(id, "n2");
    }

    @Override
    public boolean leaseValid() {
        leaseChecksAtTick.add(ticks);
        return role == Role.LEADER;
    }

    @Override
    public int electionTimeoutTicks() {
        return 10;
    }

    @Override
    public Map<String, Long> matchIndexes() {
        return role == Role.LEADER ? Map.of("n2", 0L) : Map.of();
    }
}
