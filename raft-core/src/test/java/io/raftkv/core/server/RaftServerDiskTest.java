package io.raftkv.core.server;

import io.raftkv.core.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.raftkv.core.server.RaftServerDriverTest.cause;
import static io.raftkv.core.server.RegisterStateMachine.bytes;
import static io.raftkv.core.server.RegisterStateMachine.string;
import static io.raftkv.core.server.ServerTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Disk trouble, end to end through the driver, on in-process clusters whose stores sit on {@link DiskFaults}: a
 * full disk (below the reserve, and a write that finds no space), a failing one (EIO on fsync), a hung one (an
 * fsync that does not return). Each test checks the server's answers, its honesty about its state, that the rest of
 * the cluster goes on, and that nothing acknowledged is lost.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RaftServerDiskTest {
    private static final long LOW = 512 << 10; // below the LocalCluster's 1 MiB reserve

    private static byte[] get(CompletableFuture<byte[]> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    /** Proposes on whoever leads now, retrying on refusals, until one is acknowledged. */
    private static String write(LocalCluster c, String value) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            RaftServer leader = c.awaitLeader();
            try {
                return string(leader.propose(bytes(value)).get(5, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    @Test
    void leaderBelowItsReserve_refusesWritesNamingTheDirectory_handsLeadershipOver_fallsBehind_andResumes()
            throws Exception {
        try (LocalCluster c = new LocalCluster(3, 11).startAll()) {
            RaftServer old = c.awaitLeader();
            for (int i = 0; i < 5; i++) {
                write(c, "before" + i);
            }
            c.disks.get(old.id()).setFreeBytes(LOW);
            await(() -> !old.diskAlarms().isEmpty(), 5000, "the no-space alarm on " + old.id());
            DiskAlarm.NoSpace alarm = assertInstanceOf(DiskAlarm.NoSpace.class, old.diskAlarms().get(0));
            assertEquals(LOW, alarm.freeBytes());
            assertFalse(alarm.writeFailed());

            // Refused at the door with the directory and the numbers, for any front door to repeat.
            DiskFullException refused = assertInstanceOf(DiskFullException.class, cause(old.propose(bytes("x"))));
            assertTrue(refused.safeToRetry());
            assertTrue(refused.getMessage().contains(old.id() + " refuses writes"), refused.getMessage());
            assertTrue(refused.getMessage().contains(java.nio.file.Path.of(old.id(), "log").toString()), refused.getMessage());
            assertTrue(refused.getMessage().contains("512.0 KiB") && refused.getMessage().contains("1.0 MiB"),
                    refused.getMessage());
            assertEquals(1.0, c.registry.get("raft.disk.alarm").tag("node", old.id()).tag("alarm", "nospace")
                    .gauge().value());

            // Thesis §3.10: it hands leadership to a healthy voter rather than keep the cluster from writing.
            await(() -> {
                RaftStatus s = c.servers.get(c.idsExcept(old.id()).iterator().next()).status();
                return s.leaderId() != null && !s.leaderId().equals(old.id());
            }, 10_000, "another server leads");
            RaftServer leader = c.awaitLeader();
            assertNotEquals(old.id(), leader.id());
            long term = leader.status().term();

            // It takes no new entries meanwhile, yet does not campaign: the others commit without it.
            long held = c.logs.get(old.id()).lastIndex();
            List<String> acked = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                acked.add("during" + i);
                assertTrue(string(get(leader.propose(bytes("during" + i)))).contains(":"));
            }
            assertEquals(held, c.logs.get(old.id()).lastIndex(), "the full server appended nothing new");
            assertEquals(term, leader.status().term(), "the full follower did not disrupt the leader");
            // Reads go on where they can: a stale read here; a linearizable one it cannot serve (it lacks the
            // newest entries), so it sends the client to the leader at once instead of letting it time out.
            assertTrue(string(get(old.read(bytes("q"), ReadLevel.STALE))).contains("before4"));
            io.raftkv.core.NotLeaderException goThere = assertInstanceOf(io.raftkv.core.NotLeaderException.class,
                    cause(old.read(bytes("q"), ReadLevel.LINEARIZABLE)));
            assertEquals(leader.id(), goThere.leaderId());
            assertTrue(string(get(leader.read(bytes("q"), ReadLevel.LINEARIZABLE))).contains("during19"));

            // Space comes back: the alarm clears by itself, it catches up, writes are accepted again.
            c.disks.get(old.id()).setFreeBytes(DiskFaults.PLENTY);
            await(() -> old.diskAlarms().isEmpty(), 5000, "alarm cleared");
            c.awaitConverged(25, c.ids);
            assertEquals(0.0, c.registry.get("raft.disk.alarm").tag("node", old.id()).tag("alarm", "nospace")
                    .gauge().value());
            assertTrue(c.registry.get("raft.disk.inbound.dropped").tag("node", old.id()).counter().count() > 0);
            assertTrue(c.stateMachines.get(old.id()).values().containsAll(acked));
        }
    }

    @Test
    void reserveAlarm_clearsOnlyAboveTheResumeLevel_notAtTheThreshold() throws Exception {
        try (LocalCluster c = new LocalCluster(1, 12).startAll()) {
            RaftServer s = c.awaitLeader();
            DiskFaults disk = c.disks.get(s.id());
            disk.setFreeBytes(LOW);
            await(() -> !s.diskAlarms().isEmpty(), 5000, "alarm raised");
            disk.setFreeBytes((1 << 20) + 1000); // above the reserve, below reserve + max(reserve/10, 1 MiB)
            Thread.sleep(100); // ten polls
            DiskAlarm.NoSpace still = assertInstanceOf(DiskAlarm.NoSpace.class, s.diskAlarms().get(0));
            assertEquals((1 << 20) + 1000, still.freeBytes(), "the alarm reports the current free space");
            disk.setFreeBytes(2L << 20);
            await(() -> s.diskAlarms().isEmpty(), 5000, "alarm cleared at the resume level");
            get(s.propose(bytes("accepted again")));
        }
    }

    /**
     * A write that finds no space (the reserve was too small, or another process took the space) is not fatal:
     * the log kept a prefix of the batch, the raft thread waits and appends the rest once space is back, and every
     * proposal completes with its result, in order, exactly once.
     */
    @Test
    void writeFindsNoSpaceMidBatch_raftThreadWaitsAndRetriesTheRest_nothingIsLostOrDoubled() throws Exception {
        try (LocalCluster c = new LocalCluster(1, 13).startAll()) {
            RaftServer s = c.awaitLeader();
            DiskFaults disk = c.disks.get(s.id());
            // Hold the raft thread in the sync of "first" so that the six queue up and form one batch.
            disk.stallSyncs();
            CompletableFuture<byte[]> first = s.propose(bytes("first"));
            assertTrue(disk.awaitStallEntered(5000));
            List<CompletableFuture<byte[]>> pending = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                pending.add(s.propose(bytes("v" + i)));
            }
            disk.failWritesForSpace(2);
            disk.releaseStall();
            get(first);
            await(() -> disk.noSpaceThrown.get() >= 2, 5000, "the raft thread retried the write");
            DiskAlarm.NoSpace alarm = (DiskAlarm.NoSpace) s.diskAlarms().stream()
                    .filter(a -> a instanceof DiskAlarm.NoSpace).findFirst().orElseThrow();
            assertTrue(alarm.writeFailed(), alarm.toString());
            assertTrue(alarm.message().contains("a write failed"), alarm.message());
            assertInstanceOf(DiskFullException.class, cause(s.propose(bytes("refused"))));
            assertTrue(pending.stream().noneMatch(CompletableFuture::isDone), "nothing acknowledged without a sync");

            disk.allowWrites();
            for (CompletableFuture<byte[]> f : pending) {
                get(f);
            }
            await(() -> s.diskAlarms().isEmpty(), 5000, "alarm cleared once the write went through");
            assertEquals(List.of("first", "v0", "v1", "v2", "v3", "v4", "v5"), c.stateMachines.get(s.id()).values());
            assertTrue(s.failure().isEmpty());
        }
    }

    @Test
    void closingWhileWaitingForSpace_stopsCleanly_withoutRecordingAFailure() throws Exception {
        try (LocalCluster c = new LocalCluster(1, 14).startAll()) {
            RaftServer s = c.awaitLeader();
            DiskFaults disk = c.disks.get(s.id());
            disk.failWritesForSpace(0);
            CompletableFuture<byte[]> stuck = s.propose(bytes("v"));
            await(() -> disk.noSpaceThrown.get() >= 2, 5000, "waiting for space");
            long t0 = System.nanoTime();
            s.close();
            assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "close did not wait for space");
            assertTrue(s.failure().isEmpty(), "a requested stop is not a failure: " + s.failure());
            assertInstanceOf(OutcomeUnknownException.class, cause(stuck));
        }
    }

    /**
     * An fsync that fails is fatal and never retried (the kernel may have dropped the dirty pages, so a second
     * fsync could succeed without the data): the server stops, says why everywhere (status, failure, every later
     * answer, a meter), and claims no role.
     */
    @Test
    void syncFailsWithEio_serverStopsAtOnce_neverRetries_andTellsWhyEverywhere() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 15).startAll()) {
            RaftServer leader = c.awaitLeader();
            get(leader.propose(bytes("ok")));
            DiskFaults disk = c.disks.get(leader.id());
            IOException eio = new IOException("fsync of /data/" + leader.id() + "/log/19700102F.cq4 failed: Input/output error");
            disk.failSyncsWith(eio);
            int syncsBefore = disk.syncs.get();
            Throwable t = cause(leader.propose(bytes("lost?")));
            assertInstanceOf(OutcomeUnknownException.class, t);
            await(() -> !leader.isRunning() && !leader.status().running(), 5000, "stopped");
            assertEquals(syncsBefore + 1, disk.syncs.get(), "the failed sync was not retried");
            assertSame(eio, leader.failure().orElseThrow());
            RaftStatus status = leader.status();
            assertNull(status.role(), "a stopped server holds no role: " + status);
            assertFalse(status.isLeader());
            ShutdownException later = assertInstanceOf(ShutdownException.class, cause(leader.propose(bytes("later"))));
            assertTrue(later.getMessage().contains("stopped after a fatal error")
                    && later.getMessage().contains("Input/output error"), later.getMessage());
            assertSame(eio, later.getCause());
            assertEquals(1.0, c.registry.get("raft.server.stopped").tag("node", leader.id())
                    .tag("reason", eio.getMessage()).gauge().value());
            // The others go on.
            RaftServer next = c.awaitLeader(10_000, c.idsExcept(leader.id()));
            get(next.propose(bytes("after")));
        }
    }

    /**
     * A leader whose fsync hangs stops acting as leader: it sends nothing, so the others elect a new leader within
     * about an election timeout (§5.2); it refuses requests meanwhile (it can neither commit nor confirm a read)
     * and reports the stall; once the disk returns it learns the new term (§5.1) and catches up.
     */
    @Test
    void leaderSyncHangs_anotherLeadsWithinTheBound_theStalledOneRefusesAndSaysSo_thenRejoins() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 16)) {
            c.diskTuning = d -> d.withStallTimeout(Duration.ofMillis(300));
            c.startAll();
            RaftServer old = c.awaitLeader();
            for (int i = 0; i < 3; i++) {
                write(c, "before" + i);
            }
            DiskFaults disk = c.disks.get(old.id());
            disk.stallSyncs();
            CompletableFuture<byte[]> inFlight = old.propose(bytes("in-flight"));
            assertTrue(disk.awaitStallEntered(5000), "the leader's raft thread is stuck in its fsync");
            long stalledAt = System.nanoTime();

            RaftServer leader = c.awaitLeader(10_000, c.idsExcept(old.id()));
            long failoverMs = (System.nanoTime() - stalledAt) / 1_000_000;
            System.out.println("hung leader fsync: another leader after " + failoverMs + " ms");
            // Election timeout 0.5-1 s at 50 ms ticks, plus the pre-vote and vote round trips.
            assertTrue(failoverMs < 5000, "failover took " + failoverMs + " ms");

            await(() -> old.diskAlarms().stream().anyMatch(a -> a instanceof DiskAlarm.Stalled), 5000, "stall alarm");
            DiskStalledException refused = assertInstanceOf(DiskStalledException.class, cause(old.propose(bytes("x"))));
            assertTrue(refused.getMessage().contains("log append and sync"), refused.getMessage());
            assertInstanceOf(DiskStalledException.class, cause(old.read(bytes("q"), ReadLevel.LINEARIZABLE)));
            assertEquals(1.0, c.registry.get("raft.disk.alarm").tag("node", old.id()).tag("alarm", "stalled")
                    .gauge().value());

            List<String> acked = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                get(leader.propose(bytes("during" + i)));
                acked.add("during" + i);
            }

            disk.releaseStall();
            // The old leader's entry may or may not have reached a follower before the stall: either outcome.
            try {
                inFlight.get(10, TimeUnit.SECONDS);
                acked.add("in-flight");
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof OutcomeUnknownException || e.getCause() instanceof NotCommittedException,
                        e.toString());
            }
            await(() -> old.diskAlarms().isEmpty() && old.status().role() == Role.FOLLOWER, 10_000,
                    "the old leader steps down once its disk returns");
            write(c, "after");
            acked.add("after");
            RaftServer now = c.awaitLeader();
            int size = c.stateMachines.get(now.id()).values().size();
            c.awaitConverged(size, c.ids);
            assertTrue(c.stateMachines.get(old.id()).values().containsAll(acked), "nothing acknowledged is lost");
        }
    }

    @Test
    void followerSyncHangs_neverBlocksACommitTheOthersCanMake() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 17)) {
            c.diskTuning = d -> d.withStallTimeout(Duration.ofMillis(300));
            c.startAll();
            RaftServer leader = c.awaitLeader();
            String follower = c.followersOf(leader).get(0).id();
            DiskFaults disk = c.disks.get(follower);
            disk.stallSyncs();
            long t0 = System.nanoTime();
            for (int i = 0; i < 30; i++) {
                get(leader.propose(bytes("v" + i)));
            }
            assertTrue(disk.awaitStallEntered(5000), "the follower's fsync hung");
            assertEquals(Role.LEADER, leader.status().role());
            System.out.println("hung follower fsync: 30 commits in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            disk.releaseStall();
            c.awaitConverged(30, c.ids);
        }
    }

    /**
     * Thesis §6.4.1: a lease read queued at a leader while its fsync hangs must not be served from the leader's
     * pre-stall view once the disk returns, although the lease was valid when the read arrived: by then another
     * leader may have committed writes. (The stall timeout is long here, so the read is queued rather than
     * refused at the door; the overdue ticks, run before the read is judged, expire the lease.)
     */
    @Test
    void leaseReadQueuedAtAStalledLeader_neverMissesWhatTheNewLeaderCommitted() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 18)) {
            c.diskTuning = d -> d.withStallTimeout(Duration.ofSeconds(30));
            c.startAll();
            RaftServer old = c.awaitLeader();
            write(c, "before");
            assertTrue(string(get(old.read(bytes("q"), ReadLevel.LEASE))).contains("before"));
            DiskFaults disk = c.disks.get(old.id());
            disk.stallSyncs();
            CompletableFuture<byte[]> inFlight = old.propose(bytes("in-flight"));
            assertTrue(disk.awaitStallEntered(5000));
            CompletableFuture<byte[]> lease = old.read(bytes("q"), ReadLevel.LEASE);
            RaftServer leader = c.awaitLeader(10_000, c.idsExcept(old.id()));
            get(leader.propose(bytes("committed-by-the-new-leader")));
            disk.releaseStall();
            try {
                String seen = string(lease.get(10, TimeUnit.SECONDS));
                assertTrue(seen.contains("committed-by-the-new-leader"), "stale lease read: " + seen);
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof io.raftkv.core.NotLeaderException
                        || e.getCause() instanceof java.util.concurrent.TimeoutException, e.toString()); // refused: fine
            }
            inFlight.handle((r, e) -> null).get(10, TimeUnit.SECONDS);
        }
    }
}
