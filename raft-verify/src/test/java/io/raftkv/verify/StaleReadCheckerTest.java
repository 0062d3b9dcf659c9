package io.raftkv.verify;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StaleReadCheckerTest {
    private final StaleReadChecker checker = new StaleReadChecker();

    private StaleReadChecker.Result check(Hist h) {
        return checker.check(h.history());
    }

    private void assertOk(Hist h) {
        StaleReadChecker.Result r = check(h);
        assertTrue(r.ok(), r::report);
    }

    private StaleReadAnomaly assertOneAnomaly(Hist h) {
        StaleReadChecker.Result r = check(h);
        assertEquals(1, r.anomalies().size(), r::report);
        return r.anomalies().get(0);
    }

    @Test
    void staleValueIsFine() {
        // Linearizably wrong, but a lagging node may serve it.
        assertOk(new Hist().write(1, "a", 0, 10).write(1, "b", 20, 30).staleRead(2, "a", 40, 50));
    }

    @Test
    void absentIsAlwaysPossible() {
        assertOk(new Hist().write(1, "a", 0, 10).staleRead(2, null, 40, 50));
    }

    @Test
    void valueNeverWritten() {
        StaleReadAnomaly a = assertOneAnomaly(new Hist().write(1, "a", 0, 10).staleRead(2, "zzz", 40, 50));
        assertInstanceOf(StaleReadAnomaly.ValueFromNowhere.class, a);
        assertTrue(a.explanation().contains("no operation ever wrote it"), a.explanation());
    }

    @Test
    void valueWrittenOnlyByAFailedWrite() {
        StaleReadAnomaly a = assertOneAnomaly(new Hist().writeFailed(1, "a", 0, 10).staleRead(2, "a", 40, 50));
        assertTrue(a.explanation().contains("did not take effect"), a.explanation());
    }

    @Test
    void valueWrittenOnlyByACasThatDidNotSwap() {
        assertOneAnomaly(new Hist().cas(1, "x", "a", false, 0, 10).staleRead(2, "a", 40, 50));
    }

    @Test
    void valueFromTheFuture() {
        StaleReadAnomaly a = assertOneAnomaly(new Hist().staleRead(2, "a", 0, 10).write(1, "a", 20, 30));
        assertTrue(a.explanation().contains("invoked after the read completed"), a.explanation());
    }

    @Test
    void valueOfAnUnknownWriteOrAConcurrentWrite() {
        assertOk(new Hist().writeUnknown(1, "a", 0, 5).staleRead(2, "a", 40, 50));
        assertOk(new Hist().write(1, "a", 10, 50).staleRead(2, "a", 0, 20));
    }

    @Test
    void valueFromAnotherKeyIsThinAir() {
        assertOneAnomaly(new Hist().key("x").write(1, "a", 0, 10).key("y").staleRead(2, "a", 40, 50));
    }

    @Test
    void sessionGoesBackToAnOlderValue() {
        Hist h = new Hist().write(1, "a", 0, 10).write(1, "b", 20, 30)
                .staleRead(2, "n1", "b", 40, 50)
                .staleRead(2, "n1", "a", 60, 70);
        StaleReadAnomaly a = assertOneAnomaly(h);
        StaleReadAnomaly.ReadWentBack back = assertInstanceOf(StaleReadAnomaly.ReadWentBack.class, a);
        assertEquals(2, back.earlier().id());
        assertEquals(3, back.read().id());
    }

    @Test
    void sessionGoesBackToAbsent() {
        assertOneAnomaly(new Hist().write(1, "a", 0, 10)
                .staleRead(2, "n1", "a", 40, 50)
                .staleRead(2, "n1", null, 60, 70));
        // A delete that may come after the write makes absent newer.
        assertOk(new Hist().write(1, "a", 0, 10).write(3, null, 5, 100)
                .staleRead(2, "n1", "a", 40, 50)
                .staleRead(2, "n1", null, 60, 70));
    }

    @Test
    void concurrentWritesHaveNoProvenOrder() {
        assertOk(new Hist().write(1, "a", 0, 30).write(3, "b", 5, 25)
                .staleRead(2, "n1", "b", 40, 50)
                .staleRead(2, "n1", "a", 60, 70));
    }

    @Test
    void differentNodesOrProcessesAreDifferentSessions() {
        Hist h = new Hist().write(1, "a", 0, 10).write(1, "b", 20, 30)
                .staleRead(2, "n1", "b", 40, 50)
                .staleRead(2, "n2", "a", 60, 70)
                .staleRead(3, "n1", "a", 80, 90);
        assertOk(h);
    }

    @Test
    void overlappingReadsOfOneProcessAreNotOrdered() {
        assertOk(new Hist().write(1, "a", 0, 10).write(1, "b", 20, 30)
                .staleRead(2, "n1", "b", 40, 70)
                .staleRead(2, "n1", "a", 60, 80));
    }

    @Test
    void valuesOnlySkipsMonotonicReads() {
        Hist h = new Hist().write(1, "a", 0, 10).write(1, "b", 20, 30)
                .staleRead(2, "n1", "b", 40, 50)
                .staleRead(2, "n1", "a", 60, 70);
        assertTrue(StaleReadChecker.valuesOnly().check(h.history()).ok());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void linearizableHistoriesPassBothChecks(long seed) {
        History history = RegisterSimulation.generate(seed, RegisterSimulation.Config.of(8, 3, 600));
        StaleReadChecker.Result r = checker.check(history);
        assertTrue(r.ok(), () -> "seed " + seed + ": " + r.report());
    }

    /**
     * Stale reads from lagging replicas: writes go through one log in real-time order; each of three nodes
     * applies a prefix of it that only grows; a client reads from one node at a time. Labelled with the node,
     * nothing is reported; with the node label dropped while clients hop between nodes, going back is found.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void laggingReplicas(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Operation> ops = new ArrayList<>();
        List<String> log = new ArrayList<>();
        int[] applied = new int[3];
        long now = 0;
        for (int i = 0; i < 400; i++) {
            now += 1 + random.nextInt(3);
            if (random.nextInt(3) == 0) {
                String value = "v" + i;
                ops.add(new Operation(ops.size(), 0, null, "k", OpKind.WRITE, null, value, now, now + 2,
                        Outcome.OK, null, null));
                log.add(value);
            } else {
                int node = random.nextInt(3);
                applied[node] = Math.max(applied[node], log.size() - random.nextInt(Math.min(log.size(), 5) + 1));
                String output = applied[node] == 0 ? null : log.get(applied[node] - 1);
                ops.add(new Operation(ops.size(), 1 + random.nextInt(3), "n" + node, "k", OpKind.STALE_READ,
                        null, null, now, now + 1, Outcome.OK, output, null));
            }
        }
        History labelled = new History(ops);
        StaleReadChecker.Result r = checker.check(labelled);
        assertTrue(r.ok(), () -> "seed " + seed + ": " + r.report());

        History unlabelled = new History(ops.stream().map(op -> new Operation(op.id(), op.process(), null,
                op.key(), op.kind(), op.expected(), op.value(), op.invokedAt(), op.completedAt(), op.outcome(),
                op.output(), op.swapped())).toList());
        StaleReadChecker.Result hopping = checker.check(unlabelled);
        assertTrue(hopping.anomalies().stream().allMatch(StaleReadAnomaly.ReadWentBack.class::isInstance),
                () -> "seed " + seed + ": " + hopping.report());
        assertTrue(!hopping.ok(), "seed " + seed + ": clients hopping between lagging nodes must be seen going back");
    }
}
