package io.raftkv.core.server;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.NotLeaderException;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.Role;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemorySnapshotStore;
import io.raftkv.core.storage.InMemoryStableStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.raftkv.core.server.RegisterStateMachine.bytes;
import static io.raftkv.core.server.RegisterStateMachine.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The driver's own rules, against a {@link ScriptedCore} so that they do not depend on election timing: the Ready
 * order, group commit, backpressure, leadership loss and shutdown.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RaftServerDriverTest {

    private final Journal journal = new Journal();
    private final Journal.Log log = journal.new Log(new InMemoryLogStore());
    private final Journal.Net net = journal.new Net(null);
    private final RegisterStateMachine sm = new RegisterStateMachine();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private RaftServer server;
    private volatile ScriptedCore core;

    private RaftServer start(RaftServerOptions options) throws Exception {
        server = RaftServer.builder("n1")
                .serverOptions(options)
                .logStore(log)
                .stableStore(journal.new Stable(new InMemoryStableStore()))
                .snapshotStore(new InMemorySnapshotStore())
                .stateMachine(sm)
                .transport(net)
                .meterRegistry(registry)
                .coreFactory(init -> core = new ScriptedCore(init.id(), journal))
                // Held syncs here test the driver's order, not stall detection (RaftServerDiskTest does that).
                .disk(DiskOptions.none().withStallTimeout(Duration.ofMinutes(1)))
                .build();
        server.start();
        return server;
    }

    private static RaftServerOptions fastTicks() {
        return RaftServerOptions.defaults().withTickInterval(Duration.ofMillis(5));
    }

    @AfterEach
    void stop() {
        log.releaseSyncs();
        if (server != null) {
            server.close();
        }
        ServerTestSupport.assertNoThreadsOf("n1");
    }

    @Test
    void readyStepsRunInOrder_earlyMessagesHardStateAppendSyncMessagesThenAdvance() throws Exception {
        start(fastTicks());
        assertEquals("1:1", string(server.propose(bytes("a")).get(5, TimeUnit.SECONDS)));

        List<String> events = journal.events();
        int early = journal.first("send:AppendEntriesRequest");
        int hard = journal.first("hardstate:1");
        int append = journal.first("append:1-1");
        int sync = journal.first("sync:1");
        int late = journal.first("send:AppendEntriesResponse");
        int advance = events.subList(late, events.size()).indexOf("advance") + late;
        assertTrue(early >= 0 && hard >= 0 && append >= 0 && sync >= 0 && late >= 0, events.toString());
        // Thesis §10.2.1: AppendEntries leave before the leader's own fsync...
        assertTrue(early < append && early < sync, "early messages before the sync: " + events);
        // ...but everything else follows the Ready javadoc: hard state, append, one sync, then messages, advance.
        assertTrue(hard < append, "hard state before entries: " + events);
        assertTrue(append < sync, events.toString());
        assertTrue(sync < late, "acknowledging messages only after the sync: " + events);
        assertTrue(late < advance, events.toString());
        assertEquals(List.of(1L), sm.appliedIndexes());
    }

    @Test
    void groupCommit_everythingQueuedDuringAnFsyncGoesIntoOneAppendAndOneSync() throws Exception {
        start(fastTicks());
        log.holdSyncs();
        CompletableFuture<byte[]> first = server.propose(bytes("first"));
        assertTrue(log.awaitSyncEntered(5000), "the first sync started");
        List<CompletableFuture<byte[]>> burst = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            burst.add(server.propose(bytes("b" + i)));
        }
        // The raft thread is parked in sync; these 50 sit in its queue until the sync returns.
        log.releaseSyncs();
        first.get(5, TimeUnit.SECONDS);
        for (CompletableFuture<byte[]> f : burst) {
            f.get(5, TimeUnit.SECONDS);
        }
        assertEquals(List.of(1, 50), log.appendSizes(), "one append per loop turn");
        assertEquals(2, journal.count("sync:"), "one sync per loop turn: " + journal.events());
        assertEquals(50.0, registry.get("raft.fsync.batch.entries").summary().max());
        assertEquals(51, sm.values().size());
    }

    @Test
    void overload_failsAtOnceBeyondThePendingCount() throws Exception {
        start(fastTicks().withMaxPending(4, 1 << 20));
        log.holdSyncs();
        List<CompletableFuture<byte[]>> admitted = new ArrayList<>();
        admitted.add(server.propose(bytes("p0")));
        assertTrue(log.awaitSyncEntered(5000));
        for (int i = 1; i < 4; i++) {
            admitted.add(server.propose(bytes("p" + i)));
        }
        CompletableFuture<byte[]> refused = server.propose(bytes("too many"));
        assertTrue(refused.isDone(), "refused at once, not queued");
        assertInstanceOf(OverloadedException.class, cause(refused));
        assertTrue(((RaftException) cause(refused)).safeToRetry());
        log.releaseSyncs();
        for (CompletableFuture<byte[]> f : admitted) {
            f.get(5, TimeUnit.SECONDS);
        }
        // Completing frees the slots.
        assertEquals("5:5", string(server.propose(bytes("later")).get(5, TimeUnit.SECONDS)));
        assertEquals(1.0, registry.get("raft.proposals").tag("result", "overloaded").counter().count());
    }

    @Test
    void overload_boundsBytesToo_andACommandLargerThanTheBoundIsRejected() throws Exception {
        start(fastTicks().withMaxPending(100, 100));
        log.holdSyncs();
        CompletableFuture<byte[]> a = server.propose(new byte[60]);
        assertTrue(log.awaitSyncEntered(5000));
        CompletableFuture<byte[]> b = server.propose(new byte[60]);
        assertInstanceOf(OverloadedException.class, cause(b));
        CompletableFuture<byte[]> huge = server.propose(new byte[101]);
        assertInstanceOf(ProposalRejectedException.class, cause(huge));
        log.releaseSyncs();
        a.get(5, TimeUnit.SECONDS);
        server.propose(new byte[60]).get(5, TimeUnit.SECONDS);
    }

    @Test
    void leadershipLost_committedProposalsStillComplete_proposalsQueuedBehindTheStepDownAreNeverAppendedHere()
            throws Exception {
        start(fastTicks());
        log.holdSyncs();
        CompletableFuture<byte[]> committed = server.propose(bytes("c"));
        assertTrue(log.awaitSyncEntered(5000));
        List<CompletableFuture<byte[]>> queued = List.of(server.propose(bytes("x")), server.propose(bytes("y")));
        // Queued behind the proposals: a leader of term 5 appears. A loop turn steps every message before it routes
        // the turn's proposals, so x and y find a follower: they are not appended in term 1 (to be lost with the
        // leadership, outcome unknown) but offered to the new leader. This scripted one refuses everything, so they
        // end, after the leader wait, as "not leader": certainly not applied. (The "appended, then leadership lost"
        // path is RaftServerClusterTest's leader isolation test.)
        net.inject(new AppendEntriesRequest("n2", "n1", 5, 0, 0, List.of(), 0, 1));
        log.releaseSyncs();
        assertEquals("1:1", string(committed.get(5, TimeUnit.SECONDS)));
        for (CompletableFuture<byte[]> f : queued) {
            NotLeaderException nl = assertInstanceOf(NotLeaderException.class, cause(f));
            assertEquals("n2", nl.leaderId());
        }
        assertEquals(1, core.lastLogIndex(), "x and y were never appended here");
        assertTrue(core.forwarded.size() >= 1, "offered to the new leader");
        ServerTestSupport.await(() -> server.status().role() == Role.FOLLOWER, 5000, "status shows the step-down");
        assertEquals(null, registry.find("raft.replication.lag").gauge(), "no lag gauge without leadership");
        assertEquals(1.0, registry.get("raft.role").tag("role", "follower").gauge().value());
        // A follower forwards to the leader it knows; this scripted leader refuses every batch, so the proposal is
        // held and offered again (once a tick, not in a tight loop) until the leader wait (4 election timeouts of
        // 10 ticks of 5 ms = 200 ms) runs out: then it was certainly never appended.
        int forwardsBefore = core.forwarded.size();
        long t0 = System.nanoTime();
        NotLeaderException nl = assertInstanceOf(NotLeaderException.class, cause(server.propose(bytes("z"))));
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("n2", nl.leaderId());
        assertTrue(waitedMs >= 190, "held for the leader wait, not failed at once: " + waitedMs + " ms");
        int forwards = core.forwarded.size() - forwardsBefore;
        assertTrue(forwards >= 2 && forwards <= 60,
                "offered again about once a tick: " + forwards + " forwards in " + waitedMs + " ms");
    }

    @Test
    void reads_linearizableAndLeaseAreServedAfterApply_staleAtOnce() throws Exception {
        start(fastTicks());
        server.propose(bytes("v1")).get(5, TimeUnit.SECONDS);
        assertEquals("v1", string(server.read(bytes("q"), ReadLevel.LINEARIZABLE).get(5, TimeUnit.SECONDS)));
        assertEquals("v1", string(server.read(bytes("q"), ReadLevel.LEASE).get(5, TimeUnit.SECONDS)));
        CompletableFuture<byte[]> stale = server.read(bytes("q"), ReadLevel.STALE);
        assertTrue(stale.isDone());
        assertEquals("v1", string(stale.get()));
    }

    /**
     * A leader whose raft thread stalls (GC, SIGSTOP, here a held fsync) for longer than an election timeout must
     * not judge a lease read queued meanwhile by its pre-stall clock (§6.4.1): the overdue ticks reach the core
     * first, at least an election timeout's worth, so the real core's lease has expired by the time it is asked.
     */
    @Test
    void leaseRead_afterAStall_isJudgedOnlyAfterAnElectionTimeoutOfTicks() throws Exception {
        start(fastTicks());
        server.propose(bytes("v1")).get(5, TimeUnit.SECONDS);
        log.holdSyncs();
        CompletableFuture<byte[]> stalled = server.propose(bytes("v2"));
        assertTrue(log.awaitSyncEntered(5000), "the raft thread is parked in sync");
        int ticksBeforeStall = core.ticks;
        Thread.sleep(200); // 40 ticks of 5 ms pass in real time, 4x the scripted election timeout
        int checksBefore = core.leaseChecksAtTick.size();
        CompletableFuture<byte[]> lease = server.read(bytes("q"), ReadLevel.LEASE);
        log.releaseSyncs();
        stalled.get(5, TimeUnit.SECONDS);
        lease.get(5, TimeUnit.SECONDS);
        List<Integer> checks = core.leaseChecksAtTick.subList(checksBefore, core.leaseChecksAtTick.size());
        assertTrue(!checks.isEmpty(), "the lease was consulted");
        assertTrue(checks.get(0) >= ticksBeforeStall + core.electionTimeoutTicks(),
                "lease judged after " + (checks.get(0) - ticksBeforeStall) + " ticks of a 40-tick stall");
    }

    @Test
    void reads_whoseReadIndexIsRefused_areAskedAgainUntilTheirDeadline_thenFailWithNotLeader() throws Exception {
        start(fastTicks().withReadTimeout(Duration.ofMillis(300)));
        net.inject(new AppendEntriesRequest("n2", "n1", 3, 0, 0, List.of(), 0, 1));
        ServerTestSupport.await(() -> server.status().role() == Role.FOLLOWER, 5000, "stepped down");
        long t0 = System.nanoTime();
        NotLeaderException e = assertInstanceOf(NotLeaderException.class, cause(server.read(bytes("q"))));
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("n2", e.leaderId());
        assertTrue(waitedMs >= 290, "a refused read index is asked for again until the deadline: " + waitedMs + " ms");
    }

    @Test
    void shutdown_completesEveryFutureExactlyOnce_finishesTheFsync_stopsThreadsAndClosesTheLog() throws Exception {
        start(fastTicks());
        log.holdSyncs();
        AtomicInteger completions = new AtomicInteger();
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        futures.add(server.propose(bytes("in-fsync")));
        assertTrue(log.awaitSyncEntered(5000));
        for (int i = 0; i < 20; i++) {
            futures.add(server.propose(bytes("queued" + i)));
        }
        futures.add(server.read(bytes("q")));
        for (CompletableFuture<byte[]> f : futures) {
            f.whenComplete((r, e) -> completions.incrementAndGet());
        }
        Thread closer = new Thread(server::close, "test-closer");
        closer.start();
        Thread.sleep(50); // close is now waiting for the raft thread, which is inside the held fsync
        assertTrue(closer.isAlive(), "close waits for the in-flight fsync");
        log.releaseSyncs();
        closer.join(10_000);
        assertFalse(closer.isAlive());

        for (CompletableFuture<byte[]> f : futures) {
            assertTrue(f.isDone());
        }
        assertEquals(futures.size(), completions.get(), "each future completed exactly once");
        // The in-fsync entry finished its sync, but nobody committed it before the stop.
        Throwable first = cause(futures.get(0));
        assertTrue(first instanceof OutcomeUnknownException || first == null, String.valueOf(first));
        for (CompletableFuture<byte[]> f : futures.subList(1, futures.size())) {
            Throwable t = cause(f);
            assertTrue(t instanceof ShutdownException || t instanceof OutcomeUnknownException, String.valueOf(t));
        }
        assertTrue(journal.first("sync:1") >= 0, "the in-flight fsync finished: " + journal.events());
        assertTrue(log.closed());
        assertTrue(journal.first("close:transport") < journal.first("close:log"));
        assertInstanceOf(ShutdownException.class, cause(server.propose(bytes("after"))));
        assertInstanceOf(ShutdownException.class, cause(server.read(bytes("q"), ReadLevel.STALE)));
        assertFalse(server.status().running());
        server.close(); // idempotent
    }

    @Test
    void status_andMetricsArePublished() throws Exception {
        start(fastTicks());
        server.propose(bytes("a")).get(5, TimeUnit.SECONDS);
        ServerTestSupport.await(() -> server.status().appliedIndex() == 1, 5000, "applied published");
        RaftStatus s = server.status();
        assertEquals("n1", s.id());
        assertEquals(Role.LEADER, s.role());
        assertEquals(1, s.term());
        assertEquals("n1", s.leaderId());
        assertEquals(1, s.commitIndex());
        assertEquals(1, s.lastLogIndex());
        assertEquals(2, s.members().size());
        assertEquals(0L, s.members().get(1).matchIndex());
        assertTrue(s.running());
        assertEquals(1.0, registry.get("raft.role").tag("role", "leader").gauge().value());
        assertEquals(0.0, registry.get("raft.role").tag("role", "follower").gauge().value());
        assertEquals(1.0, registry.get("raft.term").gauge().value());
        assertEquals(1.0, registry.get("raft.replication.lag").tag("peer", "n2").gauge().value());
        assertEquals(1.0, registry.get("raft.proposals").tag("result", "accepted").counter().count());
        assertEquals(1, registry.get("raft.apply.latency").timer().count());
        assertNotEquals(0, registry.get("raft.fsync.latency").tag("store", "log").timer().count());
    }

    static Throwable cause(CompletableFuture<?> f) {
        try {
            f.get(5, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            fail("future did not complete: " + e);
            return null;
        }
    }
}
