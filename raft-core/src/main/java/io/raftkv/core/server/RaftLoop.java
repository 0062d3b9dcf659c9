package io.raftkv.core.server;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.Proposal;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.ReadState;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.SoftState;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.InstallSnapshotResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.storage.LogStore;
import io.raftkv.core.storage.NoSpaceException;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.storage.StableStore;
import io.raftkv.core.trace.TraceEmitter;
import io.raftkv.core.trace.TraceEvent;
import io.raftkv.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The raft thread: the only thread that touches the {@link ConsensusCore}. One loop turn:
 * <ol>
 *   <li>wait for an event, but no longer than until the next tick is due;</li>
 *   <li>fire the ticks that are due (first, so that the core's clock is current when it judges a lease read);</li>
 *   <li>drain <em>every</em> queued event (proposals, peer messages, reads) and feed them to the core;</li>
 *   <li>process one {@link Ready} in the order its javadoc states (using the relaxation it allows: committed
 *       entries go to the apply thread while the turn's fsync runs), then advance, then start snapshot
 *       transfers;</li>
 *   <li>publish a {@link RaftStatus}.</li>
 * </ol>
 * Because everything that queued up during one turn's fsync goes into the next turn's single append and sync,
 * the batch grows with the load: that is group commit, with no timer and no tuning.
 *
 * <p>Stopping is a flag plus a wake-up, never {@link Thread#interrupt()}: interrupting a thread inside
 * {@code FileChannel.force} closes the channel, which would turn a clean shutdown into a broken log.
 */
final class RaftLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(RaftLoop.class);
    /**
     * After a long stall (GC, slow disk, SIGSTOP) fire at most this many overdue ticks beyond one election timeout,
     * then resynchronise the clock. Never fewer than an election timeout: see {@link #tickIfDue}.
     */
    private static final int EXTRA_CATCH_UP_TICKS = 2;

    private final String id;
    private final ConsensusCore core;
    private final LogStore log;
    private final StableStore stable;
    private final Transport transport;
    private final BlockingQueue<RaftEvent> events;
    private final AtomicInteger queuedMessages;
    private final ApplyLoop apply;
    private final PendingProposals proposals;
    private final RaftMetrics metrics;
    private final RaftServerOptions options;
    private final SnapshotTransfers transfers;
    /** Last index covered by the newest snapshot taken or installed here (for the status). */
    private long lastSnapshotIndex;
    private final Consumer<RaftStatus> statusSink;
    private final Consumer<Throwable> onFatal;
    private final DiskGuard disk;
    /** When a leader out of disk space last tried to hand over leadership (System.nanoTime), or 0. */
    private long lastHandOffAttempt;

    /** Where client proposals go: proposed here, forwarded to the leader, or held for the next one. */
    private final ProposalRouter router;
    /** Linearizable reads: one read index per loop turn, held while no leader can answer. */
    private final ReadIndexBatcher reads;
    private final List<RaftEvent> batch = new ArrayList<>();
    /** This turn's proposals and ReadIndex reads, routed together after the turn's messages were stepped. */
    private final List<RaftEvent.Propose> turnProposals = new ArrayList<>();
    private final List<PendingRead> turnReads = new ArrayList<>();
    /** When the core's next tick is due (System.nanoTime); a due time in the past means its clock lags. */
    private long nextTick;
    /** Ticks fired so far; timeouts are checked in the turns that tick. */
    private long ticksFired;
    private volatile boolean stopRequested;
    private final LogActivity logActivity;
    /** Where this loop reports what it does (state, persists, appends, commits, ...); off unless someone watches. */
    private final TraceEmitter trace;
    /** The commit and applied indexes last reported to {@link #trace}. */
    private long tracedCommit = -1;
    private long tracedApplied = -1;

    // The last soft state seen, to log and count changes.
    private Role role;
    private long term;
    private String leaderId;
    private Configuration configuration;

    private RaftLoop(Builder b) {
        this.id = b.id;
        this.core = b.core;
        this.options = Objects.requireNonNull(b.options, "options");
        this.log = Objects.requireNonNull(b.log, "log");
        this.stable = Objects.requireNonNull(b.stable, "stable");
        this.disk = Objects.requireNonNull(b.disk, "disk");
        this.logActivity = Objects.requireNonNull(b.logActivity, "logActivity");
        this.transport = Objects.requireNonNull(b.transport, "transport");
        this.events = Objects.requireNonNull(b.events, "events");
        this.queuedMessages = Objects.requireNonNull(b.queuedMessages, "queuedMessages");
        this.apply = Objects.requireNonNull(b.apply, "apply");
        this.proposals = Objects.requireNonNull(b.proposals, "proposals");
        this.transfers = Objects.requireNonNull(b.transfers, "transfers");
        this.lastSnapshotIndex = b.lastSnapshotIndex;
        this.metrics = Objects.requireNonNull(b.metrics, "metrics");
        this.statusSink = Objects.requireNonNull(b.statusSink, "statusSink");
        this.onFatal = Objects.requireNonNull(b.onFatal, "onFatal");
        this.trace = b.trace;
        this.role = core.role();
        this.term = core.currentTerm();
        this.leaderId = core.leaderId();
        metrics.role(role, term);
        // A proposal or read may wait this long for a leader: two maximal election timeouts ([T, 2T) each, §5.2),
        // enough for a failed leader to be detected and replaced.
        long leaderWaitNanos = 4L * core.electionTimeoutTicks() * options.tickInterval().toNanos();
        long tickNanos = options.tickInterval().toNanos();
        this.router = new ProposalRouter(id, core, transport, proposals, metrics, leaderWaitNanos, tickNanos);
        this.reads = new ReadIndexBatcher(id, core, transport, apply, tickNanos);
    }

    /** Wires up a raft loop for server {@code id} around {@code core}; every part but the trace is required. */
    static Builder builder(String id, ConsensusCore core) {
        return new Builder(id, core);
    }

    /** What a raft loop works with, set by name (the parts are many, and each has one job). */
    static final class Builder {
        private final String id;
        private final ConsensusCore core;
        private RaftServerOptions options;
        private LogStore log;
        private StableStore stable;
        private DiskGuard disk;
        private LogActivity logActivity;
        private Transport transport;
        private BlockingQueue<RaftEvent> events;
        private AtomicInteger queuedMessages;
        private ApplyLoop apply;
        private PendingProposals proposals;
        private SnapshotTransfers transfers;
        private long lastSnapshotIndex;
        private RaftMetrics metrics;
        private Consumer<RaftStatus> statusSink;
        private Consumer<Throwable> onFatal;
        private TraceEmitter trace = TraceEmitter.OFF;

        private Builder(String id, ConsensusCore core) {
            this.id = Objects.requireNonNull(id, "id");
            this.core = Objects.requireNonNull(core, "core");
        }

        Builder options(RaftServerOptions o) {
            this.options = o;
            return this;
        }

        /**
         * Where the loop persists: the log (with {@code activity}, which tells the snapshot writer when the log is
         * busy), term and vote, each write bracketed by {@code disk} (free space and stalls).
         */
        Builder storage(LogStore log, StableStore stable, DiskGuard disk, LogActivity activity) {
            this.log = log;
            this.stable = stable;
            this.disk = disk;
            this.logActivity = activity;
            return this;
        }

        Builder transport(Transport t) {
            this.transport = t;
            return this;
        }

        /**
         * The queue other threads hand work to this loop through, and the number of inbound messages in it (the
         * server drops messages beyond {@code maxQueuedMessages}; the loop counts down what it takes).
         */
        Builder inbox(BlockingQueue<RaftEvent> events, AtomicInteger queuedMessages) {
            this.events = events;
            this.queuedMessages = queuedMessages;
            return this;
        }

        /**
         * Where work goes from here: committed entries and reads to the apply thread, proposals waiting for their
         * entry, snapshot chunks to and from followers.
         */
        Builder handOffTo(ApplyLoop apply, PendingProposals proposals, SnapshotTransfers transfers) {
            this.apply = apply;
            this.proposals = proposals;
            this.transfers = transfers;
            return this;
        }

        /** Last index of the snapshot the server starts from (0 if none), for the status and compaction. */
        Builder lastSnapshotIndex(long index) {
            this.lastSnapshotIndex = index;
            return this;
        }

        /** Where the loop reports: meters, a status each turn, and the error that stops it. */
        Builder reportTo(RaftMetrics metrics, Consumer<RaftStatus> statusSink, Consumer<Throwable> onFatal) {
            this.metrics = metrics;
            this.statusSink = statusSink;
            this.onFatal = onFatal;
            return this;
        }

        /** Reports what the loop does (state, persists, appends, commits, ...) to {@code emitter}; off by default. */
        Builder trace(TraceEmitter emitter) {
            this.trace = Objects.requireNonNull(emitter);
            return this;
        }

        RaftLoop build() {
            return new RaftLoop(this);
        }
    }

    /** Asks the loop to stop after the turn in progress (which finishes its fsync). Any thread. */
    void requestStop() {
        stopRequested = true;
        events.offer(RaftEvent.Wakeup.INSTANCE);
    }

    @Override
    public void run() {
        long interval = options.tickInterval().toNanos();
        try {
            updatePeersIfChanged();
            publishStatus();
            // The clock starts after the first turn: a cold JVM can spend a few hundred ms in it (class loading).
            nextTick = System.nanoTime() + interval;
            while (!stopRequested) {
                core.reportApplied(apply.appliedIndex()); // a slow state machine holds back the apply backlog
                // A Ready left over (advance can make more work, e.g. a leader's own fsync completing a quorum)
                // must not wait for the next tick.
                long waitNanos = core.hasReady() ? 0 : nextTick - System.nanoTime();
                RaftEvent first = waitNanos > 0 ? events.poll(waitNanos, TimeUnit.NANOSECONDS) : events.poll();
                // Ticks first: after a stall the core must learn how much time passed before it judges anything
                // queued meanwhile (a lease read above all).
                long ticksBefore = ticksFired;
                nextTick = tickIfDue(nextTick, interval);
                if (first != null) {
                    batch.add(first);
                    events.drainTo(batch);
                    for (RaftEvent e : batch) {
                        handle(e);
                    }
                    batch.clear();
                }
                // After the turn's messages: proposals and reads go where the core now says the leader is, as one
                // batch each (one ForwardRequest, one ReadIndex round for the whole turn).
                routeTurn();
                if (ticksFired != ticksBefore) {
                    // After the queued events: an answer that arrived during a stall must count before its request
                    // is declared timed out (a read failed for nothing, a snapshot chunk sent twice).
                    long now = System.nanoTime();
                    reads.expire(now);
                    router.expire(now);
                    transfers.expire(now);
                }
                handOffLeadershipIfOutOfSpace();
                if (core.hasReady()) {
                    processReady(core.ready());
                    // A leader learned in this Ready takes what was held for it now, not at the next tick.
                    router.flush();
                    reads.flush();
                }
                updatePeersIfChanged();
                publishStatus();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            onFatal.accept(e);
        } catch (StoppedWaitingForSpace e) {
            LOG.warn("{}: stopped while waiting for disk space; the unwritten entries were never acknowledged", id);
        } catch (Throwable t) {
            // Storage failed (or the core hit a bug): going on could ack what is not durable. Stop.
            LOG.error("{}: raft thread failed in term {}; stopping the server", id, term, t);
            onFatal.accept(t);
        }
    }

    private void handle(RaftEvent e) throws IOException {
        if (stopRequested && e.failWith(new ShutdownException("server is shutting down", null))) {
            return; // a request that reaches a stopping loop is not started
        }
        if (e instanceof RaftEvent.Inbound in) {
            queuedMessages.decrementAndGet();
            if (!stopRequested) {
                trace.received(in.message());
                core.step(in.message());
                // The core handles the terms of InstallSnapshot messages; the bytes are the driver's business.
                if (in.message() instanceof InstallSnapshotRequest r) {
                    transfers.onRequest(r);
                } else if (in.message() instanceof InstallSnapshotResponse r) {
                    transfers.onResponse(r);
                }
            }
        } else if (e instanceof RaftEvent.SnapshotTaken t) {
            onSnapshotTaken(t.meta());
        } else if (e instanceof RaftEvent.Propose p) {
            propose(p);
        } else if (e instanceof RaftEvent.ProposeAll all) {
            all.proposals().forEach(this::propose);
        } else if (e instanceof RaftEvent.Read r) {
            read(r);
        } else if (e instanceof RaftEvent.ReadAll all) {
            all.reads().forEach(this::read);
        } else if (e instanceof RaftEvent.ChangeMembership c) {
            changeMembership(c);
        } else if (e instanceof RaftEvent.TransferLeadership t) {
            transferLeadership(t);
        } else if (e != RaftEvent.Wakeup.INSTANCE) {
            // A new kind of event without a branch here would leave its caller waiting forever: fail loudly.
            throw new IllegalStateException(id + ": the raft loop has no handler for " + e.getClass().getName());
        }
        // Wakeup: nothing to do; the loop re-checks the stop flag.
    }

    private void propose(RaftEvent.Propose p) {
        if (p.future().isDone()) {
            return; // the caller gave up (cancelled, timed out) before it was proposed: nothing to do
        }
        turnProposals.add(p);
    }

    private void routeTurn() {
        if (!turnProposals.isEmpty()) {
            router.route(turnProposals);
            turnProposals.clear();
        } else {
            router.flush();
        }
        if (!turnReads.isEmpty()) {
            reads.route(turnReads);
            turnReads.clear();
        } else {
            reads.flush();
        }
    }

    /**
     * A snapshot is durable: the core stops relying on the entries it covers, and the log store may drop them,
     * keeping {@code snapshotTrailingEntries} behind it (§7).
     */
    private void onSnapshotTaken(SnapshotMeta meta) throws IOException {
        if (meta.lastIncludedIndex() <= lastSnapshotIndex) {
            return;
        }
        try {
            core.compact(meta);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // E.g. a snapshot from the leader was installed meanwhile and replaced our log; ours is moot.
            LOG.warn("{}: not compacting to the snapshot at {}: {}", id, meta.lastIncludedIndex(), e.getMessage());
            return;
        }
        lastSnapshotIndex = meta.lastIncludedIndex();
        trace.snapshot(TraceEvent.SnapshotOrigin.TAKEN, meta.lastIncludedIndex(), meta.lastIncludedTerm(), -1);
        long upTo = meta.lastIncludedIndex() - options.snapshotTrailingEntries();
        if (upTo >= log.firstIndex()) {
            disk.begin(DiskOptions.LOG, "compaction");
            try {
                log.compactPrefix(upTo);
            } finally {
                disk.end();
            }
        }
    }

    private void changeMembership(RaftEvent.ChangeMembership c) {
        try {
            Proposal at = core.changeMembership(c.change());
            proposals.register(at, c.future(), c.startNanos());
            LOG.info("{}: proposed {} at index {} in term {}", id, c.change(), at.index(), at.term());
        } catch (NotLeaderException | ProposalRejectedException ex) {
            c.future().completeExceptionally(ex);
        }
    }

    private void transferLeadership(RaftEvent.TransferLeadership t) {
        try {
            core.transferLeadership(t.target());
            trace.transfer(t.target());
            LOG.info("{}: transferring leadership to {} in term {}", id, t.target() == null ? "the most up-to-date voter"
                    : t.target(), core.currentTerm());
            t.future().complete(null);
        } catch (NotLeaderException | ProposalRejectedException ex) {
            t.future().completeExceptionally(ex);
        }
    }

    private void read(RaftEvent.Read r) {
        if (r.level() == ReadLevel.LEASE) {
            long index = leaseReadIndex();
            if (index >= 0) {
                apply.awaitRead(index, r.read());
                return;
            }
        }
        turnReads.add(r.read());
    }

    /**
     * The index a lease read may be served at, or -1 if the lease cannot be used. Thesis §6.4.1: while the lease
     * holds no other leader can have committed anything, so the commit index is current without a round trip.
     * But as in §6.4 step 1, a new leader's commit index may lag its predecessor's until it commits an entry of its
     * own term; until then fall back to ReadIndex.
     */
    private long leaseReadIndex() {
        // The lease is counted in ticks. If a tick is overdue, the raft thread stalled (GC, SIGSTOP) and the core's
        // clock is behind real time: the lease may have run out meanwhile and another leader been elected (§6.4.1
        // bounds clock drift, not pauses). Take the ReadIndex path until the ticks have caught up.
        if (System.nanoTime() - nextTick >= 0) {
            return -1;
        }
        if (core.role() != Role.LEADER || !core.leaseValid()) {
            return -1;
        }
        long commit = core.commitIndex();
        if (core.termAt(commit) != core.currentTerm()) {
            return -1;
        }
        // Checked again after the commit index was read: a pause between the first check and that read could
        // outlast the lease, and a new leader commit writes meanwhile. With no tick overdue now, the lease held at
        // a moment after the read arrived and after commit was read: that moment is the read's linearization point.
        return System.nanoTime() - nextTick >= 0 ? -1 : commit;
    }

    /**
     * Fires the ticks that are due. After a stall it fires at least an election timeout's worth before skipping
     * ahead, so that a stall longer than an election timeout also looks that long to the core: a leader's lease
     * expires (§6.4.1) and check-quorum makes it step down (§6.2) instead of believing it still leads. (Skipping
     * with fewer ticks would leave a lease alive that real time has already ended.)
     */
    private long tickIfDue(long dueAt, long interval) throws IOException {
        long now = System.nanoTime();
        int maxCatchUp = core.electionTimeoutTicks() + EXTRA_CATCH_UP_TICKS;
        int fired = 0;
        long due = dueAt;
        while (now - due >= 0) {
            if (fired == maxCatchUp) {
                LOG.warn("{}: raft thread stalled for over {} ticks; skipping ahead", id, maxCatchUp);
                due = now + interval;
                break;
            }
            core.tick();
            fired++;
            due += interval;
        }
        ticksFired += fired;
        return due;
    }

    /** One Ready, in the order {@link Ready}'s javadoc states; the step numbers below are its. */
    private void processReady(Ready rd) throws IOException {
        // Step 7 (in part). Where the leader put our forwarded batches: registered before this Ready's committed
        // entries reach the apply thread, which completes each proposal when it applies the entry at its index.
        if (!rd.forwardResults().isEmpty()) {
            router.onResults(rd.forwardResults());
        }
        // Step 1. Thesis §10.2.1: the leader's AppendEntries leave before its own fsync, so the followers' disks and
        //    the leader's work in parallel; the core counts the leader in a quorum only after its sync (advance).
        if (!rd.earlyMessages().isEmpty()) {
            transport.sendAll(rd.earlyMessages());
        }
        // Step 2. Term and vote are durable before any message of this term leaves (Election Safety, §5.2).
        if (rd.hardState() != null) {
            long t0 = System.nanoTime();
            writeWaitingForSpace(DiskOptions.HARD_STATE, "save", () -> stable.save(rd.hardState()));
            metrics.recordNanos(metrics.hardStateSaveLatency, t0);
            trace.persisted(rd.hardState());
        }
        // Step 3. A snapshot from the leader that conflicts with our log replaces it (§7). The reset comes before
        // this Ready's entries, which may already continue after the snapshot's last index.
        Ready.SnapshotInstall install = rd.snapshotToInstall();
        if (install != null) {
            if (install.discardLog()) {
                writeWaitingForSpace(DiskOptions.LOG, "reset to a snapshot", () -> {
                    log.reset(install.meta().lastIncludedIndex(), install.meta().lastIncludedTerm());
                    if (rd.entries().isEmpty()) {
                        log.sync();
                    }
                });
            }
            // The state machine's restore is queued after the entries handed out before and before this Ready's
            // committed entries, which may continue after the snapshot (the apply thread skips any at or below it
            // as already applied).
            apply.restore(install.meta());
            lastSnapshotIndex = Math.max(lastSnapshotIndex, install.meta().lastIncludedIndex());
            trace.snapshot(TraceEvent.SnapshotOrigin.INSTALLED, install.meta().lastIncludedIndex(),
                    install.meta().lastIncludedTerm(), -1);
        }
        // Steps 6 and 7 before step 4 (the relaxation in Ready's javadoc): committed entries are already durable
        // here (the core hands out only entries at or below the locally synced index) and a read index does not
        // depend on this node's log, so the apply thread answers them while this turn's fsync runs. Otherwise an
        // answer would wait for the fsync of the entries proposed after it: one more fsync of latency per request
        // under load. A turn that installs a snapshot keeps the strict order.
        boolean applyDuringSync = install == null;
        if (applyDuringSync) {
            handOut(rd);
        }
        // Step 4. Entries are durable before a follower acknowledges them (§5.3), with one append and one sync.
        if (!rd.entries().isEmpty()) {
            persist(rd.entries());
        }
        // Step 5. Messages that acknowledge what was just persisted (votes, AppendEntries responses).
        if (!rd.messages().isEmpty()) {
            transport.sendAll(rd.messages());
        }
        if (!applyDuringSync) {
            handOut(rd);
        }
        if (rd.softState() != null) {
            onSoftState(rd.softState());
        }
        core.advance(rd);
        // Step 8. Followers whose next entries were compacted get the snapshot. After advance: starting a transfer
        //    may report back to the core at once, and nothing may touch the core between ready() and advance().
        if (!rd.snapshotsToSend().isEmpty()) {
            transfers.send(rd.snapshotsToSend());
        }
    }

    private void handOut(Ready rd) {
        // Step 6. Committed entries go to the apply thread; the raft thread never waits for the state machine.
        if (!rd.committedEntries().isEmpty()) {
            apply.submit(rd.committedEntries());
            metrics.commits.increment(rd.committedEntries().size());
        }
        // Step 7. Reads whose read index is now known wait on the apply thread for the state machine to catch up.
        for (ReadState rs : rd.readStates()) {
            reads.resolve(rs);
        }
    }

    private void persist(List<LogEntry> entries) throws IOException {
        disk.begin(DiskOptions.LOG, "append and sync");
        trace.appending(entries, log.lastIndex());
        try {
            // §5.3: an entry that conflicts with a new one is deleted with all that follow. (Raft never truncates a
            // committed entry: Leader Completeness, §5.4.)
            try {
                log.appendReplacing(entries);
            } catch (NoSpaceException e) {
                // Nothing unsynced is lost by waiting: the log kept a prefix of the batch (NoSpaceException's
                // contract) and nothing of it was acknowledged yet. Retry the rest once space is back.
                retryUntilSpace(DiskOptions.LOG, e, () -> appendNotYetHeld(entries));
            }
            long t0 = System.nanoTime();
            logActivity.syncStarting();
            try {
                log.sync(); // a failed sync is never retried (the kernel may have dropped the pages): it is fatal
            } finally {
                logActivity.syncEnded(System.nanoTime());
            }
            metrics.recordNanos(metrics.logSyncLatency, t0);
            metrics.syncBatchEntries.record(entries.size());
        } finally {
            disk.end();
        }
    }

    /**
     * Appends what the log does not hold yet of {@code entries} after a write that found no space: it may hold a
     * prefix of them already. An entry it holds with the same index and term is the same entry (Log Matching,
     * §5.3); from the first one it lacks or holds with another term, append, replacing the conflicting suffix.
     */
    private void appendNotYetHeld(List<LogEntry> entries) throws IOException {
        int held = 0;
        while (held < entries.size()) {
            LogEntry e = entries.get(held);
            if (e.index() > log.lastIndex() || e.index() < log.firstIndex() || log.term(e.index()) != e.term()) {
                break;
            }
            held++;
        }
        log.appendReplacing(entries.subList(held, entries.size()));
    }

    /** A disk write of the raft thread. */
    private interface DiskWrite {
        void run() throws IOException;
    }

    /** Brackets a disk operation for the stall watch; a write that found no space waits for space and retries. */
    private void writeWaitingForSpace(String store, String operation, DiskWrite write) throws IOException {
        disk.begin(store, operation);
        try {
            try {
                write.run();
            } catch (NoSpaceException e) {
                retryUntilSpace(store, e, write);
            }
        } finally {
            disk.end();
        }
    }

    /**
     * A store found no space for a write, and promised that nothing it relies on was damaged ({@link
     * NoSpaceException}). Giving up would stop the server over something an operator fixes in minutes, so the raft
     * thread waits and retries, raising the alarm meanwhile. Waiting blocks the raft thread like a stalled disk:
     * after the stall timeout the server falls silent, and a leader is replaced (see {@link StallFence}).
     */
    private void retryUntilSpace(String store, NoSpaceException first, DiskWrite write) throws IOException {
        NoSpaceException last = first;
        while (true) {
            disk.writeFailedForSpace(store, last);
            try {
                Thread.sleep(NO_SPACE_RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for disk space");
            }
            if (stopRequested) {
                throw new StoppedWaitingForSpace();
            }
            try {
                write.run();
                disk.writeSucceeded();
                return;
            } catch (NoSpaceException again) {
                last = again;
            }
        }
    }

    private static final long NO_SPACE_RETRY_MILLIS = 100;

    /** Thrown out of a wait for disk space when the server is asked to stop. */
    private static final class StoppedWaitingForSpace extends RuntimeException {
        StoppedWaitingForSpace() {
            super(null, null, false, false);
        }
    }

    /**
     * A leader whose disk is below its reserve cannot take writes; rather than keep a cluster that could write
     * without it leaderless for writes, it hands leadership to the most up-to-date voter (thesis §3.10), which
     * catches it up first. At most once per two maximal election timeouts (a transfer is abandoned after one):
     * when every voter is short of space, leadership must not circle between them. If no other voter exists it
     * stays leader, refusing writes and serving reads.
     */
    private void handOffLeadershipIfOutOfSpace() {
        DiskAlarm.NoSpace alarm = disk.noSpace();
        if (alarm == null || core.role() != Role.LEADER || stopRequested) {
            return;
        }
        long now = System.nanoTime();
        long backoff = options.tickInterval().toNanos() * core.electionTimeoutTicks() * 4;
        if (lastHandOffAttempt != 0 && now - lastHandOffAttempt < backoff) {
            return;
        }
        lastHandOffAttempt = now;
        try {
            core.transferLeadership(null);
            LOG.warn("{}: out of disk space ({}); handing leadership to another voter", id, alarm.message());
        } catch (NotLeaderException | ProposalRejectedException e) {
            LOG.warn("{}: out of disk space but cannot hand leadership over: {}", id, e.getMessage());
        }
    }

    private void onSoftState(SoftState ss) {
        trace.state(ss);
        if (ss.term() != term) {
            LOG.info("{}: term {} -> {}", id, term, ss.term());
        }
        if (ss.role() != role) {
            LOG.info("{}: {} -> {} in term {}{}", id, role == null ? "none" : role.lowerName(), ss.role().lowerName(),
                    ss.term(), ss.leaderId() == null ? "" : " (leader " + ss.leaderId() + ")");
            // A fast election (e.g. a single voter) can pass through CANDIDATE between two Readys: count a
            // leadership reached without us seeing the candidacy as an election too.
            if (ss.role() == Role.CANDIDATE || (ss.role() == Role.LEADER && role != Role.CANDIDATE)) {
                metrics.elections.increment();
            }
        } else if (ss.leaderId() != null && !ss.leaderId().equals(leaderId)) {
            LOG.info("{}: leader is {} in term {}", id, ss.leaderId(), ss.term());
        }
        if (ss.leaderId() != null && !ss.leaderId().equals(leaderId)) {
            metrics.leaderChanges.increment();
        }
        if (role == Role.LEADER && (ss.role() != Role.LEADER || ss.term() != term)) {
            failUncommittedProposals(ss);
            transfers.abortSending();
        }
        if (ss.term() != term || !java.util.Objects.equals(ss.leaderId(), leaderId)) {
            router.onLeaderChange(ss.leaderId(), ss.term());
        }
        role = ss.role();
        term = ss.term();
        leaderId = ss.leaderId();
        metrics.role(role, term);
    }

    /**
     * Leadership was lost. Entries at or below the commit index are committed and will reach the apply thread,
     * which decides them; for the rest nobody here will learn the outcome: a new leader may commit them (§5.4.2)
     * or overwrite them (§5.3).
     */
    private void failUncommittedProposals(SoftState now) {
        long commit = core.commitIndex();
        long newTerm = now.term();
        boolean stillLeader = now.role() == Role.LEADER;
        proposals.failIf(p -> p.index() > commit && (!stillLeader || p.term() < newTerm),
                p -> new OutcomeUnknownException(p.index(), p.term(), "leadership lost in term " + p.term()
                        + " before the entry was known to be committed", null));
    }

    private void updatePeersIfChanged() {
        Configuration now = core.configuration();
        if (now != null && !now.equals(configuration)) {
            List<Member> peers = new ArrayList<>();
            for (Member m : now.members()) {
                if (!m.id().equals(id)) {
                    peers.add(m);
                }
            }
            transport.updatePeers(peers);
            if (configuration != null) {
                LOG.info("{}: configuration {} -> {}", id, configuration, now);
            }
            trace.configuration(configuration, now, core.configurationIndex());
            configuration = now;
        }
    }

    private void publishStatus() {
        boolean leader = core.role() == Role.LEADER;
        long lastLogIndex = core.lastLogIndex();
        Map<String, Long> match = leader ? core.matchIndexes() : Map.of();
        Map<String, Long> next = leader ? core.nextIndexes() : Map.of();
        List<RaftStatus.MemberStatus> members = new ArrayList<>();
        if (configuration != null) {
            for (Member m : configuration.members()) {
                Long matchIndex = null;
                if (leader) {
                    matchIndex = match.containsKey(m.id()) ? match.get(m.id())
                            : m.id().equals(id) ? Long.valueOf(lastLogIndex) : null;
                }
                members.add(new RaftStatus.MemberStatus(m.id(), m.address(), m.voter(), matchIndex, next.get(m.id())));
            }
        }
        long commit = core.commitIndex();
        if (trace.on()) {
            traceProgress(commit);
        }
        metrics.commitIndex(commit);
        metrics.replication(lastLogIndex, match, id);
        statusSink.accept(new RaftStatus(id, core.role(), core.currentTerm(), core.leaderId(), commit,
                apply.appliedIndex(), lastLogIndex, members, lastSnapshotIndex, true, null,
                RaftStatus.JointConfiguration.of(configuration)));
    }

    /** Reports commit and apply moves since the last turn, and a whole view when the sink asks for one. */
    private void traceProgress(long commit) {
        if (trace.viewWanted()) {
            trace.view(core.role(), core.currentTerm(), core.votedFor(), core.leaderId(), commit, apply.appliedIndex(),
                    core.lastLogIndex(), core.snapshotIndex(), core::termAt, configuration);
        }
        if (commit != tracedCommit) {
            trace.committed(commit);
            tracedCommit = commit;
        }
        long applied = apply.appliedIndex();
        if (applied != tracedApplied) {
            trace.applied(applied);
            tracedApplied = applied;
        }
    }

    /** After the thread stopped: abandon snapshot transfers (an unfinished download is discarded). */
    void closeTransfers() {
        transfers.close();
    }

    /**
     * After the thread stopped: fail the reads still waiting for a read index, and the proposals held for a leader
     * or forwarded without an answer.
     */
    void failWaiting(Throwable cause) {
        reads.failAll(cause);
        router.failAll(cause);
        for (RaftEvent.Propose p : turnProposals) {
            p.future().completeExceptionally(new ShutdownException("server stopped before the proposal was routed",
                    cause));
        }
        turnProposals.clear();
        for (PendingRead read : turnReads) {
            read.future().completeExceptionally(new ShutdownException("server stopped before the read was routed",
                    cause));
        }
        turnReads.clear();
    }
}
