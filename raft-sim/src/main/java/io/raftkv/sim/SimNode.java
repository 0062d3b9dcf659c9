package io.raftkv.sim;

import io.raftkv.core.Proposal;
import io.raftkv.core.RaftNode;
import io.raftkv.core.Ready;
import io.raftkv.core.ReadState;
import io.raftkv.core.Role;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.core.storage.SnapshotMeta;

import java.util.List;
import java.util.Random;

/**
 * One simulated server: a {@link RaftNode} with in-memory storage and a state machine, and the driver loop that
 * carries out each {@link Ready} in the order its javadoc prescribes. Storage outlives the RaftNode: a crash
 * keeps what {@link InMemoryLogStore#crash} says survived (synced writes plus a random prefix of the rest) and the
 * whole {@link InMemoryStableStore}; a restart builds a new RaftNode and a new state machine from them.
 *
 * <p>After every input the driver reports what changed to the {@link InvariantChecker}.
 */
final class SimNode implements LogView {

    final String id;
    final int index;
    private final Simulation sim;
    private final Configuration bootstrap;
    private final InMemoryStableStore stable = new InMemoryStableStore();
    private InMemoryLogStore log = new InMemoryLogStore();
    private RaftNode raft;
    private StateMachine stateMachine;
    private int incarnation;
    private long downSince = -1;

    // What the checker has already been told about this incarnation.
    private Role lastRole;
    private long lastTerm;
    private long lastCommit;
    private long lastApplied;

    /** A crash armed to strike mid-Ready (see {@link Fault.CrashPoint}), with a deadline after which it strikes anyway. */
    private Fault.CrashPoint armedCrash;
    /** Successful reads waiting for the state machine to apply their read index, in arrival order. */
    private final java.util.ArrayDeque<ReadState> waitingReads = new java.util.ArrayDeque<>();
    private long armedDeadline;

    SimNode(Simulation sim, String id, int index, Configuration bootstrap) {
        this.sim = sim;
        this.id = id;
        this.index = index;
        this.bootstrap = bootstrap;
    }

    // ------------------------------------------------------------------------------------------- lifecycle

    void start() {
        // Each incarnation gets its own seeded Random: election timeouts differ after a restart, deterministically.
        Random random = new Random(sim.nodeSeed(index, incarnation));
        raft = new RaftNode(id, sim.config().raftOptions(), log, stable.load(), SnapshotMeta.NONE, bootstrap, random);
        stateMachine = sim.config().stateMachines().get();
        lastRole = raft.role();
        long previousTerm = lastTerm;
        lastTerm = raft.currentTerm();
        if (lastTerm < previousTerm) {
            throw sim.violation(Invariant.CORE_CONTRACT, id + " restarted in term " + lastTerm + " below its durable term " + previousTerm);
        }
        lastCommit = raft.commitIndex();
        lastApplied = stateMachine.lastAppliedIndex();
        downSince = -1;
        armedCrash = null;
        trace(incarnation == 0 ? "start" : "restart #" + incarnation + " with log [" + log.firstIndex() + ".." + log.lastIndex()
                + "] term " + stable.load().currentTerm() + " vote " + stable.load().votedFor());
        drive();
    }

    boolean isUp() {
        return raft != null;
    }

    long downSince() {
        return downSince;
    }

    /** Arms a crash at the given point of the next Ready that persists something; CLEAN crashes at once. */
    void crash(Fault.CrashPoint point) {
        if (point == Fault.CrashPoint.CLEAN) {
            crashNow("crash");
            return;
        }
        armedCrash = point;
        armedDeadline = sim.now() + 3L * Simulation.TICK;
        trace("crash armed (" + point.name().toLowerCase().replace('_', '-') + ")");
    }

    /** An armed crash that has not struck yet strikes now (the fault phase is ending). Returns true if it did. */
    boolean strikeArmedCrash() {
        if (armedCrash == null) {
            return false;
        }
        crashNow("crash (armed " + armedCrash.name().toLowerCase().replace('_', '-') + ", struck at the heal)");
        return true;
    }

    private void crashNow(String why) {
        int pending = log.pendingOperations();
        InMemoryLogStore survivor = log.crash(sim.crashRandom());
        trace(why + ": log [" + log.firstIndex() + ".." + log.lastIndex() + "] -> survives [" + survivor.firstIndex()
                + ".." + survivor.lastIndex() + "]" + (pending > 0 ? " (" + pending + " unsynced writes at risk)" : ""));
        log = survivor;
        raft = null;
        stateMachine = null;
        armedCrash = null;
        waitingReads.clear();
        downSince = sim.now();
        incarnation++;
        lastRole = null;
    }

    // ----------------------------------------------------------------------------------------------- inputs

    void tick() {
        if (armedCrash != null && sim.now() >= armedDeadline) {
            crashNow("crash (armed " + armedCrash.name().toLowerCase().replace('_', '-') + ", nothing to persist)");
            return;
        }
        raft.tick();
        drive();
    }

