package io.raftkv.verify;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-made histories, each the smallest example of one rule. Times are arbitrary ticks of one clock. */
class LinearizabilityCheckerTest {
    private final LinearizabilityChecker checker = new LinearizabilityChecker(CheckOptions.defaults().withParallelism(1));

    private CheckResult check(Hist h) {
        return checker.check(h.history());
    }

    private void assertLinearizable(Hist h) {
        CheckResult r = check(h);
        assertEquals(Verdict.OK, r.verdict(), r::report);
    }

    private KeyVerdict.Violation assertViolation(Hist h) {
        CheckResult r = check(h);
        assertEquals(Verdict.VIOLATION, r.verdict(), r::report);
        return r.violations().get(0);
    }

    @Test
    void emptyHistoryIsLinearizable() {
        assertLinearizable(new Hist());
    }

    @Test
    void readOfAbsentKeyBeforeAnyWrite() {
        assertLinearizable(new Hist().read(1, null, 0, 10));
    }

    @Test
    void sequentialWriteThenRead() {
        assertLinearizable(new Hist().write(1, "a", 0, 10).read(2, "a", 20, 30));
    }

    @Test
    void readSeesValueBeforeItsWriteWasInvoked() {
        KeyVerdict.Violation v = assertViolation(new Hist().read(2, "a", 0, 10).write(1, "a", 20, 30));
        assertEquals("k", v.key());
        assertTrue(v.explanation().contains("read returned \"a\" but the value was absent"), v.explanation());
    }

    @Test
    void readMissesACompletedWrite() {
        assertViolation(new Hist().write(1, "a", 0, 10).read(2, null, 20, 30));
    }

    @Test
    void twoSequentialReadsSeeNewThenOld() {
        // The write of "b" is concurrent with both reads, but once a read has returned "b", a later read must not
        // go back to "a".
        Hist h = new Hist().write(1, "a", 0, 10)
                .write(1, "b", 20, 100)
                .read(2, "b", 30, 40)
                .read(3, "a", 50, 60);
        KeyVerdict.Violation v = assertViolation(h);
        assertEquals("b", v.valueAfterPrefix(), v.explanation());
    }

    @Test
    void twoSequentialReadsSeeOldThenNew() {
        assertLinearizable(new Hist().write(1, "a", 0, 10)
                .write(1, "b", 20, 100)
                .read(2, "a", 30, 40)
                .read(3, "b", 50, 60));
    }

    @Test
    void concurrentWriteAndReadMayBeOrderedEitherWay() {
        assertLinearizable(new Hist().write(1, "a", 0, 100).read(2, "a", 10, 20));
        assertLinearizable(new Hist().write(1, "a", 0, 100).read(2, null, 10, 20));
    }

    @Test
    void touchingIntervalsAreConcurrent() {
        // The clock cannot order a completion and an invocation with the same reading.
        assertLinearizable(new Hist().read(2, "a", 0, 10).write(1, "a", 10, 20));
    }

    @Test
    void casChain() {
        assertLinearizable(new Hist()
                .cas(1, null, "a", true, 0, 10)
                .cas(2, "a", "b", true, 20, 30)
                .cas(3, "a", "c", false, 40, 50)
                .cas(1, "b", "c", true, 60, 70)
                .cas(2, "b", "d", false, 80, 90)
                .read(3, "c", 100, 110)
                .cas(1, "c", null, true, 120, 130)
                .read(2, null, 140, 150));
    }

    @Test
    void concurrentCasesOnlyOneMayWin() {
        assertLinearizable(new Hist().write(1, "a", 0, 10)
                .cas(2, "a", "b", true, 20, 50)
                .cas(3, "a", "c", false, 20, 50)
                .read(1, "b", 60, 70));
        assertViolation(new Hist().write(1, "a", 0, 10)
                .cas(2, "a", "b", true, 20, 50)
                .cas(3, "a", "c", true, 20, 50));
    }

    @Test
    void casThatFailedAlthoughTheValueMatched() {
        KeyVerdict.Violation v = assertViolation(new Hist().write(1, "a", 0, 10).cas(2, "a", "b", false, 20, 30));
        assertTrue(v.explanation().contains("did not swap"), v.explanation());
    }

