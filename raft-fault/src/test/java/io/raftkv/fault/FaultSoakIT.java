package io.raftkv.fault;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The long run, off by default: {@code -Dsoak=10m} runs back-to-back 60 s nemesis runs with every fault kind,
 * alternating 3 and 5 nodes, until the time is up, then prints and saves (target/fault-runs/soak-summary.txt)
 * runs, operations, faults by kind and verdicts. Every third run is a bank run on the SQL state machine
 * ({@link RunConfig#bank}, its own faults). Fails if any run had a problem.
 */
class FaultSoakIT {

    @Test
    void soak() throws Exception {
        Duration soak = Harness.soak();
        Assumptions.assumeTrue(!soak.isZero(), "no -Dsoak=<duration>");
        long seed = Harness.seed();
        long end = System.nanoTime() + soak.toNanos();
        List<RunResult> results = new ArrayList<>();
        for (int run = 0; System.nanoTime() < end; run++) {
            int nodes = run % 2 == 0 ? 3 : 5;
            Duration left = Duration.ofNanos(end - System.nanoTime());
            Duration length = left.compareTo(Duration.ofSeconds(60)) < 0 ? Duration.ofSeconds(Math.max(10, left.toSeconds()))
                    : Duration.ofSeconds(60);
            boolean bank = run % 3 == 2;
            String name = String.format("soak-%03d-%dn%s", run, nodes, bank ? "-bank" : "");
            RunResult r = new FaultRun(bank ? RunConfig.bank(name, Harness.jar(), Harness.out(), nodes, length, seed + run)
                    : RunConfig.of(name, Harness.jar(), Harness.out(), nodes, length, seed + run)).run();
            System.out.println(r.oneLine());
            results.add(r);
        }
        long ops = results.stream().mapToLong(RunResult::operations).sum();
        Map<FaultKind, Integer> faults = new EnumMap<>(FaultKind.class);
        results.forEach(r -> r.faults().forEach((k, v) -> faults.merge(k, v, Integer::sum)));
        long failed = results.stream().filter(r -> !r.ok()).count();
        long violations = results.stream().filter(RunResult::linearizabilityViolated).count();
        long observed = results.stream().filter(r -> !r.observations().isEmpty()).count();
        int leaderPauses = results.stream().mapToInt(RunResult::leaderPauses).sum();
        long maxElection = results.stream().mapToLong(RunResult::electionMillis).max().orElse(-1);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("soak %s, first seed %d: %d runs, %d operations, faults %s (leader paused %d times), "
                        + "%d runs with problems, %d with a linearizability violation, %d with observations, "
                        + "slowest leader after heal %d ms%n", soak, seed, results.size(), ops, faults, leaderPauses,
                failed, violations, observed, maxElection));
        results.forEach(r -> sb.append("  ").append(r.oneLine()).append('\n'));
        System.out.print(sb);
        Files.createDirectories(Harness.out());
        Files.writeString(Harness.out().resolve("soak-summary.txt"), sb);
        assertTrue(failed == 0, sb.toString());
    }
}
