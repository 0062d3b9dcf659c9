package io.raftkv.verify;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checker against the definition: on thousands of tiny random histories (values from a small domain, so that
 * values repeat, CAS often matches, and unknown outcomes abound), the search with and without pruning must give
 * the same verdict as trying every order.
 */
class CheckerVsBruteForceTest {
    private static final String[] VALUES = {null, "a", "b", "c"};

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void sameVerdictAsBruteForce(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        LinearizabilityChecker pruning = new LinearizabilityChecker(CheckOptions.defaults().withParallelism(1), true);
        LinearizabilityChecker plain = new LinearizabilityChecker(CheckOptions.defaults().withParallelism(1), false);
        int linearizable = 0;
        int histories = 300;
        for (int i = 0; i < histories; i++) {
            List<Operation> ops = randomHistory(random, 2 + random.nextInt(8));
            boolean expected = BruteForceChecker.isLinearizable(ops);
            History history = new History(ops);
            String context = "seed " + seed + " history " + i + ":\n" + describe(ops);
            CheckResult withPruning = pruning.check(history);
            CheckResult without = plain.check(history);
            assertEquals(expected ? Verdict.OK : Verdict.VIOLATION, withPruning.verdict(),
                    () -> context + withPruning.report());
            assertEquals(expected ? Verdict.OK : Verdict.VIOLATION, without.verdict(), () -> context + without.report());
            linearizable += expected ? 1 : 0;
        }
        // The generator must produce both kinds, or the comparison proves little.
        assertTrue(linearizable > histories / 5 && linearizable < histories * 4 / 5,
                "seed " + seed + ": " + linearizable + " of " + histories + " linearizable");
    }

    /**
     * A history from a correct register with random linearization points, then with probability 3/4 one result
     * changed at random (which may or may not break it).
     */
    static List<Operation> randomHistory(SplittableRandom random, int n) {
        record Planned(int process, OpKind kind, String expected, String value, long invoke, long complete,
                       long point, Outcome outcome) {
        }
        List<Planned> planned = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long invoke = random.nextInt(30);
            long complete = invoke + random.nextInt(12);
            OpKind kind = OpKind.values()[random.nextInt(OpKind.values().length)];
            if (kind == OpKind.STALE_READ) {
                kind = OpKind.READ;
            }
            int o = random.nextInt(10);
            Outcome outcome = o < 6 ? Outcome.OK : o < 9 ? Outcome.UNKNOWN : Outcome.FAIL;
            // An unknown operation, if applied, may be applied long after the client gave up.
            long point = outcome == Outcome.UNKNOWN ? invoke + random.nextInt(40)
                    : invoke + (complete == invoke ? 0 : random.nextLong(complete - invoke + 1));
            boolean applied = outcome == Outcome.OK || (outcome == Outcome.UNKNOWN && random.nextBoolean());
            String expected = kind == OpKind.CAS ? VALUES[random.nextInt(VALUES.length)] : null;
            String value = kind == OpKind.READ ? null : VALUES[random.nextInt(VALUES.length)];
            planned.add(new Planned(i, kind, expected, value, invoke, complete, applied ? point : -1, outcome));
        }
        // Apply in linearization-point order to compute the results.
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        order.sort((x, y) -> Long.compare(planned.get(x).point(), planned.get(y).point()));
        String[] outputs = new String[n];
        Boolean[] swaps = new Boolean[n];
        String state = null;
        for (int i : order) {
            Planned p = planned.get(i);
            if (p.point() < 0) {
                continue;
            }
            switch (p.kind()) {
                case READ -> outputs[i] = state;
                case WRITE -> state = p.value();
                case CAS -> {
                    swaps[i] = java.util.Objects.equals(state, p.expected());
                    if (swaps[i]) {
                        state = p.value();
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
        List<Integer> corruptible = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (planned.get(i).outcome() == Outcome.OK && planned.get(i).kind() != OpKind.WRITE) {
                corruptible.add(i);
            }
        }
        int corrupt = corruptible.isEmpty() || random.nextInt(4) == 0 ? -1
                : corruptible.get(random.nextInt(corruptible.size()));
        List<Operation> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Planned p = planned.get(i);
            boolean ok = p.outcome() == Outcome.OK;
            String output = ok && p.kind() == OpKind.READ ? outputs[i] : null;
            Boolean swapped = ok && p.kind() == OpKind.CAS ? swaps[i] : null;
            if (i == corrupt && ok) {
                if (p.kind() == OpKind.READ) {
                    output = VALUES[random.nextInt(VALUES.length)];
                } else if (p.kind() == OpKind.CAS) {
                    swapped = !swapped;
                }
            }
            ops.add(new Operation(i, p.process(), null, "k", p.kind(), p.expected(), p.value(), p.invoke(),
                    p.complete(), p.outcome(), output, swapped));
        }
        return ops;
    }

    private static String describe(List<Operation> ops) {
        StringBuilder sb = new StringBuilder();
        ops.forEach(op -> sb.append("  ").append(op).append('\n'));
        return sb.toString();
    }
}
