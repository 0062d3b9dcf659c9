package io.raftkv.verify;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The size the harness produces per key: 2,000 operations from 10 concurrent clients on one key, some with
 * unknown outcomes. The assertions are on the deterministic step count (a regression that makes the search
 * explode fails here on any machine); the wall-clock time is printed, not asserted.
 */
class LargeHistoryTest {
    private static final long STEP_LIMIT = 5_000_000;

    private final LinearizabilityChecker checker =
            new LinearizabilityChecker(CheckOptions.defaults().withStepBudgetPerKey(STEP_LIMIT));

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void twoThousandOperationsOnOneKey(long seed) {
        History history = RegisterSimulation.generate(seed, RegisterSimulation.Config.of(10, 1, 2000));
        CheckResult result = checker.check(history);
        KeyVerdict v = result.keys().get("k0");
        System.out.printf("seed %d: %s, %d operations (%d checked), %d steps, %.1f ms%n", seed, v.verdict(),
                v.stats().operations(), v.stats().checked(), v.stats().steps(), v.stats().elapsedNanos() / 1e6);
        assertEquals(Verdict.OK, result.verdict(), () -> "seed " + seed + ": " + result.report());
    }

    /**
     * Proving a violation means exhausting every order up to the failure, which costs more than finding one
     * order. These seeds' histories contain a stale read no order can explain (with a 1% fault rate some seeds'
     * stale reads all happen to be explainable by concurrency, and those are linearizable).
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {3, 4, 5})
    void twoThousandOperationsWithAStaleReadIsCaught(long seed) {
        History history = RegisterSimulation.generate(seed, RegisterSimulation.Config.of(10, 1, 2000)
                .withFault(RegisterSimulation.Fault.STALE_READ, 0.01));
        CheckResult result = checker.check(history);
        KeyVerdict v = result.keys().get("k0");
        System.out.printf("seed %d (stale reads): %s, %d steps, %.1f ms%n", seed, v.verdict(), v.stats().steps(),
                v.stats().elapsedNanos() / 1e6);
        assertEquals(Verdict.VIOLATION, result.verdict(), () -> "seed " + seed + ": " + result.report());
    }
}
