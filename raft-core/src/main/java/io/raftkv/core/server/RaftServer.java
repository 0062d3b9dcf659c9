package io.raftkv.core.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.RaftNode;
import io.raftkv.core.RaftOptions;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.LogStore;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.storage.SnapshotStore;
import io.raftkv.core.storage.StableStore;
import io.raftkv.core.trace.TraceEmitter;
import io.raftkv.core.trace.TraceSink;
import io.raftkv.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One Raft server: the driver that runs a {@link RaftNode} against real storage, a transport and a state machine.
 * See the package documentation for the threads and the life of a write.
 *
 * <pre>{@code
 * RaftServer server = RaftServer.builder("n1")
 *         .logStore(log).stableStore(stable).snapshotStore(snapshots)
 *         .stateMachine(kv).transport(transport)
 *         .bootstrap(Configuration.ofVoterIds("n1", "n2", "n3"))
 *         .meterRegistry(registry)
 *         .build();
 * server.start();
 * byte[] result = server.propose(command).get(5, SECONDS);
 * byte[] value = server.read(query, ReadLevel.LINEARIZABLE).get(5, SECONDS);
 * server.close();
 * }</pre>
 *
 * <p><b>Futures.</b> Every future returned completes exactly once: with the result, or with
 * {@link io.raftkv.core.NotLeaderException} (leader id attached), {@link OverloadedException},
 * {@link NotCommittedException}, {@link OutcomeUnknownException}, {@link ShutdownException},
 * {@link ProposalRejectedException}, or, when a disk is full or stalled, {@link DiskFullException} or
 * {@link DiskStalledException} (see {@link DiskOptions}). They complete on the raft or apply thread: use the
 * {@code *Async} variants for heavy continuations. A caller may time a future out itself ({@code orTimeout}); that frees its slot in the
 * pending bound, and a proposal already appended then has an unknown outcome.
 *
 * <p>Thread-safe: every public method may be called from any thread.
 */
