package io.raftkv.verify;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checker against {@link ReferenceWgl} (plain Lowe, no optimisations) on medium histories — long enough for
 * multi-word bit sets, memo hits, deep backtracking, many UNKNOWN operations — from correct and broken simulated
 * stores. The verdicts must agree wherever the reference decides within its budget.
 */
class CheckerVsReferenceTest {
    private static final RegisterSimulation.Fault[] FAULTS = RegisterSimulation.Fault.values();

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void sameVerdictAsPlainWgl(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        LinearizabilityChecker checker = new LinearizabilityChecker(CheckOptions.defaults().withParallelism(1)
                .withStepBudgetPerKey(5_000_000));
        int decided = 0;
        int violations = 0;
        int histories = 20;
        for (int i = 0; i < histories; i++) {
            long historySeed = random.nextLong();
            RegisterSimulation.Fault fault = FAULTS[random.nextInt(FAULTS.length)];
            RegisterSimulation.Config config = RegisterSimulation.Config.of(2 + random.nextInt(4), 1,
                    60 + random.nextInt(140)).withUnknownRate(random.nextDouble() * 0.15).withFault(fault, 0.05);
            History history = RegisterSimulation.generate(historySeed, config);
            Boolean expected = ReferenceWgl.isLinearizable(history.operations(), 2_000_000);
            if (expected == null) {
                continue;
            }
            decided++;
            violations += expected ? 0 : 1;
            CheckResult result = checker.check(history);
            assertEquals(expected ? Verdict.OK : Verdict.VIOLATION, result.verdict(), () -> "seed " + seed
                    + ", history seed " + historySeed + ", " + config + ":\n" + result.report());
        }
        assertTrue(decided >= histories / 2, "seed " + seed + ": the reference decided only " + decided);
        System.out.printf("seed %d: %d of %d decided by the reference, %d violations%n", seed, decided, histories,
                violations);
    }
}
