package io.raftkv.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A seed is a complete description of a run: same seed, byte-identical trace. */
class DeterminismTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {0, 7, 42, 1234})
    void twoRunsOfOneSeedProduceIdenticalTraces(long seed) {
        for (int nodes : new int[]{3, 5}) {
            Simulator sim = new Simulator(SimConfig.defaults(nodes));
            Schedule schedule = sim.schedule(seed);
            SimResult a = sim.run(schedule, true);
            SimResult b = new Simulator(SimConfig.defaults(nodes)).run(schedule, true);
            assertFalse(a.trace().isEmpty());
            assertTrue(a.trace().contains("became leader"), "a run elects leaders");
            assertEquals(a.trace(), b.trace(), "traces of seed " + seed + " differ");
            assertEquals(a.stats(), b.stats());
        }
    }

    @Test
    void tracingDoesNotChangeTheRun() {
        Simulator sim = new Simulator(SimConfig.defaults(5));
        Schedule schedule = sim.schedule(99);
        assertEquals(sim.run(schedule, true).stats(), sim.run(schedule, false).stats());
    }

    @Test
    void differentSeedsGiveDifferentRuns() {
        Simulator sim = new Simulator(SimConfig.defaults(3));
        assertNotEquals(sim.run(sim.schedule(1), true).trace(), sim.run(sim.schedule(2), true).trace());
    }

    @Test
    void schedulesAreAFunctionOfTheSeed() {
        Simulator sim = new Simulator(SimConfig.defaults(5));
        assertEquals(sim.schedule(5).toString(), sim.schedule(5).toString());
        assertFalse(sim.schedule(5).faults().isEmpty());
    }

    @Test
    void replayArgumentsSelectTheSameSchedule() {
        Simulator sim = new Simulator(SimConfig.defaults(3));
        Schedule full = sim.schedule(11);
        Set<Integer> ids = new TreeSet<>();
        for (ScheduledFault f : full.faults()) {
            if (f.id() % 2 == 0) {
                ids.add(f.id());
            }
        }
        Schedule kept = full.keepOnly(ids).withMaxTicks(120);
        // What the CLI does with --seed 11 --keep-faults ... --max-ticks 120
        Schedule replayed = sim.schedule(11).keepOnly(ids).withFaultTicks(kept.faultTicks()).withMaxTicks(120);
        assertEquals(kept, replayed);
        assertEquals(sim.run(kept, true).trace(), sim.run(replayed, true).trace());
        assertTrue(kept.replayArguments().contains("--seed 11"));
    }
}
