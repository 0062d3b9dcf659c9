package io.raftkv.fault;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The short CI version: one 3-node and one 5-node run, each with every fault kind (partitions only if iptables
 * works here) for 16-18 s. Each must pass every check — including the counter workload's: increments by CAS in
 * client sessions, resent after every unknown outcome, end exactly at the acknowledged counts (thesis §6.3). A
 * failure message carries the seed and the run's directory holds history.jsonl and a summary naming the key and
 * operations.
 */
class FaultInjectionIT {

    @Test
    @Timeout(240)
    void threeNodesUnderEveryFault() throws Exception {
        assertPasses(RunConfig.of("ci-3-nodes", Harness.jar(), Harness.out(), 3, Duration.ofSeconds(18), Harness.seed()));
    }

    @Test
    @Timeout(240)
    void fiveNodesUnderEveryFault() throws Exception {
        assertPasses(RunConfig.of("ci-5-nodes", Harness.jar(), Harness.out(), 5, Duration.ofSeconds(16), Harness.seed() + 1));
    }

    private static void assertPasses(RunConfig config) throws Exception {
        RunResult r = new FaultRun(config).run();
        System.out.println(r.oneLine());
        assertTrue(r.ok(), r.oneLine() + "\n(details in " + r.dir().resolve("summary.txt") + ")");
        int faults = r.faults().values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(faults >= 2, "the nemesis injected only " + faults + " faults: " + r.oneLine());
        assertTrue(r.operations() > 100, "too few operations to mean anything: " + r.oneLine());
        assertTrue(r.counters() != null && r.counters().acknowledged() > 20,
                "too few counter increments to mean anything: " + r.oneLine());
    }
}
