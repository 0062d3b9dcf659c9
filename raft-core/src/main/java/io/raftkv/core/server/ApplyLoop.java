package io.raftkv.core.server;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.storage.SnapshotStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The apply thread: feeds committed entries to the {@link StateMachine} in index order, exactly once each
 * (State Machine Safety, §5.4.3), completes the proposers' futures with the results, and answers reads once the
 * state machine has caught up with their read index (thesis §6.4 step 4). When a snapshot is taken is
 * {@link SnapshotPolicy}'s decision; this thread supplies what it records and the capture.
 *
 * <p>The raft thread hands work over with {@link #submit} and {@link #awaitRead} and never waits for it, so a
 * slow state machine delays applies, not elections or replication. Futures complete on this thread: callers
 * should attach heavy continuations with the {@code *Async} variants.
 */
final class ApplyLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ApplyLoop.class);

    private sealed interface Task {
    }

    private record Committed(List<LogEntry> entries) implements Task {
    }

    private record AwaitRead(long readIndex, PendingRead read) implements Task {
    }

    /** Reads that share one read index (one ReadIndex round for a whole loop turn). */
    private record AwaitReads(long readIndex, List<PendingRead> reads) implements Task {
    }

    private record Restore(SnapshotMeta meta) implements Task {
    }

    private enum Stop implements Task {
        INSTANCE
    }

    /** {@link RaftServer#takeSnapshot()}: a snapshot now, whatever the thresholds say. */
    private record TakeSnapshot(CompletableFuture<SnapshotInfo> future) implements Task {
    }

    /** The snapshot writer finished: a threshold crossed while it was busy can be served now. */
    private enum CheckSnapshot implements Task {
        INSTANCE
    }

    private final String id;
    private final StateMachine stateMachine;
    private final PendingProposals proposals;
    private final RaftMetrics metrics;
    private final int batchSize;
    private final Consumer<Throwable> onFatal;
    private final LinkedBlockingQueue<Task> tasks = new LinkedBlockingQueue<>();
    /** Reads whose read index is not applied yet, lowest index first. Apply thread only. */
    private final PriorityQueue<AwaitRead> waiting = new PriorityQueue<>(Comparator.comparingLong(AwaitRead::readIndex));
    private static final long READ_EXPIRY_CHECK_MS = 20;
    /** When {@link #expireReads} next looks at the waiting reads (System.nanoTime). Apply thread only. */
    private long nextReadExpiryCheck;
    /** lastApplied (Figure 2); written by the apply thread only. */
    private volatile long appliedIndex;

    // What a snapshot taken now would record (§7, thesis §5.4): the term of the last applied entry and the
    // configuration as of it. Apply thread only.
    private final SnapshotStore snapshots;
    /** When to take a snapshot; it reads what one would record through {@link #appliedState}. */
    private final SnapshotPolicy snapshotPolicy;
    private long appliedTerm;
    private Configuration appliedConfiguration;
    /** Index of the entry (or snapshot) {@link #appliedConfiguration} came from: it only moves forward. */
    private long appliedConfigurationIndex;
    /** Callers of {@link RaftServer#reconfigure} waiting for C_new to be applied. */
    private final JointChangeWaiters jointChangeWaiters;
    /** This thread's view for {@link #snapshotPolicy}: read on the apply thread only. */
    private final SnapshotPolicy.AppliedState appliedState = new SnapshotPolicy.AppliedState() {
        @Override
        public long index() {
            return appliedIndex;
        }

        @Override
        public long term() {
            return appliedTerm;
        }

        @Override
        public Configuration configuration() {
            return appliedConfiguration;
        }

        @Override
        public StateMachine.Snapshot capture() {
            return stateMachine.snapshot();
        }
    };

    ApplyLoop(String id, StateMachine stateMachine, PendingProposals proposals, RaftMetrics metrics, int batchSize,
              SnapshotMeta snapshot, Configuration bootstrap, SnapshotStore snapshots, SnapshotWriter writer,
              long snapshotThreshold, long snapshotBytesThreshold, Consumer<Throwable> onFatal) {
        this.id = id;
        this.stateMachine = stateMachine;
        this.proposals = proposals;
        this.metrics = metrics;
        this.batchSize = batchSize;
        this.appliedIndex = stateMachine.lastAppliedIndex();
        this.snapshots = snapshots;
        this.snapshotPolicy = new SnapshotPolicy(id, writer, snapshotThreshold, snapshotBytesThreshold,
                snapshot.lastIncludedIndex(), () -> tasks.add(CheckSnapshot.INSTANCE));
        // If the state machine is ahead of the snapshot (it persists itself), the term of its last entry is
        // unknown until the core hands that entry out again; -1 blocks snapshots until then.
        this.appliedTerm = appliedIndex == snapshot.lastIncludedIndex() ? snapshot.lastIncludedTerm() : -1;
        this.appliedConfiguration = snapshot.configuration().members().isEmpty() ? bootstrap : snapshot.configuration();
        this.appliedConfigurationIndex = snapshot.lastIncludedIndex();
        this.jointChangeWaiters = new JointChangeWaiters(appliedConfiguration);
        this.onFatal = onFatal;
    }

    /** Raft thread: these entries are committed and durable locally; apply them after everything submitted before. */
    void submit(List<LogEntry> committed) {
        tasks.add(new Committed(committed));
    }

    /** Raft thread: answer {@code read} once {@code readIndex} is applied. */
    void awaitRead(long readIndex, PendingRead read) {
        tasks.add(new AwaitRead(readIndex, read));
    }

    /** Raft thread: answer every read of {@code reads} once {@code readIndex} is applied (one hand-off for all). */
    void awaitReads(long readIndex, List<PendingRead> reads) {
        tasks.add(new AwaitReads(readIndex, reads));
    }

    /**
     * Raft thread: replace the state with the snapshot {@code meta} from the leader (§7), after everything
     * submitted before. The snapshot is already durable in the snapshot store.
     */
    void restore(SnapshotMeta meta) {
        tasks.add(new Restore(meta));
    }

    /**
     * Any thread: take a snapshot as soon as the entries submitted before are applied. Completes once it is
     * durable, or fails with {@link SnapshotRejectedException} (one is being written, nothing new to cover, not
     * ready), with the write's error, or with {@link ShutdownException}.
     */
    void takeSnapshot(CompletableFuture<SnapshotInfo> future) {
        tasks.add(new TakeSnapshot(future));
    }

    /**
     * Any thread, once the server is stopping (or the apply thread has died): answers the snapshot requests and
     * reads still queued, so that none is left hanging whatever the order of the hand-over and the stop. Leaves
     * committed entries and restores in place.
     */
    void failQueuedRequests() {
        List<Task> left = new ArrayList<>();
        tasks.removeIf(t -> {
            if (t instanceof TakeSnapshot || t instanceof AwaitRead || t instanceof AwaitReads) {
                left.add(t);
                return true;
            }
            return false;
        });
        failRequests(left);
        jointChangeWaiters.failAll(new ShutdownException(id + ": server stopped before the joint change ended here", null));
    }

    /**
     * Any thread, once this caller's C_old,new entry was applied: completes with C_new once it is applied here
     * (§6: the leader appends it by itself after C_old,new commits), with {@link ShutdownException} if the server
     * stops first.
     */
    CompletableFuture<Configuration> awaitJointChangeEnd() {
        return jointChangeWaiters.awaitSimple();
    }

    private void failRequests(List<Task> left) {
        for (Task t : left) {
            if (t instanceof TakeSnapshot ts) {
                ts.future().completeExceptionally(new ShutdownException(id + ": server stopped before the snapshot", null));
            } else if (t instanceof AwaitRead r) {
                r.read().future().completeExceptionally(
                        new ShutdownException(id + ": server stopped before the read was served", null));
            } else if (t instanceof AwaitReads rs) {
                for (PendingRead read : rs.reads()) {
                    read.future().completeExceptionally(
                            new ShutdownException(id + ": server stopped before the read was served", null));
                }
            }
        }
    }

    /** Writer thread, before it reports itself idle: the snapshot at {@code index} is durable. */
    void snapshotDurable(long index) {
        snapshotPolicy.durable(index);
    }

    /** Applies everything submitted so far, then stops. */
    void requestStop() {
        tasks.add(Stop.INSTANCE);
    }

    long appliedIndex() {
        return appliedIndex;
    }

    @Override
    public void run() {
        List<Task> batch = new ArrayList<>();
        boolean stop = false;
        try {
            while (!stop) {
                // With reads waiting, wake up now and then even if nothing arrives (a partitioned follower), so
                // that their deadlines are kept.
                Task first = waiting.isEmpty() ? tasks.take() : tasks.poll(READ_EXPIRY_CHECK_MS, TimeUnit.MILLISECONDS);
                if (first != null) {
                    batch.add(first);
                    tasks.drainTo(batch);
                }
                for (int i = 0; i < batch.size() && !stop; i++) {
                    Task t = batch.get(i);
                    if (t instanceof Committed c) {
                        applyAll(c.entries());
                        snapshotPolicy.maybeStart(appliedState);
                    } else if (t == CheckSnapshot.INSTANCE) {
                        snapshotPolicy.maybeStart(appliedState);
                    } else if (t instanceof Restore r) {
                        restoreFrom(r.meta());
                    } else if (t instanceof AwaitRead r) {
                        waiting.add(r);
                    } else if (t instanceof AwaitReads rs) {
                        for (PendingRead read : rs.reads()) {
                            waiting.add(new AwaitRead(rs.readIndex(), read));
                        }
                    } else if (t instanceof TakeSnapshot ts) {
                        snapshotPolicy.onDemand(appliedState, ts.future());
                    } else {
                        stop = true;
                        failRequests(batch.subList(i + 1, batch.size()));
                    }
                }
                batch.clear();
                serveReads();
                expireReads();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            onFatal.accept(e);
        } catch (Throwable t) {
            // An exception from StateMachine.apply means this server cannot go on deterministically (its state
            // would diverge from the others'); stop it rather than skip the entry.
            LOG.error("{}: apply thread failed at applied index {}; stopping the server", id, appliedIndex, t);
            onFatal.accept(t);
        } finally {
            failRequests(new ArrayList<>(waiting));
            waiting.clear();
            failRequests(batch); // after a failure: the rest of its batch (completed futures ignore it)
            failQueuedRequests(); // and what the raft thread queued behind it
            batch.clear();
        }
    }

    private void applyAll(List<LogEntry> entries) {
        long applied = appliedIndex;
        int sinceServed = 0;
        for (LogEntry e : entries) {
            // Before the skip below: a state machine that persists itself may be ahead of the snapshot, and the
            // configurations in between must still count. But never backwards: entries a restored newer snapshot
            // already covers (queued before its Restore) must not replace the configuration it carried (§7).
            if (e.type() == EntryType.CONFIGURATION && e.index() > appliedConfigurationIndex) {
                appliedConfiguration = Configuration.decode(e.data());
                appliedConfigurationIndex = e.index();
                jointChangeWaiters.applied(appliedConfiguration);
            }
            if (e.index() <= applied) {
                // Already in the state machine: restored from a snapshot, or a persistent state machine that
                // remembers its last applied index across restarts. Applying again would apply twice.
                if (e.index() == applied) {
                    appliedTerm = e.term();
                }
                continue;
            }
            snapshotPolicy.applied(e.data().length);
            if (e.index() != applied + 1) {
                throw new IllegalStateException("committed entries skip from applied index " + applied
                        + " to " + e.index() + ": refusing to apply out of order");
            }
            byte[] result = null;
            if (e.type() == EntryType.COMMAND) {
                long t0 = System.nanoTime();
                result = stateMachine.apply(e.index(), e.data());
                metrics.recordNanos(metrics.applyLatency, t0);
            } else {
                // NOOP and CONFIGURATION entries are Raft's own: nothing to apply, but the state machine's applied
                // index follows the log, so that servers in the same state report the same index (and a snapshot
                // taken right after one holds it). A proposal waiting at that index was overwritten: NotCommitted.
                stateMachine.skip(e.index());
            }
            applied = e.index();
            appliedTerm = e.term();
            PendingProposals.Pending p = proposals.onApplied(e, result);
            if (p != null) {
                metrics.recordNanos(metrics.proposalLatency, p.startNanos());
            }
            if (++sinceServed >= batchSize) {
                appliedIndex = applied;
                serveReads();
                sinceServed = 0;
            }
        }
        appliedIndex = applied;
    }

    private void restoreFrom(SnapshotMeta meta) throws java.io.IOException {
        long index = meta.lastIncludedIndex();
        if (index <= appliedIndex) {
            return; // we applied past it meanwhile (the core only installs snapshots ahead of its commit index)
        }
        SnapshotStore.Source source = snapshots.openLatest().orElseThrow(() ->
                new java.io.IOException("snapshot " + index + " was installed but the store has none"));
        SnapshotMeta newest = source.meta();
        try (source; java.io.InputStream in = source.open(0)) {
            // A newer snapshot from the leader may have been committed since this one was installed (its own
            // Restore task follows). It too covers committed entries only, so restoring it instead is as good:
            // the entries in between are then skipped as already applied.
            if (newest.lastIncludedIndex() < index || (newest.lastIncludedIndex() == index
                    && newest.lastIncludedTerm() != meta.lastIncludedTerm())) {
                throw new java.io.IOException("snapshot store's newest snapshot " + newest
                        + " is older than, or conflicts with, the one installed: " + meta);
            }
            stateMachine.restore(newest.lastIncludedIndex(), in);
        }
        appliedIndex = newest.lastIncludedIndex();
        appliedTerm = newest.lastIncludedTerm();
        appliedConfiguration = newest.configuration();
        appliedConfigurationIndex = newest.lastIncludedIndex();
        jointChangeWaiters.applied(appliedConfiguration);
        snapshotPolicy.restored(newest.lastIncludedIndex());
        // Our own proposals at or below the snapshot can no longer be matched entry by entry.
        long restored = newest.lastIncludedIndex();
        proposals.failIf(p -> p.index() <= restored, p -> new OutcomeUnknownException(p.index(), p.term(),
                "replaced by a snapshot from the leader before it was applied here", null));
        LOG.info("{}: state machine restored from the leader's snapshot at index {} (term {})", id, restored,
                newest.lastIncludedTerm());
    }

    /**
     * Reads whose read index is known but not applied by their deadline fail with a {@link TimeoutException}
     * (safe to retry): a follower cut off from the leader after it learned the read index would otherwise hold
     * them until it catches up. At most every {@link #READ_EXPIRY_CHECK_MS} ms: the scan is linear.
     */
    private void expireReads() {
        long now = System.nanoTime();
        if (waiting.isEmpty() || now - nextReadExpiryCheck < 0) {
            return;
        }
        nextReadExpiryCheck = now + TimeUnit.MILLISECONDS.toNanos(READ_EXPIRY_CHECK_MS);
        long applied = appliedIndex;
        waiting.removeIf(r -> {
            if (r.read().future().isDone()) {
                return true;
            }
            if (now - r.read().deadlineNanos() >= 0) {
                r.read().future().completeExceptionally(new TimeoutException(id + ": read index " + r.readIndex()
                        + " not applied before the read's deadline (applied " + applied + "); retry"));
                return true;
            }
            return false;
        });
    }

    private void serveReads() {
        long applied = appliedIndex;
        while (!waiting.isEmpty() && waiting.peek().readIndex() <= applied) {
            PendingRead read = waiting.poll().read();
            if (read.future().isDone()) {
                continue;
            }
            try {
                read.future().complete(stateMachine.query(read.query()));
            } catch (RuntimeException e) {
                // A query is read-only: its failure is the reader's problem, not the server's.
                read.future().completeExceptionally(e);
            }
        }
    }
}