    void receive(RaftMessage m) {
        if (sim.tracer().on()) {
            trace("recv " + MessageFormat.route(m) + " " + MessageFormat.message(m));
        }
        raft.step(m);
        drive();
    }

    /** Proposes a command; throws what RaftNode throws (NotLeaderException, ProposalRejectedException). */
    Proposal propose(byte[] command) {
        Proposal p = raft.propose(command);
        if (sim.tracer().on()) {
            trace("proposed " + MessageFormat.data(command) + " at " + p.index() + "@" + p.term());
        }
        drive();
        return p;
    }

    /** Leader: proposes a membership change; throws what RaftNode throws. */
    Proposal changeMembership(MembershipChange change) {
        Proposal p = raft.changeMembership(change);
        if (sim.tracer().on()) {
            trace("proposed " + change + " -> " + raft.configuration() + " at " + p.index() + "@" + p.term());
        }
        drive();
        return p;
    }

    /** Leader: starts a leadership transfer (thesis §3.10); throws what RaftNode throws. */
    void transferLeadership(String target) {
        raft.transferLeadership(target);
        if (sim.tracer().on()) {
            trace("transfer leadership to " + raft.transferTarget());
        }
        drive();
    }

    // ------------------------------------------------------------------------------------------ the driver

    /** Carries out every pending Ready, in the order {@link Ready} prescribes, then reports to the checker. */
    private void drive() {
        int rounds = 0;
        while (raft != null && raft.hasReady()) {
            if (++rounds > 1_000) {
                throw sim.violation(Invariant.CORE_CONTRACT, id + ": hasReady() still true after 1000 Ready/advance rounds");
            }
            Ready rd = raft.ready();
            if (!handle(rd)) {
                return; // crashed mid-Ready
            }
            raft.advance(rd);
        }
        observe();
    }

    /** Returns false if an armed crash struck. */
    private boolean handle(Ready rd) {
        if (rd.softState() != null && sim.tracer().on()) {
            trace("state " + rd.softState().role().lowerName() + " term " + rd.softState().term() + " leader "
                    + rd.softState().leaderId());
        }
        // 1. The leader's AppendEntries may leave before its own fsync (thesis §10.2.1).
        send(rd.earlyMessages());
        // 2. Term and vote are durable before any message of that term leaves (§5.2).
        if (rd.hardState() != null) {
            stable.save(rd.hardState());
            if (sim.tracer().on()) {
                trace("persist term " + rd.hardState().currentTerm() + " vote " + rd.hardState().votedFor());
            }
        }
        // 3. Entries: cut a conflicting suffix (§5.3), append, one sync for the batch.
        if (!rd.entries().isEmpty()) {
            List<LogEntry> entries = rd.entries();
            long first = entries.get(0).index();
            if (first <= log.lastIndex()) {
                if (sim.tracer().on()) {
                    trace("truncate [" + first + ".." + log.lastIndex() + "]");
                }
                log.truncateSuffix(first);
            }
            log.append(entries);
            for (LogEntry e : entries) {
                sim.checker().onAppended(id, e, prevTerm(e.index()));
                if (e.type() == EntryType.CONFIGURATION) {
                    checkSingleServerChange(e);
                }
            }
            if (sim.tracer().on()) {
                trace("append " + MessageFormat.entries(entries));
            }
            if (armedCrash == Fault.CrashPoint.BEFORE_SYNC) {
                crashNow("crash before sync");
                return false;
            }
            log.sync();
        }
        if (armedCrash == Fault.CrashPoint.BEFORE_SEND && rd.mustPersist()) {
            crashNow("crash after sync, before send");
            return false;
        }
        // 4. Messages that may acknowledge what was just persisted.
        send(rd.messages());
        // 5. Apply committed entries in order.
        for (LogEntry e : rd.committedEntries()) {
            apply(e);
        }
        // 6. Reads: checked at once, served once the state machine has applied their read index.
        for (ReadState r : rd.readStates()) {
            if (sim.tracer().on()) {
                trace("read " + r.requestId() + (r.success() ? " index " + r.readIndex() : " failed"));
            }
            sim.reads().onReadState(id, r);
            if (r.success()) {
                waitingReads.add(r);
            }
        }
        serveReads();
        return true;
    }

    private void serveReads() {
        while (!waitingReads.isEmpty() && waitingReads.peekFirst().readIndex() <= lastApplied) {
            ReadState r = waitingReads.pollFirst();
            sim.reads().onServed();
            if (sim.tracer().on()) {
                trace("serve read " + r.requestId() + " at applied " + lastApplied);
            }
        }
    }

    /** Asks RaftNode for a read index (thesis §6.4). */
    void readIndex(long requestId) {
        if (sim.tracer().on()) {
            trace("read " + requestId + " requested");
        }
        raft.readIndex(requestId);
        drive();
    }

