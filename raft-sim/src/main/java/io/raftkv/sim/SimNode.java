package io.raftkv.sim;

import io.raftkv.core.ForwardResult;
import io.raftkv.core.Proposal;
import io.raftkv.core.RaftNode;
import io.raftkv.core.Ready;
import io.raftkv.core.ReadState;
import io.raftkv.core.Role;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.InstallSnapshotResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.trace.TraceEmitter;
import io.raftkv.core.trace.TraceEvent;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;

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
    /** The configuration last reported to the events file. */
    private Configuration lastConfiguration;
    /** This node's part of the run's events file ({@link SimEvents}); off unless recording. */
    private final TraceEmitter events;
    private long lastTerm;
    private long lastCommit;
    private long lastApplied;

    /** A crash armed to strike mid-Ready (see {@link Fault.CrashPoint}), with a deadline after which it strikes anyway. */
    private Fault.CrashPoint armedCrash;
    /** Successful reads waiting for the state machine to apply their read index, in arrival order. */
    private final java.util.ArrayDeque<ReadState> waitingReads = new java.util.ArrayDeque<>();
    private long armedDeadline;

    /** A snapshot as stored durably: it survives crashes (§7). */
    private record StoredSnapshot(SnapshotMeta meta, byte[] data) {
    }

    /** The latest durable snapshot (taken here or received from a leader), or null. Survives crashes. */
    private StoredSnapshot snapshot;
    /** Trailing margins of log compaction; one stream per incarnation. */
    private SplittableRandom snapshotRandom;
    /** Leader side: snapshots being sent, by follower (looked up and iterated in id order). */
    private final TreeMap<String, Transfer> transfers = new TreeMap<>();
    /** Follower side: the snapshot being received, or null. */
    private Receiving receiving;
    /** Follower side: InstallSnapshot answers to send once the Ready that persists the snapshot is done. */
    private final List<RaftMessage> snapshotReplies = new ArrayList<>();

    /** Batches this incarnation forwarded to the leader and not yet answered, by batch id. */
    private final TreeMap<Long, List<byte[]>> forwarded = new TreeMap<>();
    /** Where the leader said forwarded commands went: index to (term, command), until applied here. */
    private final TreeMap<Long, Placed> placed = new TreeMap<>();
    private long forwardSeq;

    private record Placed(long term, byte[] command, long batchId) {
    }

    /** One InstallSnapshot transfer from this leader to {@code peer}, in {@code term}. */
    private static final class Transfer {
        final String peer;
        final long term;
        final StoredSnapshot snapshot;
        long lastProgress;

        Transfer(String peer, long term, StoredSnapshot snapshot, long now) {
            this.peer = peer;
            this.term = term;
            this.snapshot = snapshot;
            this.lastProgress = now;
        }
    }

    /** A snapshot arriving in chunks from {@code leader} of {@code term}. */
    private record Receiving(String leader, long term, SnapshotMeta meta, ByteArrayOutputStream bytes) {
    }

    /** A transfer that made no progress for this long is reported failed; the leader then retries (§7). */
    private static final long TRANSFER_TIMEOUT = 5L * Simulation.TICK;

    SimNode(Simulation sim, String id, int index, Configuration bootstrap) {
        this.sim = sim;
        this.id = id;
        this.index = index;
        this.bootstrap = bootstrap;
        this.events = sim.events().emitter(id);
    }

    // ------------------------------------------------------------------------------------------- lifecycle

    void start() {
        // Each incarnation gets its own seeded Random: election timeouts differ after a restart, deterministically.
        Random random = new Random(sim.nodeSeed(index, incarnation));
        reconcileLogWithSnapshot();
        raft = new RaftNode(id, sim.config().raftOptions(), log, stable.load(),
                snapshot == null ? SnapshotMeta.NONE : snapshot.meta(), bootstrap, random);
        stateMachine = sim.config().newStateMachine();
        snapshotRandom = new SplittableRandom(sim.nodeSeed(index, incarnation) ^ 0x5851F42D4C957F2DL);
        if (snapshot != null) {
            restore(snapshot); // §7: a restarted server starts from its latest snapshot, then replays the log
        }
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
        if (events.on()) {
            raft.traceTo(events.sink());
            lastConfiguration = raft.configuration();
            events.view(raft.role(), raft.currentTerm(), stable.load().votedFor(), raft.leaderId(), raft.commitIndex(),
                    lastApplied, raft.lastLogIndex(), raft.snapshotIndex(), this::termOrUnknown, raft.configuration());
        }
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
        events.emit(new TraceEvent.Down(why, survivor.lastIndex()));
        log = survivor;
        raft = null;
        closeStateMachine();
        stateMachine = null;
        armedCrash = null;
        waitingReads.clear();
        forwarded.clear();
        placed.clear();
        transfers.clear();
        receiving = null;
        snapshotReplies.clear();
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
        expireTransfers();
    }

    void receive(RaftMessage m) {
        if (sim.tracer().on()) {
            trace("recv " + MessageFormat.route(m) + " " + MessageFormat.message(m));
        }
        sim.events().received(id, m);
        raft.step(m);
        if (m instanceof InstallSnapshotRequest r) {
            onSnapshotChunk(r);
        } else if (m instanceof InstallSnapshotResponse r) {
            onSnapshotReply(r);
        }
        drive();
        if (raft != null && !snapshotReplies.isEmpty()) {
            List<RaftMessage> replies = new ArrayList<>(snapshotReplies);
            snapshotReplies.clear();
            send(replies); // after the snapshot's install is persisted (the Ready above)
        }
        snapshotReplies.clear();
    }

    /** Proposes a command; throws what RaftNode throws (NotLeaderException, ProposalRejectedException). */
    Proposal propose(byte[] command) {
        Proposal p = raft.propose(command);
        if (sim.tracer().on()) {
            trace("proposed " + (sim.workload() == null ? MessageFormat.data(command) : sim.workload().describe(command))
                    + " at " + p.index() + "@" + p.term());
        }
        drive();
        return p;
    }

    /**
     * Hands client commands to the leader as one batch (a follower's client proposals, etcd's MsgProp); throws
     * NotLeaderException if this node knows no leader. Batch ids are unique across restarts, as the driver's are
     * (it starts them at a random point): an answer meant for an earlier incarnation must not match a new batch.
     */
    void forward(List<byte[]> commands) {
        long batchId = (long) incarnation << 32 | ++forwardSeq;
        raft.forward(batchId, commands);
        forwarded.put(batchId, commands);
        if (sim.tracer().on()) {
            StringBuilder sb = new StringBuilder();
            for (byte[] c : commands) {
                sb.append(sb.length() == 0 ? "" : " ").append(MessageFormat.data(c));
            }
            trace("forward batch " + batchId + " [" + sb + "] to " + raft.leaderId());
        }
        drive();
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
        events.transfer(raft.transferTarget());
        drive();
    }

    // ------------------------------------------------------------------------------------------ the driver

    /** Carries out every pending Ready, in the order {@link Ready}'s javadoc states, then reports to the checker. */
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
            maybeSnapshot();
        }
        observe();
    }

    /** Returns false if an armed crash struck. The step numbers are those of {@link Ready}'s javadoc. */
    private boolean handle(Ready rd) {
        if (rd.softState() != null && sim.tracer().on()) {
            trace("state " + rd.softState().role().lowerName() + " term " + rd.softState().term() + " leader "
                    + rd.softState().leaderId());
        }
        if (rd.softState() != null) {
            events.state(rd.softState());
        }
        // Step 1. The leader's AppendEntries may leave before its own fsync (thesis §10.2.1).
        send(rd.earlyMessages());
        // Step 2. Term and vote are durable before any message of that term leaves (§5.2).
        if (rd.hardState() != null) {
            stable.save(rd.hardState());
            if (sim.tracer().on()) {
                trace("persist term " + rd.hardState().currentTerm() + " vote " + rd.hardState().votedFor());
            }
            events.persisted(rd.hardState());
        }
        // Step 3. A snapshot from the leader (§7): reset the log if told to, restore the state machine.
        boolean persistLog = false;
        if (rd.snapshotToInstall() != null) {
            installFromReady(rd.snapshotToInstall());
            events.snapshot(TraceEvent.SnapshotOrigin.INSTALLED, rd.snapshotToInstall().meta().lastIncludedIndex(),
                    rd.snapshotToInstall().meta().lastIncludedTerm(), snapshot.data().length);
            persistLog = rd.snapshotToInstall().discardLog();
        }
        // Step 4. Entries: cut a conflicting suffix (§5.3), append, one sync for the batch.
        if (!rd.entries().isEmpty()) {
            persistLog = true;
            List<LogEntry> entries = rd.entries();
            long first = entries.get(0).index();
            events.appending(entries, log.lastIndex());
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
                    checkConfigurationChange(e);
                }
            }
            if (sim.tracer().on()) {
                trace("append " + MessageFormat.entries(entries));
            }
        }
        if (persistLog) {
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
        // Step 5. Messages that may acknowledge what was just persisted.
        send(rd.messages());
        // Step 7 (in part). Where the leader put our forwarded batches: known before the entries at those indexes
        // are applied.
        for (ForwardResult r : rd.forwardResults()) {
            onForwardResult(r);
        }
        // Step 6. Apply committed entries in order.
        for (LogEntry e : rd.committedEntries()) {
            apply(e);
        }
        if (!rd.committedEntries().isEmpty()) {
            events.applied(lastApplied);
        }
        // Step 7. Reads: checked at once, served once the state machine has applied their read index.
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
        // Step 8. Followers whose entries were compacted away get the snapshot (§7).
        for (String peer : rd.snapshotsToSend()) {
            startTransfer(peer);
        }
        return true;
    }

    // -------------------------------------------------------------------------------------------- snapshots

    /**
     * §7: once {@code every} entries were applied since the last snapshot, snapshot the state machine at the
     * applied index, make it durable, tell the core, and compact the log up to there minus a random margin
     * (entries kept for slightly lagging followers).
     */
    private void maybeSnapshot() {
        Schedule.Snapshots policy = sim.snapshots();
        if (raft == null || policy == null) {
            return;
        }
        long base = snapshot == null ? 0 : snapshot.meta().lastIncludedIndex();
        if (lastApplied - base < policy.every()) {
            return;
        }
        long at = lastApplied;
        SnapshotMeta meta = new SnapshotMeta(at, raft.logTerm(at), configurationAt(at));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (StateMachine.Snapshot captured = stateMachine.snapshot()) {
            captured.writeTo(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        snapshot = new StoredSnapshot(meta, bytes.toByteArray());
        if (sim.workload() != null) {
            sim.workload().checkDigest(this, at, "when it snapshotted at");
        }
        raft.compact(meta);
        events.snapshot(TraceEvent.SnapshotOrigin.TAKEN, at, meta.lastIncludedTerm(), snapshot.data().length);
        long upTo = at - snapshotRandom.nextInt(policy.maxMargin() + 1);
        if (upTo >= log.firstIndex()) {
            log.compactPrefix(upTo);
            log.sync();
        }
        if (sim.tracer().on()) {
            trace("snapshot at " + at + "@" + meta.lastIncludedTerm() + " " + meta.configuration() + " ("
                    + snapshot.data().length + " bytes), log now [" + log.firstIndex() + ".." + log.lastIndex() + "]");
        }
    }

    /** The configuration in effect at {@code index}: the latest configuration entry at or below it (thesis §4.1). */
    private Configuration configurationAt(long index) {
        for (long i = index; i >= log.firstIndex() && i >= 1; i--) {
            LogEntry e = log.entry(i);
            if (e.type() == EntryType.CONFIGURATION) {
                return Configuration.decode(e.data());
            }
        }
        return snapshot != null ? snapshot.meta().configuration() : sim.bootstrap();
    }

    /**
     * A crash between storing a snapshot received from the leader and syncing the log's reset leaves a log that
     * ends before the snapshot or disagrees with it at its last index: the snapshot wins (§7), as it would have.
     * (RaftServer does the same on start.)
     */
    private void reconcileLogWithSnapshot() {
        if (snapshot == null) {
            return;
        }
        long at = snapshot.meta().lastIncludedIndex();
        boolean endsBefore = log.lastIndex() < at;
        boolean conflicts = !endsBefore && at >= log.firstIndex() && log.term(at) != snapshot.meta().lastIncludedTerm();
        if (endsBefore || conflicts) {
            trace("log [" + log.firstIndex() + ".." + log.lastIndex() + "] " + (endsBefore ? "ends before" : "conflicts with")
                    + " the snapshot at " + at + ": reset to it");
            log.reset(at, snapshot.meta().lastIncludedTerm());
            log.sync();
        }
    }

    /** Restores the state machine from {@code s} and lets the checker compare what it holds. */
    private void restore(StoredSnapshot s) {
        long at = s.meta().lastIncludedIndex();
        try {
            stateMachine.restore(at, new ByteArrayInputStream(s.data()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (stateMachine instanceof RecordingStateMachine recording) {
            sim.checker().onRestored(id, at, recording.applied());
        }
        lastApplied = at;
        if (sim.tracer().on()) {
            trace("restore state machine from snapshot " + at + "@" + s.meta().lastIncludedTerm());
        }
        if (sim.workload() != null) {
            sim.workload().checkDigest(this, at, "restored from a snapshot at");
        }
    }

    /** Ready step 3: the core adopted the snapshot this driver stored (see {@link #onSnapshotChunk}). */
    private void installFromReady(Ready.SnapshotInstall install) {
        SnapshotMeta meta = install.meta();
        if (snapshot == null || !snapshot.meta().equals(meta)) {
            throw sim.violation(Invariant.CORE_CONTRACT, id + " was told to install snapshot " + meta
                    + " but the driver stored " + (snapshot == null ? "none" : snapshot.meta()));
        }
        if (install.discardLog()) {
            if (sim.tracer().on()) {
                trace("reset log [" + log.firstIndex() + ".." + log.lastIndex() + "] to snapshot "
                        + meta.lastIncludedIndex() + "@" + meta.lastIncludedTerm());
            }
            log.reset(meta.lastIncludedIndex(), meta.lastIncludedTerm());
        }
        restore(snapshot);
        serveReads();
    }

    /** Leader: start sending our latest snapshot to {@code peer}, chunk by chunk over the simulated network. */
    private void startTransfer(String peer) {
        if (snapshot == null) {
            throw sim.violation(Invariant.CORE_CONTRACT, id + " asked to send a snapshot to " + peer + " but never compacted");
        }
        Transfer t = new Transfer(peer, raft.currentTerm(), snapshot, sim.now());
        transfers.put(peer, t);
        sendChunk(t, 0);
    }

    private void sendChunk(Transfer t, long offset) {
        byte[] data = t.snapshot.data();
        int from = (int) Math.min(offset, data.length);
        int to = Math.min(data.length, from + sim.snapshots().chunkBytes());
        SnapshotMeta meta = t.snapshot.meta();
        send(List.of(new InstallSnapshotRequest(id, t.peer, t.term, meta.lastIncludedIndex(), meta.lastIncludedTerm(),
                meta.configuration(), from, java.util.Arrays.copyOfRange(data, from, to), to == data.length)));
    }

    /** Leader: a follower acknowledged a chunk (or the whole snapshot). */
    private void onSnapshotReply(InstallSnapshotResponse r) {
        Transfer t = transfers.get(r.from());
        if (t == null || raft.role() != Role.LEADER || raft.currentTerm() != t.term || r.term() != t.term
                || r.lastIncludedIndex() != t.snapshot.meta().lastIncludedIndex()) {
            return; // a stale or duplicated answer
        }
        t.lastProgress = sim.now();
        if (r.done()) {
            transfers.remove(r.from());
            raft.reportSnapshot(r.from(), r.lastIncludedIndex(), true);
        } else {
            sendChunk(t, r.nextOffset());
        }
    }

    /** Leader: transfers that stalled (chunks or answers lost) are reported failed; others of old terms dropped. */
    private void expireTransfers() {
        if (transfers.isEmpty() || raft == null) {
            return;
        }
        List<Transfer> expired = new ArrayList<>();
        for (Transfer t : transfers.values()) {
            if (raft.role() != Role.LEADER || raft.currentTerm() != t.term || sim.now() - t.lastProgress > TRANSFER_TIMEOUT) {
                expired.add(t);
            }
        }
        for (Transfer t : expired) {
            transfers.remove(t.peer);
            if (sim.tracer().on()) {
                trace("snapshot transfer to " + t.peer + " abandoned");
            }
            raft.reportSnapshot(t.peer, t.snapshot.meta().lastIncludedIndex(), false);
        }
        drive();
    }

    /**
     * Follower: one chunk of a snapshot from the leader of our term. Chunks are accepted in order; the complete
     * snapshot is made durable and then offered to the core, which adopts it only if it is ahead of what this
     * node committed (§7).
     */
    private void onSnapshotChunk(InstallSnapshotRequest r) {
        if (raft.currentTerm() != r.term() || raft.role() != Role.FOLLOWER) {
            return; // stale: the core told the sender our term if it needed to know
        }
        SnapshotMeta meta = new SnapshotMeta(r.lastIncludedIndex(), r.lastIncludedTerm(), r.configuration());
        if (r.offset() == 0) {
            receiving = new Receiving(r.from(), r.term(), meta, new ByteArrayOutputStream());
        }
        if (receiving == null || !receiving.leader().equals(r.from()) || receiving.term() != r.term()
                || !receiving.meta().equals(meta) || receiving.bytes().size() != r.offset()) {
            // Out of order (a lost or reordered chunk): tell the leader where to resume.
            boolean same = receiving != null && receiving.meta().equals(meta);
            snapshotReplies.add(new InstallSnapshotResponse(id, r.from(), raft.currentTerm(), r.lastIncludedIndex(),
                    same ? receiving.bytes().size() : 0, r.offset(), false));
            return;
        }
        receiving.bytes().writeBytes(r.data());
        if (!r.done()) {
            snapshotReplies.add(new InstallSnapshotResponse(id, r.from(), raft.currentTerm(), r.lastIncludedIndex(),
                    receiving.bytes().size(), r.offset(), false));
            return;
        }
        byte[] data = receiving.bytes().toByteArray();
        receiving = null;
        if (meta.lastIncludedIndex() > raft.commitIndex()) {
            snapshot = new StoredSnapshot(meta, data); // durable before the core hears of it
            boolean adopted = raft.installSnapshot(meta);
            if (sim.tracer().on()) {
                trace("received snapshot " + meta.lastIncludedIndex() + "@" + meta.lastIncludedTerm() + " ("
                        + data.length + " bytes)" + (adopted ? "" : ", not adopted"));
            }
        }
        snapshotReplies.add(new InstallSnapshotResponse(id, r.from(), raft.currentTerm(), r.lastIncludedIndex(),
                data.length, r.offset(), true));
    }

    private void serveReads() {
        while (!waitingReads.isEmpty() && waitingReads.peekFirst().readIndex() <= lastApplied) {
            ReadState r = waitingReads.pollFirst();
            sim.reads().onServed();
            if (sim.workload() != null) {
                sim.workload().onRead(this);
            }
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
     * Thesis §4.1 and §6: a configuration entry may differ from the configuration before it (the previous
     * configuration entry of this log, else the snapshot's, else the cluster's bootstrap) by at most one voter, or
     * enter or leave a joint configuration; then any majority of the old and any majority of the new configuration
     * share a server (see {@link InvariantChecker#onConfigurationAppended}).
     */
    private void checkConfigurationChange(LogEntry e) {
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
        return snapshot == null ? null : snapshot.meta().configuration();
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

    /** The leader answered a forwarded batch: remember where each command went (or that none was appended). */
    private void onForwardResult(ForwardResult r) {
        List<byte[]> commands = forwarded.remove(r.batchId());
        if (sim.tracer().on()) {
            trace("forwarded batch " + r.batchId() + (r.isAccepted() ? " appended at " + r.firstIndex() + "@"
                    + r.term() + " (" + r.count() + ")" : " refused: " + r.rejection()) + (commands == null
                    ? " (late or duplicate answer)" : ""));
        }
        if (commands == null || !r.isAccepted()) {
            return;
        }
        if (r.count() != commands.size()) {
            throw sim.violation(Invariant.FORWARDING, id + " forwarded " + commands.size() + " commands in batch "
                    + r.batchId() + " but the leader says it appended " + r.count());
        }
        for (int k = 0; k < commands.size(); k++) {
            placed.put(r.firstIndex() + k, new Placed(r.term(), commands.get(k), r.batchId()));
        }
    }

    private void apply(LogEntry e) {
        Placed expected = placed.remove(e.index());
        if (expected != null && expected.term() == e.term() && !java.util.Arrays.equals(expected.command(), e.data())) {
            // Log Matching (§5.3): the entry at the (index, term) the leader announced is the command it announced.
            throw sim.violation(Invariant.FORWARDING, id + " applies " + MessageFormat.entry(e) + " holding "
                    + MessageFormat.data(e.data()) + ", but the leader said batch " + expected.batchId()
                    + " put " + MessageFormat.data(expected.command()) + " there");
        }
        placed.headMap(e.index()).clear(); // placements below the applied index can no longer be checked here
        if (e.index() != lastApplied + 1) {
            throw sim.violation(Invariant.CORE_CONTRACT, id + " was handed " + MessageFormat.entry(e) + " to apply after "
                    + lastApplied + ": committed entries must be applied in order, each once");
        }
        if (e.index() > raft.commitIndex()) {
            throw sim.violation(Invariant.CORE_CONTRACT, id + " was handed " + MessageFormat.entry(e)
                    + " to apply beyond its commit index " + raft.commitIndex());
        }
        byte[] result = null;
        if (e.type() == EntryType.COMMAND) {
            result = stateMachine.apply(e.index(), e.data());
        } else {
            stateMachine.skip(e.index()); // as RaftServer does: the state machine's index follows the log
        }
        sim.checker().onApplied(id, e, result);
        if (sim.sessions() != null) {
            sim.sessions().onApplied(this, e, result);
        }
        lastApplied = e.index();
        if (sim.workload() != null && e.type() == EntryType.COMMAND) {
            sim.workload().onApplied(this, e.index(), e.data(), result);
        }
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
            if (!raft.configuration().isVoter(id) && raft.commitIndex() >= raft.configurationIndex()) {
                // Thesis §4.1/§4.2.2: only voters of a server's own configuration campaign — except a server whose
                // removal is not yet committed, which may still be needed to commit it (its own vote never counts).
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
        if (events.on() && !raft.configuration().equals(lastConfiguration)) {
            events.configuration(lastConfiguration, raft.configuration(), raft.configurationIndex());
            lastConfiguration = raft.configuration();
        }
        if (commit > lastCommit) {
            if (sim.tracer().on()) {
                trace("commit " + (lastCommit + 1) + ".." + commit);
            }
            events.committed(commit);
            sim.checker().onCommitted(id, term, lastCommit, commit, this, sim.leaders());
            lastCommit = commit;
            if (role == Role.LEADER) {
                sim.onLeaderCommit(this);
            }
        }
    }

    /** Term of a log entry this node holds, -1 if it holds none there (for a view in the events file). */
    private long termOrUnknown(long index) {
        return index < raft.firstLogIndex() || index > raft.lastLogIndex() ? -1 : raft.logTerm(index);
    }

    private void trace(String what) {
        Tracer t = sim.tracer();
        if (t.on()) {
            t.node(sim.now(), id, raft == null ? null : raft.role(), raft == null ? stable.load().currentTerm() : raft.currentTerm(), what);
        }
    }

    /** A state machine that holds resources (files, connections) releases them when its server goes down. */
    void closeStateMachine() {
        if (stateMachine instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(id + ": closing the state machine failed", e);
            }
        }
    }

    /** End of the run: compare the digest of a live node's state where it stands, then release the state machine. */
    void finish() {
        if (raft != null && sim.workload() != null) {
            sim.workload().checkDigest(this, lastApplied, "at the end of the run at");
        }
        closeStateMachine();
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

    /** How often this node crashed so far: a restart is a new incarnation (its clients' requests died with it). */
    int incarnation() {
        return incarnation;
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
