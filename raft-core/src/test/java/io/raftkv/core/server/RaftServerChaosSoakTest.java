package io.raftkv.core.server;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.ProposalRejectedException;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.raftkv.core.server.RegisterStateMachine.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded chaos against real servers: a client proposes unique values while a fault thread isolates servers,
 * cuts links and restarts servers (snapshots on, so restarts and catch-ups go through InstallSnapshot too). After
 * healing, every replica must hold the same sequence (State Machine Safety, §5.4.3), each acknowledged value exactly
 * once, no value whose proposal definitely failed, and every future must have completed. Runs only with
 * {@code -Dsoak=true} ({@code -Dsoak.seconds=N}, default 10 per seed); a failure message names the seed and the
 * fault schedule. (Thread timing is not seeded, so a seed picks the faults, not the exact interleaving.)
 */
@EnabledIfSystemProperty(named = "soak", matches = "true")
class RaftServerChaosSoakTest {

    private enum Outcome { ACKED, DEFINITELY_NOT, UNKNOWN }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {101, 102, 103, 104, 105, 106, 107, 108})
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void chaos(long seed) throws Exception {
        long seconds = Long.getLong("soak.seconds", 10);
        Random random = new Random(seed);
        RaftServerOptions options = RaftServerOptions.defaults().withTickInterval(Duration.ofMillis(10))
                .withReadTimeout(Duration.ofSeconds(1)).withShutdownTimeout(Duration.ofSeconds(5))
                .withSnapshots(25, 5).withSnapshotTransfer(256, Duration.ofSeconds(1));
        Map<String, CompletableFuture<byte[]>> futures = new ConcurrentHashMap<>();
        Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
        try (LocalCluster c = new LocalCluster(5, seed, options).startAll()) {
            AtomicBoolean running = new AtomicBoolean(true);
            Thread client = new Thread(() -> runClient(c, running, futures, outcomes), "soak-client");
            client.start();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            List<String> trace = new ArrayList<>();
            while (System.nanoTime() < end) {
                Thread.sleep(50 + random.nextInt(250));
                String victim = c.ids.get(random.nextInt(c.ids.size()));
                switch (random.nextInt(5)) {
                    case 0 -> { c.network.disconnect(victim); trace.add("disconnect " + victim); }
                    case 1 -> { c.network.heal(); trace.add("heal"); }
                    case 2 -> {
                        String other = c.ids.get(random.nextInt(c.ids.size()));
                        c.network.cut(victim, other);
                        trace.add("cut " + victim + "->" + other);
                    }
                    case 3 -> {
                        c.stop(victim);
                        c.start(victim);
                        trace.add("restart " + victim);
                    }
                    default -> trace.add("quiet");
                }
            }
            c.network.heal();
            running.set(false);
            client.join(30_000);
            for (String id : c.ids) {
                if (c.server(id).failure().isPresent()) {
                    java.io.StringWriter w = new java.io.StringWriter();
                    c.server(id).failure().get().printStackTrace(new java.io.PrintWriter(w));
                    fail("seed " + seed + ": " + id + " stopped on a fatal error; faults " + trace + "\n" + w);
                }
            }
            RaftServer leader = c.awaitLeader(20_000, c.ids);
            leader.propose(bytes("END")).get(20, TimeUnit.SECONDS);
            int expected;
            // Every server converges on the leader's sequence.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!c.ids.stream().allMatch(id -> c.stateMachines.get(id).values()
                    .equals(c.stateMachines.get(leader.id()).values()))) {
                if (System.nanoTime() > deadline) {
                    StringBuilder sb = new StringBuilder("seed " + seed + ": no convergence; faults " + trace + "\n");
                    for (String id : c.ids) {
                        RaftServer s = c.server(id);
                        sb.append(s.status()).append(" failure=").append(s.failure().orElse(null))
                                .append(" applied=").append(c.stateMachines.get(id).values().size())
                                .append(" log=[").append(c.logs.get(id).firstIndex()).append(',')
                                .append(c.logs.get(id).lastIndex()).append("] snapshot=")
                                .append(c.snapshots.get(id).latest().orElse(null)).append('\n');
                    }
                    fail(sb.toString());
                }
                Thread.sleep(20);
            }
            List<String> applied = c.stateMachines.get(leader.id()).values();
            expected = applied.size();
            String why = "seed " + seed + ", faults " + trace;
            Set<String> seen = new HashSet<>();
            for (String v : applied) {
                assertTrue(seen.add(v), why + ": " + v + " applied twice");
                Outcome o = outcomes.get(v);
                if (!v.equals("END") && o == Outcome.DEFINITELY_NOT) {
                    fail(why + ": " + v + " was reported as not applied, yet it was");
                }
            }
            for (Map.Entry<String, Outcome> e : outcomes.entrySet()) {
                if (e.getValue() == Outcome.ACKED) {
                    assertTrue(seen.contains(e.getKey()), why + ": acknowledged " + e.getKey() + " is missing");
                }
            }
            System.out.printf("seed %d: %d proposals, %d acked, %d unknown, %d refused; %d applied; %d faults%n",
                    seed, futures.size(), count(outcomes, Outcome.ACKED), count(outcomes, Outcome.UNKNOWN),
                    count(outcomes, Outcome.DEFINITELY_NOT), expected, trace.size());
        }
        // After every server closed, every future has completed.
        for (Map.Entry<String, CompletableFuture<byte[]>> e : futures.entrySet()) {
            assertTrue(e.getValue().isDone(), "seed " + seed + ": future of " + e.getKey() + " never completed");
        }
    }

    private static long count(Map<String, Outcome> outcomes, Outcome o) {
        return outcomes.values().stream().filter(o::equals).count();
    }

    private static void runClient(LocalCluster c, AtomicBoolean running, Map<String, CompletableFuture<byte[]>> futures,
                                  Map<String, Outcome> outcomes) {
        Semaphore window = new Semaphore(16);
        int n = 0;
        Map<String, Integer> rr = new HashMap<>();
        while (running.get()) {
            try {
                if (!window.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            }
            RaftServer target = null;
            for (String id : c.ids) {
                RaftServer s = c.server(id);
                if (s.status().isLeader() && s.isRunning()) {
                    target = s;
                }
            }
            if (target == null) {
                target = c.server(c.ids.get(rr.merge("i", 1, Integer::sum) % c.ids.size()));
            }
            String value = "v" + (n++);
            CompletableFuture<byte[]> f = target.propose(bytes(value)).orTimeout(5, TimeUnit.SECONDS);
            futures.put(value, f);
            f.whenComplete((r, e) -> {
                outcomes.put(value, classify(e));
                window.release();
            });
        }
    }

    private static Outcome classify(Throwable e) {
        if (e == null) {
            return Outcome.ACKED;
        }
        Throwable t = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (t instanceof NotLeaderException || t instanceof ProposalRejectedException
                || t instanceof OverloadedException || t instanceof NotCommittedException
                || t instanceof ShutdownException) {
            return Outcome.DEFINITELY_NOT;
        }
        return Outcome.UNKNOWN; // OutcomeUnknownException, or our own client-side timeout
    }
}