    /**
     * Thesis §4.1: a configuration entry may differ from the configuration before it (the previous configuration
     * entry of this log, else the snapshot's, else the cluster's bootstrap) by at most one voter; then any
     * majority of the old and any majority of the new configuration share a server, and no two disjoint
     * majorities can ever elect two leaders or commit two different entries.
     */
    private void checkSingleServerChange(LogEntry e) {
        Configuration next = Configuration.decode(e.data());
        Configuration previous = null;
        for (long i = e.index() - 1; i >= log.firstIndex() && i >= 1; i--) {
            LogEntry p = log.entry(i);
            if (p.type() == EntryType.CONFIGURATION) {
                previous = Configuration.decode(p.data());
                break;
            }
        }
        if (previous == null) {
            previous = log.firstIndex() > 1 ? snapshotConfiguration() : sim.bootstrap();
        }
        if (previous == null) {
            return; // compacted away and no snapshot to tell: unknown here
        }
        sim.checker().onConfigurationAppended(id, e, previous, next);
    }

    /** The configuration of this node's latest snapshot, or null if it has none. */
    private Configuration snapshotConfiguration() {
        return null;
    }

    private long prevTerm(long index) {
        long prev = index - 1;
        if (prev == 0) {
            return 0;
        }
        if (prev < log.firstIndex() || prev > log.lastIndex()) {
            return -1; // compacted away: unknown here (the snapshot's term would tell; checked when snapshots land)
        }
        return log.term(prev);
    }

    private void send(List<RaftMessage> messages) {
        for (RaftMessage m : messages) {
            if (!m.from().equals(id)) {
                throw sim.violation(Invariant.CORE_CONTRACT, id + " sent a message claiming to be from " + m.from());
            }
            sim.send(this, m);
        }
    }

    private void apply(LogEntry e) {
        if (e.index() != lastApplied + 1) {
            throw sim.violation(Invariant.CORE_CONTRACT, id + " was handed " + MessageFormat.entry(e) + " to apply after "
                    + lastApplied + ": committed entries must be applied in order, each once");
        }
        if (e.index() > raft.commitIndex()) {
            throw sim.violation(Invariant.CORE_CONTRACT, id + " was handed " + MessageFormat.entry(e)
                    + " to apply beyond its commit index " + raft.commitIndex());
        }
        byte[] result = e.type() == EntryType.COMMAND ? stateMachine.apply(e.index(), e.data()) : null;
        sim.checker().onApplied(id, e, result);
        lastApplied = e.index();
        if (sim.tracer().on()) {
            trace("apply " + MessageFormat.entry(e));
        }
    }

    /** Reports role, term and commit changes of this step to the checker. */
    private void observe() {
        if (raft == null) {
            return;
        }
        Role role = raft.role();
        long term = raft.currentTerm();
        if (term < lastTerm) {
            throw sim.violation(Invariant.CORE_CONTRACT, id + " went back from term " + lastTerm + " to " + term);
        }
        if (role == Role.LEADER && (lastRole != Role.LEADER || lastTerm != term)) {
            if (sim.tracer().on()) {
                trace("became leader, log ends " + raft.lastLogIndex() + "@" + raft.logTerm(raft.lastLogIndex()));
            }
            if (!raft.configuration().isVoter(id)) {
                // Thesis §4.1: only voters of a server's own configuration campaign, and only votes of its
                // configuration's voters count.
                throw sim.violation(Invariant.CONFIGURATION_CHANGE, id + " became leader of term " + term
                        + " but is not a voter of its configuration " + raft.configuration());
            }
            sim.checker().onLeader(id, term, this);
            sim.onNewLeader(this);
        }
        lastRole = role;
        lastTerm = term;
        long commit = raft.commitIndex();
        if (commit < lastCommit) {
            throw sim.violation(Invariant.CORE_CONTRACT, id + " commit index went back from " + lastCommit + " to " + commit);
        }
        if (commit > lastCommit) {
            if (sim.tracer().on()) {
                trace("commit " + (lastCommit + 1) + ".." + commit);
            }
            sim.checker().onCommitted(id, term, lastCommit, commit, this, sim.leaders());
            lastCommit = commit;
            if (role == Role.LEADER) {
                sim.onLeaderCommit(this);
            }
        }
    }

    private void trace(String what) {
        Tracer t = sim.tracer();
        if (t.on()) {
            t.node(sim.now(), id, raft == null ? null : raft.role(), raft == null ? stable.load().currentTerm() : raft.currentTerm(), what);
        }
    }

    // ----------------------------------------------------------------------------------------- inspection

    RaftNode raft() {
        return raft;
    }

    Role role() {
        return raft == null ? null : raft.role();
    }

    long lastApplied() {
        return lastApplied;
    }

    StateMachine stateMachine() {
        return stateMachine;
    }

    @Override
    public long firstIndex() {
        return raft.firstLogIndex();
    }

    @Override
    public long lastIndex() {
        return raft.lastLogIndex();
    }

    @Override
    public long term(long i) {
        return raft.logTerm(i);
    }

    @Override
    public LogEntry entry(long i) {
        return raft.logEntry(i);
    }
}
