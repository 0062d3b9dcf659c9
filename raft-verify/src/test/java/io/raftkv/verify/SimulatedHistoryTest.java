package io.raftkv.verify;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Histories from a simulated store ({@link RegisterSimulation}): a correct store must always pass, a store with a
 * deliberate bug must be caught. Every failure message starts with the seed, to replay with
 * {@code RegisterSimulation.generate(seed, config)}.
 */
class SimulatedHistoryTest {
    private static final RegisterSimulation.Config CORRECT = RegisterSimulation.Config.of(8, 3, 600);

    private final LinearizabilityChecker checker = new LinearizabilityChecker(CheckOptions.defaults());

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void correctStoreIsAlwaysLinearizable(long seed) {
        History history = RegisterSimulation.generate(seed, CORRECT);
        CheckResult result = checker.check(history);
        assertEquals(Verdict.OK, result.verdict(), () -> "seed " + seed + ": " + result.report());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {101, 102, 103, 104, 105})
    void correctStoreWithManyUnknownOutcomesIsLinearizable(long seed) {
        // A fifth of all operations time out: the regime of a partition that lasts a while.
        History history = RegisterSimulation.generate(seed, CORRECT.withUnknownRate(0.2));
        CheckResult result = checker.check(history);
        assertEquals(Verdict.OK, result.verdict(), () -> "seed " + seed + ": " + result.report());
    }

    @ParameterizedTest
    @EnumSource(value = RegisterSimulation.Fault.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void brokenStoreIsCaught(RegisterSimulation.Fault fault) {
        int seeds = 10;
        int caught = 0;
        StringBuilder missed = new StringBuilder();
        for (long seed = 1; seed <= seeds; seed++) {
            History history = RegisterSimulation.generate(seed, CORRECT.withFault(fault, 0.05));
            CheckResult result = checker.check(history);
            assertNotEquals(Verdict.UNKNOWN, result.verdict(), "seed " + seed + ": " + result.report());
            if (result.verdict() == Verdict.VIOLATION) {
                caught++;
                KeyVerdict.Violation v = result.violations().get(0);
                assertTrue(!v.blocked().isEmpty(), "seed " + seed + ": a violation names what could not go next");
            } else {
                missed.append(' ').append(seed);
            }
        }
        System.out.printf("%s: caught in %d of %d seeds (missed:%s)%n", fault, caught, seeds, missed);
        assertTrue(caught >= seeds * 8 / 10, fault + " caught in only " + caught + " of " + seeds
                + " seeds; missed seeds:" + missed);
    }
}
