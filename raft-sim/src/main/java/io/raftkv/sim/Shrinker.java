package io.raftkv.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Shrinks a failing schedule to a smaller one that still fails the same invariant: it cuts the run right after
 * the violation (safety violations need nothing that comes later), then removes faults in ever smaller chunks
 * (delta debugging, ddmin-style), re-cutting after each success since the violation may come earlier. Bounded by
 * a budget of runs. Every candidate is run from the same seed, so the result replays exactly.
 */
public final class Shrinker {

    private final Function<Schedule, SimResult> runner;
    private final int budget;
    private int runs;

    /**
     * @param runner runs a schedule (without tracing) and returns its result
     * @param budget maximum number of runs to spend
     */
    public Shrinker(Function<Schedule, SimResult> runner, int budget) {
        this.runner = runner;
        this.budget = budget;
    }

    /** Number of runs spent so far. */
    public int runs() {
        return runs;
    }

    public SimResult shrink(SimResult failing) {
        if (!failing.failed()) {
            throw new IllegalArgumentException("nothing to shrink: the run did not fail");
        }
        Invariant target = failing.violation().invariant();
        long horizon = failing.schedule().maxTicks();
        SimResult best = truncate(failing);
        int chunks = 2;
        while (runs < budget && !best.schedule().faults().isEmpty()) {
            List<ScheduledFault> faults = best.schedule().faults();
            int size = Math.max(1, (faults.size() + chunks - 1) / chunks);
            boolean progress = false;
            for (int start = 0; start < faults.size() && runs < budget; start += size) {
                List<ScheduledFault> without = new ArrayList<>(faults.subList(0, start));
                without.addAll(faults.subList(Math.min(faults.size(), start + size), faults.size()));
                SimResult r = tryRun(best.schedule().withFaults(without).withMaxTicks(horizon), target);
                if (r != null) {
                    best = truncate(r);
                    progress = true;
                    break;
                }
            }
            if (progress) {
                chunks = Math.max(2, chunks - 1);
            } else if (size == 1) {
                break;
            } else {
                chunks = Math.min(faults.size(), chunks * 2);
            }
        }
        return target == Invariant.LIVENESS ? healEarlier(best) : best;
    }

    /** A liveness failure needs no fault-free ticks before the heal: heal right after the last kept fault. */
    private SimResult healEarlier(SimResult best) {
        List<ScheduledFault> faults = best.schedule().faults();
        long last = faults.isEmpty() ? 0 : faults.get(faults.size() - 1).tick();
        if (last + 1 >= best.schedule().faultTicks() || runs >= budget) {
            return best;
        }
        SimResult r = tryRun(best.schedule().withFaultTicks(last + 1), Invariant.LIVENESS);
        return r != null ? r : best;
    }

    /** For a safety violation, stop the run right after it and drop the faults that came later. */
    private SimResult truncate(SimResult failing) {
        if (failing.violation().invariant() == Invariant.LIVENESS) {
            return failing;
        }
        long cut = failing.violation().tick() + 1;
        if (cut >= failing.schedule().maxTicks()) {
            return failing;
        }
        List<ScheduledFault> kept = new ArrayList<>();
        for (ScheduledFault f : failing.schedule().faults()) {
            if (f.tick() <= cut) {
                kept.add(f);
            }
        }
        SimResult r = tryRun(failing.schedule().withFaults(kept).withMaxTicks(cut), failing.violation().invariant());
        return r != null ? r : failing;
    }

    private SimResult tryRun(Schedule candidate, Invariant target) {
        runs++;
        SimResult r = runner.apply(candidate);
        return r.failed() && r.violation().invariant() == target ? r : null;
    }
}