public final class RaftServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RaftServer.class);

    private enum State { NEW, RUNNING, STOPPING, STOPPED }

    private final String id;
    private final RaftOptions raftOptions;
    private final RaftServerOptions options;
    private final LogStore log;
    private final StableStore stable;
    private final SnapshotStore snapshots;
    private final StateMachine stateMachine;
    private final Transport transport;
    private final Configuration bootstrap;
    private final Random random;
    private final CoreFactory coreFactory;
    /** Where what this server does is reported (io.raftkv.core.trace); {@link TraceSink#NONE} unless set. */
    private final TraceEmitter trace;
    /** Free space and stalls of the disks this server writes to (see {@link DiskOptions}). */
    private final DiskGuard disk;

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final LinkedBlockingQueue<RaftEvent> events = new LinkedBlockingQueue<>();
    private final AtomicInteger queuedMessages = new AtomicInteger();
    private final Budget proposalBudget;
    private final Budget readBudget;
    private final PendingProposals proposals = new PendingProposals();
    private final RaftMetrics metrics;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile RaftStatus status;
    /** The newest snapshot held here (taken, installed or found at start); for the status. */
    private final AtomicReference<SnapshotInfo> lastSnapshot = new AtomicReference<>();

    private RaftLoop raftLoop;
    private volatile ApplyLoop applyLoop;
    private SnapshotWriter snapshotWriter;
    private volatile Thread raftThread;
    private volatile Thread applyThread;

    private RaftServer(Builder b) {
        this.id = b.id;
        this.raftOptions = b.raftOptions;
        this.options = b.serverOptions;
        this.log = Objects.requireNonNull(b.logStore, "logStore");
        this.stable = Objects.requireNonNull(b.stableStore, "stableStore");
        this.snapshots = Objects.requireNonNull(b.snapshotStore, "snapshotStore");
        this.stateMachine = Objects.requireNonNull(b.stateMachine, "stateMachine");
        this.disk = new DiskGuard(b.id, b.disk, b.disk.stallTimeout() != null ? b.disk.stallTimeout()
                : b.serverOptions.tickInterval().multipliedBy(b.raftOptions.electionTimeoutTicks()), b.meterRegistry);
        // Silent while the disk is stalled: see StallFence for why that is safe and needed.
        this.transport = new StallFence(Objects.requireNonNull(b.transport, "transport"), disk);
        this.bootstrap = b.bootstrap;
        this.random = b.random;
        this.coreFactory = b.coreFactory;
        this.trace = new TraceEmitter(b.traceSink);
        this.proposalBudget = new Budget(options.maxPendingProposals(), options.maxPendingBytes());
        this.readBudget = new Budget(options.maxPendingReads(), Long.MAX_VALUE);
        this.metrics = new RaftMetrics(b.meterRegistry, id, proposalBudget,
                () -> applyLoop == null ? stateMachine.lastAppliedIndex() : applyLoop.appliedIndex());
        this.status = new RaftStatus(id, null, 0, null, 0, 0, 0, List.of(), 0, false);
    }

    public static Builder builder(String id) {
        return new Builder(id);
    }

    /**
     * Rebuilds the node from its stores (term and vote, log, newest snapshot), restores the state machine from
     * the snapshot if it is behind it, starts the transport, the raft thread and the apply thread.
     */
    public synchronized void start() throws IOException {
        if (state.get() != State.NEW) {
            throw new IllegalStateException("server " + id + " was already started");
        }
        HardState hardState = stable.load();
        SnapshotMeta snapshot = snapshots.latest().orElse(SnapshotMeta.NONE);
        reconcileLogWithSnapshot(snapshot);
        requireLogContinuesSnapshot(snapshot);
        restoreStateMachine(snapshot);
        describeLoadedSnapshot(snapshot);
        ConsensusCore core = coreFactory.create(
                new CoreInit(id, raftOptions, log, hardState, snapshot, bootstrap, random));
        core.traceTo(trace.sink());
        // Every message the raft thread sends (Ready messages and snapshot chunks) passes here when traced.
        Transport sending = trace.sink() == TraceSink.NONE ? transport : new TracingTransport(transport, trace);
        LogActivity logActivity = new LogActivity();
        snapshotWriter = new SnapshotWriter(id, snapshots, metrics, options.snapshotWriteBytesPerSecond(), logActivity,
                (meta, info) -> {
                    applyLoop.snapshotDurable(meta.lastIncludedIndex()); // before the writer reports itself idle
                    recordSnapshot(info);
                    if (state.get() == State.RUNNING) {
                        enqueue(new RaftEvent.SnapshotTaken(meta));
                    }
                });
        applyLoop = new ApplyLoop(id, stateMachine, proposals, metrics, options.applyBatchSize(), snapshot,
                bootstrap, snapshots, snapshotWriter, options.snapshotThreshold(), options.snapshotBytesThreshold(),
                this::onFatal);
        raftLoop = RaftLoop.builder(id, core)
                .options(options)
                .storage(log, stable, disk, logActivity)
                .transport(sending)
                .inbox(events, queuedMessages)
                .handOffTo(applyLoop, proposals,
                        new SnapshotTransfers(id, core, sending, snapshots, metrics, options, this::recordSnapshot))
                .lastSnapshotIndex(snapshot.lastIncludedIndex())
                .reportTo(metrics, s -> status = s.withLastSnapshot(lastSnapshot.get()), this::onFatal)
                .trace(trace)
                .build();
        try {
            transport.start(this::onMessage);
        } catch (Exception e) {
            throw e instanceof IOException io ? io : new IOException("transport of " + id + " failed to start: " + e, e);
        }
        state.set(State.RUNNING);
        applyThread = new Thread(applyLoop, "raft-apply-" + id);
        raftThread = new Thread(raftLoop, "raft-" + id);
        disk.start(raftThread);
        applyThread.start();
        raftThread.start();
        LOG.info("{}: started in term {} (vote {}), log [{}, {}], snapshot at {}, applied {}", id,
                hardState.currentTerm(), hardState.votedFor(), log.firstIndex(), log.lastIndex(),
                snapshot.lastIncludedIndex(), stateMachine.lastAppliedIndex());
    }

    /**
     * A crash between committing a snapshot received from the leader and resetting the log leaves a log that ends
     * before the snapshot, or disagrees with it at its last index; the snapshot wins (§7), as it would have.
     */
    private void reconcileLogWithSnapshot(SnapshotMeta snapshot) throws IOException {
        long index = snapshot.lastIncludedIndex();
        if (index == 0) {
            return;
        }
        boolean endsBefore = log.lastIndex() < index;
        boolean conflicts = !endsBefore && index >= log.firstIndex() && log.term(index) != snapshot.lastIncludedTerm();
        if (endsBefore || conflicts) {
            LOG.info("{}: log [{}, {}] {} the snapshot at {}; resetting it to the snapshot", id, log.firstIndex(),
                    log.lastIndex(), endsBefore ? "ends before" : "conflicts with", index);
            log.reset(index, snapshot.lastIncludedTerm());
            log.sync();
        }
    }

    /**
     * The log must continue where the snapshot ends. If the newest snapshot was corrupt and the store fell back
     * to an older one after the log had been compacted past it, the entries in between exist nowhere on this
     * server: refuse to start, naming the gap, rather than fail on the first apply or run without them.
     */
    private void requireLogContinuesSnapshot(SnapshotMeta snapshot) throws IOException {
        long index = snapshot.lastIncludedIndex();
        if (log.firstIndex() > index + 1) {
            throw new IOException(id + ": the log starts at index " + log.firstIndex() + " but the newest usable"
                    + " snapshot ends at " + index + ", so entries " + (index + 1) + ".." + (log.firstIndex() - 1)
                    + " are missing (was a newer snapshot corrupt, or is this not the snapshot store the server"
                    + " used before: " + snapshots + "?). If the snapshots were moved, start it with them again;"
                    + " otherwise this server's data cannot be used: move its data directory aside and add it back"
                    + " as a new member, it will get a snapshot from the leader");
        }
    }

    /** The status names the snapshot found at start: its size, and when it was written if the store knows. */
    private void describeLoadedSnapshot(SnapshotMeta snapshot) throws IOException {
        if (snapshot.lastIncludedIndex() == 0) {
            return;
        }
        Optional<SnapshotStore.Source> opened = snapshots.openLatest();
        if (opened.isPresent()) {
            try (SnapshotStore.Source source = opened.get()) {
                SnapshotMeta m = source.meta();
                recordSnapshot(new SnapshotInfo(m.lastIncludedIndex(), m.lastIncludedTerm(), source.size(),
                        source.writtenAt().orElse(null), null, SnapshotInfo.Origin.LOADED));
            }
        }
    }

    /** Writer or raft thread: {@code info} is durable; it is the newest unless a newer one got there first. */
    private void recordSnapshot(SnapshotInfo info) {
        lastSnapshot.accumulateAndGet(info, (old, now) -> old == null || now.index() >= old.index() ? now : old);
    }

    private void restoreStateMachine(SnapshotMeta snapshot) throws IOException {
        long index = snapshot.lastIncludedIndex();
        if (index == 0 || stateMachine.lastAppliedIndex() >= index) {
            return; // nothing to restore, or a persistent state machine that is already ahead of the snapshot
        }
        SnapshotStore.Source source = snapshots.openLatest()
                .orElseThrow(() -> new IOException("snapshot at " + index + " is listed but cannot be opened"));
        try (source; InputStream in = source.open(0)) {
            if (source.meta().lastIncludedIndex() != index) {
                throw new IOException("newest snapshot changed while restoring: " + source.meta() + " vs " + snapshot);
            }
            stateMachine.restore(index, in);
        }
    }

    /**
     * Proposes a command for the replicated log. Completes with the state machine's result once the command is
     * committed and applied here; fails at once with {@link OverloadedException} beyond the pending bounds, and
     * with {@link io.raftkv.core.NotLeaderException} on a follower. The bytes are copied.
     */
    public CompletableFuture<byte[]> propose(byte[] command) {
        Objects.requireNonNull(command, "command");
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        RaftEvent.Propose p = admit(command, future);
        if (p != null) {
            enqueue(p);
        }
        return future;
    }

    /**
     * Proposes several commands at once, as a pipelining client sends them: they reach the raft thread together, so
     * the leader appends them in one batch (one fsync) and a follower forwards them to the leader in one message.
     * Each command is admitted, copied and completed exactly as by {@link #propose}, in order: the futures are in the
     * order of {@code commands}, and so are the entries of those that are appended.
     */
    public List<CompletableFuture<byte[]>> proposeAll(List<byte[]> commands) {
        List<CompletableFuture<byte[]>> futures = new ArrayList<>(commands.size());
        List<RaftEvent.Propose> admitted = new ArrayList<>(commands.size());
        for (byte[] command : commands) {
            Objects.requireNonNull(command, "command");
            CompletableFuture<byte[]> future = new CompletableFuture<>();
            futures.add(future);
            RaftEvent.Propose p = admit(command, future);
            if (p != null) {
                admitted.add(p);
            }
        }
        if (!admitted.isEmpty()) {
            enqueue(new RaftEvent.ProposeAll(admitted));
        }
        return futures;
    }

    /**
     * The proposal event for {@code command}, or null after failing {@code future} (not running, disk trouble, over a
     * bound).
     */
    private RaftEvent.Propose admit(byte[] command, CompletableFuture<byte[]> future) {
        if (state.get() != State.RUNNING) {
            future.completeExceptionally(notRunning());
            return null;
        }
        RaftException diskTrouble = disk.refuseWrite();
        if (diskTrouble != null) {
            future.completeExceptionally(diskTrouble);
            return null;
        }
        long size = command.length;
        if (size > proposalBudget.maxBytes()) {
            metrics.proposalsRejected.increment();
            future.completeExceptionally(new ProposalRejectedException(ProposalRejectedException.Reason.INVALID,
                    "command of " + size + " bytes exceeds maxPendingBytes " + proposalBudget.maxBytes()));
            return null;
        }
        if (!proposalBudget.tryAcquire(size)) {
            metrics.proposalsOverloaded.increment();
            future.completeExceptionally(new OverloadedException(id + ": " + proposalBudget.count()
                    + " proposals (" + proposalBudget.bytes() + " bytes) pending; limits "
                    + proposalBudget.maxCount() + " / " + proposalBudget.maxBytes() + " bytes"));
            return null;
        }
        future.whenComplete((r, e) -> proposalBudget.release(size));
        return new RaftEvent.Propose(command.clone(), future, System.nanoTime());
    }

    /**
     * Proposes a membership change: a single-server one (thesis §4.1: add a voter or a learner, promote a learner,
     * remove a member), or a {@link MembershipChange.Reconfigure} (see {@link #reconfigure}). Completes once the
     * change is complete here: its configuration entry (for a joint change, C_new) committed and applied. Fails like
     * {@link #propose} (not leader, overloaded, outcome unknown), or with {@link ProposalRejectedException} whose
     * {@link ProposalRejectedException#reason() reason} says whether another change is still pending, the request
     * may succeed a little later (the leader has not yet committed an entry of its term, a learner has not caught
     * up) or the change does not apply. A new server should be started with an empty bootstrap configuration and
     * added as a learner: the leader promotes it once it has caught up (or a reconfiguration names it a voter).
     */
    public CompletableFuture<Void> changeMembership(MembershipChange change) {
        try {
            if (change instanceof MembershipChange.AddVoter a) {
                transport.checkAddress(Member.voter(a.id(), a.address()));
            } else if (change instanceof MembershipChange.AddLearner a) {
                transport.checkAddress(Member.learner(a.id(), a.address()));
            }
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e); // before it is replicated: nobody could dial the new member
        }
        return proposeChange(change).thenApply(c -> null);
    }

    /**
     * Moves the cluster to exactly {@code voters} and {@code learners} in one step, by joint consensus (Raft §6,
     * thesis §4.3): the leader appends C_old,new, whose elections and commits need a majority of C_old and one of
     * C_new, and once that is committed appends C_new by itself (a new leader finishes a change its predecessor
     * started). Every named server must already be a member; members not named are removed, the leader included
     * (it steps down once C_new is committed). Completes with C_new once it is committed and applied here; fails
     * like {@link #changeMembership}.
     */
    public CompletableFuture<Configuration> reconfigure(Set<String> voters, Set<String> learners) {
        return proposeChange(new MembershipChange.Reconfigure(voters, learners));
    }

    private CompletableFuture<Configuration> proposeChange(MembershipChange change) {
        Objects.requireNonNull(change, "change");
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        RaftException diskTrouble = disk.refuseWrite();
        if (state.get() != State.RUNNING) {
            future.completeExceptionally(notRunning());
        } else if (diskTrouble != null) {
            future.completeExceptionally(diskTrouble);
        } else if (!proposalBudget.tryAcquire(0)) {
            future.completeExceptionally(new OverloadedException(id + ": too many proposals pending"));
        } else {
            future.whenComplete((r, e) -> proposalBudget.release(0));
            enqueue(new RaftEvent.ChangeMembership(change, future, System.nanoTime()));
        }
        // A joint change is complete once C_new is: wait for it after C_old,new was applied here (§6).
        return change instanceof MembershipChange.Reconfigure
                ? future.thenCompose(r -> applyLoop.awaitJointChangeEnd())
                : future.thenApply(r -> null);
    }

    /**
     * Asks the leader to hand leadership to {@code target} (thesis §3.10), or to the most up-to-date voter if
     * null. Completes once the leader has started the transfer (it stops accepting proposals, catches the target
     * up and sends it TimeoutNow; the transfer is abandoned after an election timeout). Watch {@link #status()} for
     * the new leader.
     */
    public CompletableFuture<Void> transferLeadership(String target) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        if (state.get() != State.RUNNING) {
            future.completeExceptionally(notRunning());
            return future;
        }
        enqueue(new RaftEvent.TransferLeadership(target, future));
        return future;
    }

    /** A linearizable read ({@link ReadLevel#LINEARIZABLE}). */
    public CompletableFuture<byte[]> read(byte[] query) {
        return read(query, ReadLevel.LINEARIZABLE);
    }

    /**
     * Answers {@code query} from the state machine at the given freshness. LINEARIZABLE and LEASE reads wait for a
     * read index and then for the state machine to apply up to it; STALE answers at once on the calling thread.
     * A read that cannot be confirmed fails with {@link io.raftkv.core.NotLeaderException}, one whose read index
     * is not applied within {@link RaftServerOptions#readTimeout()} with a
     * {@link java.util.concurrent.TimeoutException}: reads are always safe to retry.
     */
    public CompletableFuture<byte[]> read(byte[] query, ReadLevel level) {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(level, "level");
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        RaftEvent.Read r = admitRead(query, level, future);
        if (r != null) {
            enqueue(r);
        }
        return future;
    }

    /**
     * Reads several queries at one level, as a pipelining client sends them: LINEARIZABLE and LEASE reads reach the
     * raft thread together and share one read index. Each is answered exactly as by {@link #read(byte[], ReadLevel)};
     * the futures are in the order of {@code queries}.
     */
    public List<CompletableFuture<byte[]>> readAll(List<byte[]> queries, ReadLevel level) {
        Objects.requireNonNull(level, "level");
        List<CompletableFuture<byte[]>> futures = new ArrayList<>(queries.size());
        List<RaftEvent.Read> admitted = new ArrayList<>(queries.size());
        for (byte[] query : queries) {
            Objects.requireNonNull(query, "query");
            CompletableFuture<byte[]> future = new CompletableFuture<>();
            futures.add(future);
            RaftEvent.Read r = admitRead(query, level, future);
            if (r != null) {
                admitted.add(r);
            }
        }
        if (!admitted.isEmpty()) {
            enqueue(new RaftEvent.ReadAll(admitted));
        }
        return futures;
    }

    /**
     * The read event for {@code query}, or null if it was answered at once (a STALE read) or failed (not running,
     * disk trouble, too many pending).
     */
    private RaftEvent.Read admitRead(byte[] query, ReadLevel level, CompletableFuture<byte[]> future) {
        if (state.get() != State.RUNNING) {
            future.completeExceptionally(notRunning());
            return null;
        }
        if (level == ReadLevel.STALE) {
            try {
                future.complete(stateMachine.query(query));
            } catch (RuntimeException e) {
                future.completeExceptionally(e);
            }
            return null;
        }
        RaftException stalled = disk.refuseRead();
        if (stalled != null) {
            future.completeExceptionally(stalled); // the raft thread, which confirms reads, is stuck on its disk
            return null;
        }
        RaftStatus now = status;
        if (disk.noSpace() != null && !now.isLeader()) {
            // Out of space, this follower takes no new entries: it could not apply up to a current read index
            // before the read times out. Send the client to the leader at once.
            future.completeExceptionally(new io.raftkv.core.NotLeaderException(now.leaderId()));
            return null;
        }
        if (!readBudget.tryAcquire(0)) {
            future.completeExceptionally(new OverloadedException(id + ": " + readBudget.count() + " reads pending"));
            return null;
        }
        future.whenComplete((r, e) -> readBudget.release(0));
        long deadline = System.nanoTime() + options.readTimeout().toNanos();
        return new RaftEvent.Read(new PendingRead(query.clone(), future, deadline), level);
    }

    /**
     * Takes a snapshot of the state machine now, on this server, whatever the thresholds say (§7). The capture
     * happens on the apply thread after everything committed so far was applied, the write on the snapshot
     * writer's thread; applies continue meanwhile. Once durable, the log prefix it covers is compacted like after
     * any snapshot (keeping {@code snapshotTrailingEntries}).
     *
     * @return completes with the snapshot once it is durable; fails with {@link SnapshotRejectedException} if one
     *         is being written or nothing was applied since the newest one, with the write's {@link IOException},
     *         or with {@link ShutdownException}
     */
    public CompletableFuture<SnapshotInfo> takeSnapshot() {
        CompletableFuture<SnapshotInfo> future = new CompletableFuture<>();
        if (state.get() != State.RUNNING) {
            future.completeExceptionally(notRunning());
            return future;
        }
        applyLoop.takeSnapshot(future);
        if (state.get() != State.RUNNING) {
            applyLoop.failQueuedRequests(); // close() may have stopped the apply thread before our request landed
        }
        return future;
    }

    /** The latest status the raft thread published (at most one loop turn old), with the newest durable snapshot. */
    public RaftStatus status() {
        // The raft loop publishes the status once per turn; a snapshot made durable since then is already on
        // disk, so report it now rather than at the next turn (POST /snapshot answers only after it is durable).
        RaftStatus s = status;
        SnapshotInfo newest = lastSnapshot.get();
        return newest == s.lastSnapshot() ? s : s.withLastSnapshot(newest);
    }

    public String id() {
        return id;
    }

    /** True between {@link #start()} and the beginning of {@link #close()} (or a fatal error). */
    public boolean isRunning() {
        return state.get() == State.RUNNING;
    }

    /** The error that stopped the server, if it stopped on one. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /**
     * What is wrong with this server's disks now (empty when nothing is): a directory below its free-space reserve
     * or a write that found no space ({@link DiskAlarm.NoSpace}: writes are refused), a disk operation that does not
     * return ({@link DiskAlarm.Stalled}: the server is silent). Alarms clear by themselves. See {@link DiskOptions}.
     */
    public List<DiskAlarm> diskAlarms() {
        return state.get() == State.RUNNING ? disk.alarms() : List.of();
    }

    /** Transport handler: called from transport threads, never blocks. */
    private void onMessage(RaftMessage message) {
        if (state.get() != State.RUNNING) {
            return;
        }
        if (disk.noSpace() != null && (message instanceof InstallSnapshotRequest
                || message instanceof AppendEntriesRequest r && !r.entries().isEmpty())) {
            // Out of space: take no new entries or snapshot from the leader. This follower falls behind like a slow
            // one (dropping is safe, the leader retransmits) while the others commit; heartbeats still count, so
            // it does not campaign. It catches up once space returns.
            disk.inboundDropped.increment();
            return;
        }
        if (queuedMessages.incrementAndGet() > options.maxQueuedMessages()) {
            // The raft thread is behind (slow disk?). Raft retransmits, so dropping is safe; queueing is not.
            queuedMessages.decrementAndGet();
            metrics.messagesDropped.increment();
            trace.dropped(message, "raft thread's queue full");
            return;
        }
        events.add(new RaftEvent.Inbound(message));
    }

    private void enqueue(RaftEvent event) {
        events.add(event);
        // close() may have drained the queue between our state check and the add: then nobody else will look.
        if (state.get() != State.RUNNING) {
            failQueued();
        }
    }

    private void failQueued() {
        List<RaftEvent> left = new ArrayList<>();
        events.drainTo(left);
        for (RaftEvent e : left) {
            if (e instanceof RaftEvent.Inbound) {
                queuedMessages.decrementAndGet();
            } else {
                e.failWith(notRunning());
            }
        }
    }

    private ShutdownException notRunning() {
        State s = state.get();
        Throwable cause = failure.get();
        return new ShutdownException(s == State.NEW ? "server " + id + " not started"
                : cause != null ? "server " + id + " stopped after a fatal error: " + describe(cause)
                : "server " + id + " is shut down", cause);
    }

    /** A fatal error in one line: its message, or its type when it has none (an InternalError, say). */
    static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.toString() : m;
    }

    /** A raft or apply thread died: record why and shut down from another thread (close joins them). */
    private void onFatal(Throwable t) {
        if (failure.compareAndSet(null, t)) {
            Thread closer = new Thread(this::close, "raft-" + id + "-shutdown");
            closer.setDaemon(true);
            closer.start();
        }
    }

    /**
     * Graceful shutdown: new calls fail with {@link ShutdownException}; the raft thread finishes the turn in
     * progress (including its fsync) and stops; the apply thread applies what was already committed and stops;
     * proposals still pending fail with {@link OutcomeUnknownException}, reads with {@link ShutdownException};
     * the transport and the stores are closed. Idempotent; blocks until done, except when called from a future's
     * continuation running on the server's own raft or apply thread: then it only starts the shutdown.
     */
    @Override
    public void close() {
        Thread current = Thread.currentThread();
        if (current == raftThread || current == applyThread) {
            // Called from a future's continuation on one of our own threads: that thread cannot wait for itself,
            // and closing the log under its feet would be worse. Stop it from the outside instead.
            Thread closer = new Thread(this::close, "raft-" + id + "-shutdown");
            closer.setDaemon(true);
            closer.start();
            return;
        }
        closeFromOutside();
    }

    private synchronized void closeFromOutside() {
        State s = state.get();
        if (s == State.STOPPED) {
            return;
        }
        if (s == State.NEW) {
            state.set(State.STOPPED);
            return;
        }
        state.set(State.STOPPING);
        long timeoutMs = options.shutdownTimeout().toMillis();
        raftLoop.requestStop();
        join(raftThread, timeoutMs);
        disk.close();
        closeQuietly("transport", transport::close);
        applyLoop.requestStop();
        join(applyThread, timeoutMs);
        snapshotWriter.close(timeoutMs);
        raftLoop.closeTransfers();

        Throwable cause = failure.get();
        failQueued();
        raftLoop.failWaiting(cause);
        // Reads the raft thread handed over after the apply thread had stopped (or died on an apply error).
        applyLoop.failQueuedRequests();
        proposals.failAll(p -> new OutcomeUnknownException(p.index(), p.term(),
                "server " + id + " shut down before the entry was known to be applied", cause));
        if (raftThread.isAlive()) {
            // Stuck (a sync that does not return?): closing the stores under a thread that may still append or
            // save the hard state could tear them. Leave them to the process exit, which the OS makes clean.
            LOG.error("{}: the raft thread is still running; leaving the log and stores open", id);
        } else {
            closeQuietly("log store", log::close);
            closeQuietly("stable store", stable::close);
            closeQuietly("snapshot store", snapshots::close);
        }
        metrics.close();
        if (cause != null) {
            metrics.stoppedBy(describe(cause)); // outlives close(): the scrape must say why this server is gone
        }
        RaftStatus last = status;
        // Role null: a stopped server holds no role, whatever it held before (a monitor must never read "leader").
        status = new RaftStatus(last.id(), null, last.term(), last.leaderId(), last.commitIndex(),
                applyLoop.appliedIndex(), last.lastLogIndex(), last.members(), last.lastSnapshotIndex(), false,
                lastSnapshot.get(), last.joint());
        state.set(State.STOPPED);
        if (cause == null) {
            LOG.info("{}: stopped", id);
        } else {
            LOG.error("{}: stopped after a fatal error: {}", id, cause.toString());
        }
    }

    private void join(Thread t, long timeoutMs) {
        try {
            t.join(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            LOG.error("{}: thread {} did not stop within {} ms", id, t.getName(), timeoutMs);
        }
    }

    private interface Closer {
        void close() throws Exception;
    }

    private void closeQuietly(String what, Closer closer) {
        try {
            closer.close();
        } catch (Exception e) {
            LOG.error("{}: closing the {} failed", id, what, e);
        }
    }

    /** What the core is built from (see {@link RaftNode}'s constructor). */
    record CoreInit(String id, RaftOptions options, LogStore log, HardState hardState, SnapshotMeta snapshot,
                    Configuration bootstrap, Random random) {
    }

    /** Builds the core; tests substitute a scripted one. */
    @FunctionalInterface
    interface CoreFactory {
        ConsensusCore create(CoreInit init);

        CoreFactory RAFT_NODE = init -> new RaftNodeCore(new RaftNode(init.id(), init.options(), init.log(),
                init.hardState(), init.snapshot(), init.bootstrap(), init.random()));
    }

    /** Assembles a {@link RaftServer}. Stores, state machine and transport are required; the rest has defaults. */
    public static final class Builder {
        private final String id;
        private RaftOptions raftOptions = RaftOptions.defaults();
        private RaftServerOptions serverOptions = RaftServerOptions.defaults();
        private LogStore logStore;
        private StableStore stableStore;
        private SnapshotStore snapshotStore;
        private StateMachine stateMachine;
        private Transport transport;
        private Configuration bootstrap = Configuration.EMPTY;
        private MeterRegistry meterRegistry;
        private Random random;
        private CoreFactory coreFactory = CoreFactory.RAFT_NODE;
        private TraceSink traceSink = TraceSink.NONE;
        private DiskOptions disk = DiskOptions.none();

        private Builder(String id) {
            this.id = Objects.requireNonNull(id, "id");
            if (id.isBlank()) {
                throw new IllegalArgumentException("server id must not be blank");
            }
        }

        public Builder raftOptions(RaftOptions o) {
            this.raftOptions = Objects.requireNonNull(o);
            return this;
        }

        public Builder serverOptions(RaftServerOptions o) {
            this.serverOptions = Objects.requireNonNull(o);
            return this;
        }

        public Builder logStore(LogStore s) {
            this.logStore = s;
            return this;
        }

        public Builder stableStore(StableStore s) {
            this.stableStore = s;
            return this;
        }

        public Builder snapshotStore(SnapshotStore s) {
            this.snapshotStore = s;
            return this;
        }

        public Builder stateMachine(StateMachine sm) {
            this.stateMachine = sm;
            return this;
        }

        public Builder transport(Transport t) {
            this.transport = t;
            return this;
        }

        /** The initial configuration of a brand-new cluster; ignored once the log or a snapshot holds one. */
        public Builder bootstrap(Configuration c) {
            this.bootstrap = Objects.requireNonNull(c);
            return this;
        }

        /** Where the {@code raft.*} meters go; a private {@link SimpleMeterRegistry} if not set. */
        public Builder meterRegistry(MeterRegistry r) {
            this.meterRegistry = r;
            return this;
        }

        /** Randomness for election timeouts; seed it to reproduce a run. */
        public Builder random(Random r) {
            this.random = r;
            return this;
        }

        /**
         * Reports what the server does — role and term changes, votes with their reasons, appends, commits,
         * messages — to {@code sink} (e.g. a live event stream). Costs one volatile read per report while the sink
         * is not {@linkplain TraceSink#enabled() enabled}.
         */
        public Builder traceSink(TraceSink sink) {
            this.traceSink = Objects.requireNonNull(sink);
            return this;
        }

        /**
         * Which directories to watch for free space, the reserve, and the stall timeout; without it the server
         * watches stalls only (it does not know where its stores keep their files).
         */
        public Builder disk(DiskOptions d) {
            this.disk = Objects.requireNonNull(d);
            return this;
        }

        Builder coreFactory(CoreFactory f) {
            this.coreFactory = Objects.requireNonNull(f);
            return this;
        }

        /**
         * @throws IllegalArgumentException if the transport cannot reach a bootstrap member at its address (with the
         *                                  Netty transport: {@code Configuration.ofVoterIds} gives no addresses;
         *                                  use {@code Configuration.ofVoters} with {@code host:port} for each)
         */
        public RaftServer build() {
            if (transport != null) {
                bootstrap.members().forEach(transport::checkAddress); // else a new cluster might never elect (§5.2)
            }
            if (meterRegistry == null) {
                meterRegistry = new SimpleMeterRegistry();
            }
            if (random == null) {
                random = new Random();
            }
            return new RaftServer(this);
        }
    }
}