    @Test
    void casThatSwappedAlthoughTheValueDiffered() {
        assertViolation(new Hist().write(1, "a", 0, 10).cas(2, "x", "b", true, 20, 30));
    }

    @Test
    void deleteMakesTheKeyAbsent() {
        assertLinearizable(new Hist().write(1, "a", 0, 10).write(1, null, 20, 30).read(2, null, 40, 50));
        assertViolation(new Hist().write(1, "a", 0, 10).write(1, null, 20, 30).read(2, "a", 40, 50));
    }

    @Test
    void unknownWriteTakesEffectLongAfterTheClientGaveUp() {
        // Client 1 timed out at 20; the write landed somewhere before the read at 500.
        assertLinearizable(new Hist().write(1, "a", 0, 5)
                .writeUnknown(1, "b", 10, 20)
                .read(2, "a", 100, 110)
                .read(2, "b", 500, 510));
    }

    @Test
    void unknownWriteThatNeverTakesEffect() {
        assertLinearizable(new Hist().write(1, "a", 0, 5)
                .writeUnknown(1, "b", 10, 20)
                .read(2, "a", 100, 110)
                .read(2, "a", 500, 510));
    }

    @Test
    void unknownWriteTakesEffectAtMostOnce() {
        // "b" then "c" then "b" again would need the unknown write to apply twice.
        assertViolation(new Hist().writeUnknown(1, "b", 0, 5)
                .read(2, "b", 10, 20)
                .write(3, "c", 30, 40)
                .read(2, "b", 50, 60));
    }

    @Test
    void unknownWriteCannotTakeEffectBeforeItsInvocation() {
        assertViolation(new Hist().read(2, "b", 0, 10).writeUnknown(1, "b", 20, 30));
    }

    @Test
    void failedWriteNeverTakesEffect() {
        assertLinearizable(new Hist().writeFailed(1, "b", 0, 10).read(2, null, 20, 30));
        assertViolation(new Hist().writeFailed(1, "b", 0, 10).read(2, "b", 20, 30));
    }

    @Test
    void unknownReadConstrainsNothing() {
        assertLinearizable(new Hist().write(1, "a", 0, 10).readUnknown(2, 20, 30).read(2, "a", 40, 50));
    }

    @Test
    void unknownCasMayOrMayNotHaveSwapped() {
        assertLinearizable(new Hist().write(1, "a", 0, 10).casUnknown(2, "a", "b", 20, 30).read(3, "b", 40, 50));
        assertLinearizable(new Hist().write(1, "a", 0, 10).casUnknown(2, "a", "b", 20, 30).read(3, "a", 40, 50));
        assertViolation(new Hist().write(1, "x", 0, 10).casUnknown(2, "a", "b", 20, 30).read(3, "b", 40, 50));
    }

    @Test
    void unknownWriteObservedOnlyThroughAFailedCas() {
        // The CAS expecting "a" failed at 40: only the unknown write of "b" can explain it.
        assertLinearizable(new Hist().write(1, "a", 0, 10).writeUnknown(2, "b", 15, 20)
                .cas(3, "a", "c", false, 30, 40));
        assertViolation(new Hist().write(1, "a", 0, 10).writeFailed(2, "b", 15, 20)
                .cas(3, "a", "c", false, 30, 40));
    }

    @Test
    void staleReadsAreNotCheckedForLinearizability() {
        assertLinearizable(new Hist().write(1, "a", 0, 10).write(1, "b", 20, 30).staleRead(2, "a", 40, 50));
    }

    @Test
    void keysAreIndependentRegisters() {
        Hist h = new Hist().key("x").write(1, "1", 0, 10).key("y").read(2, null, 20, 30)
                .key("x").read(2, "1", 40, 50).key("y").read(3, "1", 60, 70);
        CheckResult r = check(h);
        assertEquals(Verdict.VIOLATION, r.verdict(), r::report);
        assertInstanceOf(KeyVerdict.Linearizable.class, r.keys().get("x"));
        assertInstanceOf(KeyVerdict.Violation.class, r.keys().get("y"));
    }

