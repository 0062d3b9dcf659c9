package io.raftkv.core.server;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.storage.SnapshotMeta;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * When this server takes a snapshot (§7, log compaction): once {@code snapshotThreshold} entries, or
 * {@code snapshotBytesThreshold} bytes of their payloads, were applied since the last one, whichever comes first (0
 * disables a trigger); or on demand ({@link RaftServer#takeSnapshot()}), which is refused rather than queued so that
 * the caller knows what happened. One snapshot at a time: the {@link SnapshotWriter}'s. A trigger that fires while
 * the writer is busy is served once it is idle again ({@code writerIdle}, which the apply thread runs as a task).
 *
 * <p>The {@link ApplyLoop} owns what a snapshot records (the applied index, its term, the configuration as of it) and
 * the capture of the state machine; this class decides when. Apply thread only, except {@link #durable}.
 */
final class SnapshotPolicy {

    /** What a snapshot taken now would record (§7, thesis §5.4), and the capture itself: the apply thread's view. */
    interface AppliedState {
        long index();

        /** The term of the applied index, or -1 while it is not known (a state machine ahead of the snapshot). */
        long term();

        Configuration configuration();

        /** A point-in-time view of the state machine ({@link StateMachine#snapshot()}, cheap by contract). */
        StateMachine.Snapshot capture();
    }

    private final String id;
    private final SnapshotWriter writer;
    private final long threshold;
    private final long bytesThreshold;
    /** Asks the apply thread to look again once the writer is idle (a threshold crossed while it was busy). */
    private final Runnable writerIdle;
    /** Last index of the newest snapshot started or restored here (a started one may still fail). */
    private long lastSnapshotIndex;
    /** Last index of the newest snapshot known durable; written by the writer's thread too. */
    private final AtomicLong durableSnapshotIndex = new AtomicLong();
    /** Payload bytes of the entries applied since the last snapshot was started (the byte trigger). */
    private long bytesSinceSnapshot;

    /**
     * @param snapshotIndex the last index of the snapshot this server starts from (0 if none)
     * @param writerIdle    run on the writer's thread after each write: it must hand {@link #maybeStart} back to
     *                      the apply thread
     */
    SnapshotPolicy(String id, SnapshotWriter writer, long threshold, long bytesThreshold, long snapshotIndex,
                   Runnable writerIdle) {
        this.id = id;
        this.writer = writer;
        this.threshold = threshold;
        this.bytesThreshold = bytesThreshold;
        this.writerIdle = writerIdle;
        this.lastSnapshotIndex = snapshotIndex;
        this.durableSnapshotIndex.set(snapshotIndex);
    }

    /** An entry with {@code payloadBytes} was applied (counts towards the byte trigger). */
    void applied(long payloadBytes) {
        bytesSinceSnapshot += payloadBytes;
    }

    /** Starts a snapshot if a threshold was crossed, the applied term is known and the writer is idle. */
    void maybeStart(AppliedState state) {
        long applied = state.index();
        boolean byCount = threshold > 0 && applied - lastSnapshotIndex >= threshold;
        boolean byBytes = bytesThreshold > 0 && bytesSinceSnapshot >= bytesThreshold && applied > lastSnapshotIndex;
        if (!(byCount || byBytes) || state.term() < 0 || writer.busy()) {
            return;
        }
        start(state, (info, error) -> writerIdle.run());
    }

    /**
     * On demand: completes {@code future} once the snapshot is durable, or refuses with
     * {@link SnapshotRejectedException} (one is being written, nothing new to cover, the applied term unknown), or
     * fails with the write's error or {@link ShutdownException}.
     */
    void onDemand(AppliedState state, CompletableFuture<SnapshotInfo> future) {
        long applied = state.index();
        if (writer.busy()) {
            future.completeExceptionally(new SnapshotRejectedException(SnapshotRejectedException.Reason.IN_PROGRESS,
                    id + ": a snapshot is being written; retry when it is done"));
        } else if (applied <= durableSnapshotIndex.get()) {
            // Not lastSnapshotIndex: that one may have failed to write, and then a snapshot is what is missing.
            future.completeExceptionally(new SnapshotRejectedException(SnapshotRejectedException.Reason.UP_TO_DATE,
                    id + ": nothing applied since the snapshot at index " + durableSnapshotIndex));
        } else if (state.term() < 0) {
            future.completeExceptionally(new SnapshotRejectedException(SnapshotRejectedException.Reason.NOT_READY,
                    id + ": the term of applied index " + applied + " is not known yet; retry shortly"));
        } else if (!start(state, (info, error) -> {
            if (error == null) {
                future.complete(info);
            } else {
                future.completeExceptionally(error);
            }
            writerIdle.run();
        })) {
            future.completeExceptionally(new ShutdownException(id + ": the snapshot writer is stopped", null));
        }
    }

    private boolean start(AppliedState state, BiConsumer<SnapshotInfo, Throwable> whenDone) {
        long applied = state.index();
        SnapshotMeta meta = new SnapshotMeta(applied, state.term(), state.configuration());
        long t0 = System.nanoTime();
        // The capture is quick by contract (copy-on-write or persistent structures); writing it out happens on
        // the writer's thread while the apply thread keeps applying.
        // durableSnapshotIndex is raised by durable(), which the writer's callback runs before the writer reports
        // itself idle: an on-demand request that finds the writer idle must also find its snapshot counted, or it
        // would write a second snapshot under the same name and replace the file a transfer may be resuming from.
        if (writer.write(meta, state.capture(), t0, whenDone)) {
            lastSnapshotIndex = applied;
            bytesSinceSnapshot = 0;
            return true;
        }
        return false;
    }

    /** The state machine was restored from the leader's snapshot at {@code index}: it counts as the last one. */
    void restored(long index) {
        lastSnapshotIndex = index;
        durable(index);
        bytesSinceSnapshot = 0;
    }

    /** Any thread (the writer's, before it reports itself idle): the snapshot at {@code index} is durable. */
    void durable(long index) {
        durableSnapshotIndex.accumulateAndGet(index, Math::max);
    }
}
