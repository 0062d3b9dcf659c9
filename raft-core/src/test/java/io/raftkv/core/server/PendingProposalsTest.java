package io.raftkv.core.server;

import io.raftkv.core.Proposal;
import io.raftkv.core.message.LogEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static io.raftkv.core.server.RegisterStateMachine.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a proposal's outcome is decided, and that it is decided exactly once when two threads race. */
class PendingProposalsTest {

    private final PendingProposals pending = new PendingProposals();

    @Test
    void sameIndexAndTermApplied_completesWithTheResult() throws Exception {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        pending.register(new Proposal(5, 2), f, 0);
        pending.onApplied(LogEntry.command(5, 2, bytes("x")), bytes("result"));
        assertArrayEquals(bytes("result"), f.get());
        assertEquals(0, pending.size());
    }

    @Test
    void anotherTermAppliedAtTheIndex_isNotCommitted_definitely() {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        pending.register(new Proposal(5, 2), f, 0);
        // A later leader's no-op overwrote index 5 (§5.3): by Log Matching our entry is gone for good.
        pending.onApplied(LogEntry.noop(5, 3), null);
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        NotCommittedException nc = assertInstanceOf(NotCommittedException.class, e.getCause());
        assertEquals(5, nc.index());
        assertEquals(2, nc.proposedTerm());
        assertEquals(3, nc.committedTerm());
        assertTrue(nc.safeToRetry());
    }

    @Test
    void appliedIndexWithoutAProposal_isIgnored() {
        assertNull(pending.onApplied(LogEntry.command(1, 1, bytes("x")), bytes("r")));
    }

    @Test
    void failIf_failsOnlyTheSelectedOnes() {
        CompletableFuture<byte[]> low = new CompletableFuture<>();
        CompletableFuture<byte[]> high = new CompletableFuture<>();
        pending.register(new Proposal(3, 1), low, 0);
        pending.register(new Proposal(4, 1), high, 0);
        pending.failIf(p -> p.index() > 3, p -> new OutcomeUnknownException(p.index(), p.term(), "test", null));
        assertTrue(high.isCompletedExceptionally());
        assertTrue(!low.isDone());
        assertEquals(1, pending.size());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void applyAndFailRacing_completeEachFutureExactlyOnce(long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        int n = 2000;
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        AtomicInteger completions = new AtomicInteger();
        for (int i = 1; i <= n; i++) {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            f.whenComplete((r, e) -> completions.incrementAndGet());
            futures.add(f);
            pending.register(new Proposal(i, 1), f, 0);
        }
        int failFrom = 1 + random.nextInt(n);
        CountDownLatch go = new CountDownLatch(1);
        Thread applier = new Thread(() -> {
            awaitQuietly(go);
            for (int i = 1; i <= n; i++) {
                pending.onApplied(LogEntry.command(i, 1, bytes("c")), bytes("r" + i));
            }
        });
        Thread failer = new Thread(() -> {
            awaitQuietly(go);
            pending.failIf(p -> p.index() >= failFrom, p -> new OutcomeUnknownException(p.index(), p.term(), "race", null));
        });
        applier.start();
        failer.start();
        go.countDown();
        applier.join(10_000);
        failer.join(10_000);
        assertEquals(n, completions.get(), "seed " + seed + ": every future completed exactly once");
        for (int i = 0; i < failFrom - 1; i++) {
            assertArrayEquals(bytes("r" + (i + 1)), futures.get(i).get(), "seed " + seed + ": below failFrom only apply completes");
        }
        assertEquals(0, pending.size(), "seed " + seed);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