    @Test
    void violationReportNamesThePrefixAndThePendingOperations() {
        Hist h = new Hist().write(1, "a", 0, 10)
                .write(1, "b", 20, 100)
                .read(2, "b", 30, 40)
                .read(3, "a", 50, 60)
                .write(4, "z", 55, 58);
        KeyVerdict.Violation v = assertViolation(h);
        // a, b, read b, write z fit; then the read of "a" cannot.
        assertEquals(4, v.longestPrefix().size(), v.explanation());
        assertTrue(v.blocked().stream().anyMatch(b -> b.operation().id() == 3), v.explanation());
        assertTrue(v.explanation().contains("#3 p3 k read = \"a\""), v.explanation());
    }

    @Test
    void finalReadsCatchALostAcknowledgedWrite() {
        History h = new Hist().write(1, "a", 0, 10).write(2, "b", 5, 20).writeUnknown(3, "c", 30, 40).history();
        LinearizabilityChecker c = checker;
        assertEquals(Verdict.OK, c.check(h.withFinalReads(Map.of("k", Optional.of("b")))).verdict());
        assertEquals(Verdict.OK, c.check(h.withFinalReads(Map.of("k", Optional.of("a")))).verdict());
        assertEquals(Verdict.OK, c.check(h.withFinalReads(Map.of("k", Optional.of("c")))).verdict());
        assertEquals(Verdict.VIOLATION, c.check(h.withFinalReads(Map.of("k", Optional.empty()))).verdict());
        assertEquals(Verdict.VIOLATION, c.check(h.withFinalReads(Map.of("k", Optional.of("d")))).verdict());
    }

    private static Hist twentyConcurrentWritesAndAnImpossibleRead() {
        Hist h = new Hist();
        for (int i = 0; i < 20; i++) {
            h.write(i, "v" + i, 0, 1000);
        }
        return h.read(99, "nope", 2000, 2001);
    }

    @Test
    void timeAndMemoryBudgetsAlsoEndTheSearch() {
        CheckResult slow = new LinearizabilityChecker(CheckOptions.defaults().withTimeBudgetPerKey(Duration.ofNanos(1)))
                .check(twentyConcurrentWritesAndAnImpossibleRead().history());
        assertEquals(Verdict.UNKNOWN, slow.verdict(), slow::report);
        assertTrue(slow.unknowns().get(0).reason().contains("time budget"), slow::report);

        CheckResult big = new LinearizabilityChecker(CheckOptions.defaults().withMemoryBudgetPerKey(1024))
                .check(twentyConcurrentWritesAndAnImpossibleRead().history());
        assertEquals(Verdict.UNKNOWN, big.verdict(), big::report);
        assertTrue(big.unknowns().get(0).reason().contains("memory budget"), big::report);
    }

    @Test
    void interruptedCheckIsUnknown() {
        Thread.currentThread().interrupt();
        try {
            CheckResult r = checker.check(twentyConcurrentWritesAndAnImpossibleRead().history());
            assertEquals(Verdict.UNKNOWN, r.verdict(), r::report);
            assertEquals("interrupted", r.unknowns().get(0).reason());
        } finally {
            Thread.interrupted(); // leave the test thread clean
        }
    }

    @Test
    void budgetExhaustionIsUnknownNotAHang() {
        // Twenty fully concurrent writes and an impossible read: the search must try every order of the writes
        // that could come first, which a 100-step budget does not allow.
        Hist h = new Hist();
        for (int i = 0; i < 20; i++) {
            h.write(i, "v" + i, 0, 1000);
        }
        h.read(99, "nope", 2000, 2001);
        CheckResult r = new LinearizabilityChecker(CheckOptions.defaults().withStepBudgetPerKey(100)).check(h.history());
        assertEquals(Verdict.UNKNOWN, r.verdict(), r::report);
        assertTrue(r.unknowns().get(0).reason().contains("step budget"), r::report);
    }
}
