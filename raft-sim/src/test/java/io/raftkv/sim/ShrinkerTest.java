package io.raftkv.sim;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shrinker against a synthetic runner whose failure condition is known. */
class ShrinkerTest {

    private static Schedule scheduleWithFaults(int n) {
        List<ScheduledFault> faults = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            faults.add(new ScheduledFault(i, 10 + 5L * i, new Fault.HealNetwork()));
        }
        return new Schedule(1, 3, NetworkQuality.HEALTHY, faults, 200, Long.MAX_VALUE, null);
    }

    /** Fails with the given invariant at tick 100 iff all of {@code culprits} are in the schedule. */
    private static Function<Schedule, SimResult> failsWith(Set<Integer> culprits, Invariant invariant) {
        return s -> {
            Set<Integer> ids = new TreeSet<>();
            for (ScheduledFault f : s.faults()) {
                ids.add(f.id());
            }
            boolean fails = ids.containsAll(culprits) && s.maxTicks() > 100;
            return new SimResult(s, fails ? new InvariantViolation(invariant, 100 * Simulation.TICK + 3, "boom") : null,
                    SimStats.ZERO, "");
        };
    }

    @Test
    void shrinksToExactlyTheFaultsThatMatter() {
        Function<Schedule, SimResult> runner = failsWith(Set.of(3, 17), Invariant.ELECTION_SAFETY);
        SimResult failing = runner.apply(scheduleWithFaults(30));
        Shrinker shrinker = new Shrinker(runner, 500);
        SimResult shrunk = shrinker.shrink(failing);
        List<Integer> ids = new ArrayList<>();
        for (ScheduledFault f : shrunk.schedule().faults()) {
            ids.add(f.id());
        }
        assertEquals(List.of(3, 17), ids);
        assertEquals(101, shrunk.schedule().maxTicks(), "a safety violation needs nothing after its tick");
        assertTrue(shrinker.runs() < 100, "ddmin should need few runs, used " + shrinker.runs());
    }

    @Test
    void keepsTheSameInvariant() {
        // A runner that fails with a different invariant once fault 5 is gone must not be accepted.
        Function<Schedule, SimResult> runner = s -> {
            boolean has5 = s.faults().stream().anyMatch(f -> f.id() == 5);
            return new SimResult(s, new InvariantViolation(has5 ? Invariant.LOG_MATCHING : Invariant.LIVENESS,
                    50 * Simulation.TICK, "x"), SimStats.ZERO, "");
        };
        SimResult shrunk = new Shrinker(runner, 500).shrink(runner.apply(scheduleWithFaults(10)));
        assertEquals(Invariant.LOG_MATCHING, shrunk.violation().invariant());
        assertEquals(1, shrunk.schedule().faults().size());
        assertEquals(5, shrunk.schedule().faults().get(0).id());
    }

    @Test
    void respectsItsBudget() {
        Function<Schedule, SimResult> runner = failsWith(Set.of(1, 2, 3, 4, 5, 6, 7, 8), Invariant.LIVENESS);
        Shrinker shrinker = new Shrinker(runner, 7);
        shrinker.shrink(runner.apply(scheduleWithFaults(40)));
        assertTrue(shrinker.runs() <= 7, "ran " + shrinker.runs());
    }

    @Test
    void refusesARunThatDidNotFail() {
        Schedule s = scheduleWithFaults(2);
        assertThrows(IllegalArgumentException.class,
                () -> new Shrinker(x -> null, 10).shrink(new SimResult(s, null, SimStats.ZERO, "")));
    }
}
