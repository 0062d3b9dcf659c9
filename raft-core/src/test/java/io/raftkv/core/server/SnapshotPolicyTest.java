package io.raftkv.core.server;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.storage.InMemorySnapshotStore;
import io.raftkv.core.storage.SnapshotMeta;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a snapshot is taken (§7): the two thresholds, on demand and its refusals, one at a time. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SnapshotPolicyTest {
    private static final Configuration VOTERS = Configuration.ofVoterIds("n1", "n2", "n3");

    private final InMemorySnapshotStore store = new InMemorySnapshotStore();
    private final RaftMetrics metrics = new RaftMetrics(new SimpleMeterRegistry(), "n1", new Budget(1, 1), () -> 0L);
    /** Released once per finished write (the policy's writerIdle callback). */
    private final Semaphore writesEnded = new Semaphore(0);
    private SnapshotPolicy policy;
    private final SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, 0, new LogActivity(),
            (meta, info) -> policy.durable(meta.lastIncludedIndex()));

    /** The apply thread's view, set by each test; a capture may be held until {@link #release} counts down. */
    private final class State implements SnapshotPolicy.AppliedState {
        long index;
        long term = 1;
        /** Snapshots started: each takes one capture. */
        int captures;
        CountDownLatch release = new CountDownLatch(0);

        @Override
        public long index() {
            return index;
        }

        @Override
        public long term() {
            return term;
        }

        @Override
        public Configuration configuration() {
            return VOTERS;
        }

        @Override
        public StateMachine.Snapshot capture() {
            captures++;
            CountDownLatch gate = release;
            long at = index;
            return out -> {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                out.write(("state at " + at).getBytes());
            };
        }
    }

    private final State state = new State();

    private SnapshotPolicy policy(long threshold, long bytesThreshold, long startIndex) {
        policy = new SnapshotPolicy("n1", writer, threshold, bytesThreshold, startIndex, writesEnded::release);
        return policy;
    }

    private long newestSnapshot() {
        return store.latest().map(SnapshotMeta::lastIncludedIndex).orElse(0L);
    }

    private void awaitWriteEnded() throws InterruptedException {
        assertTrue(writesEnded.tryAcquire(10, TimeUnit.SECONDS), "the write ended");
    }

    @AfterEach
    void close() {
        writer.close(5000);
    }

    @Test
    void countThreshold_countsFromTheSnapshotTheServerStartedFrom() throws Exception {
        SnapshotPolicy p = policy(10, 0, 5);
        state.index = 14;
        p.maybeStart(state);
        assertEquals(0, state.captures);
        state.index = 15;
        p.maybeStart(state);
        awaitWriteEnded();
        assertEquals(15, newestSnapshot());
        state.index = 24;
        p.maybeStart(state);
        assertEquals(1, state.captures, "the next one counts from 15");
    }

    @Test
    void byteThreshold_addsUpThePayloadsApplied_andRestartsAfterEachSnapshot() throws Exception {
        SnapshotPolicy p = policy(0, 100, 0);
        state.index = 3;
        p.applied(60);
        p.maybeStart(state);
        assertEquals(0, state.captures);
        p.applied(40);
        p.maybeStart(state);
        awaitWriteEnded();
        assertEquals(3, newestSnapshot());
        state.index = 4;
        p.applied(99);
        p.maybeStart(state);
        assertEquals(1, state.captures, "the count restarted at the snapshot");
    }

    @Test
    void anUnknownAppliedTerm_blocksTheThresholds_andIsRefusedOnDemand() throws Exception {
        SnapshotPolicy p = policy(1, 0, 0);
        state.index = 5;
        state.term = -1;
        p.maybeStart(state);
        assertEquals(0, state.captures);
        assertRefused(p, SnapshotRejectedException.Reason.NOT_READY);
    }

    @Test
    void onDemand_isRefusedWhileOneIsWritten_andWhenNothingWasAppliedSinceTheDurableOne() throws Exception {
        SnapshotPolicy p = policy(0, 0, 0);
        state.index = 7;
        state.release = new CountDownLatch(1);
        CompletableFuture<SnapshotInfo> first = new CompletableFuture<>();
        p.onDemand(state, first);
        assertTrue(writer.busy());
        assertRefused(p, SnapshotRejectedException.Reason.IN_PROGRESS);
        state.index = 8;
        p.maybeStart(state); // thresholds off: nothing, busy or not
        assertEquals(1, state.captures);
        state.release.countDown();
        assertEquals(7, first.get(10, TimeUnit.SECONDS).index());
        awaitWriteEnded();
        state.index = 7;
        assertRefused(p, SnapshotRejectedException.Reason.UP_TO_DATE);
    }

    @Test
    void aThresholdCrossedWhileTheWriterIsBusy_isServedWhenItIsIdle() throws Exception {
        SnapshotPolicy p = policy(5, 0, 0);
        state.index = 5;
        state.release = new CountDownLatch(1);
        p.maybeStart(state);
        assertTrue(writer.busy());
        state.index = 10;
        p.maybeStart(state); // crossed again, but one at a time
        assertEquals(1, state.captures);
        state.release.countDown();
        awaitWriteEnded(); // writerIdle: the apply thread is asked to look again
        assertEquals(5, newestSnapshot());
        p.maybeStart(state);
        awaitWriteEnded();
        assertEquals(10, newestSnapshot());
    }

    @Test
    void aSnapshotFromTheLeader_countsAsTheLastOne() throws Exception {
        SnapshotPolicy p = policy(10, 0, 0);
        p.restored(100);
        state.index = 105;
        p.maybeStart(state);
        assertEquals(0, state.captures, "counted from the restored snapshot at 100");
        state.index = 100;
        assertRefused(p, SnapshotRejectedException.Reason.UP_TO_DATE);
    }

    private void assertRefused(SnapshotPolicy p, SnapshotRejectedException.Reason reason) {
        CompletableFuture<SnapshotInfo> f = new CompletableFuture<>();
        p.onDemand(state, f);
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(1, TimeUnit.SECONDS));
        assertEquals(reason, assertInstanceOf(SnapshotRejectedException.class, e.getCause()).reason());
    }
}
