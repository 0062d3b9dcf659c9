package io.raftkv.sim;

import io.raftkv.core.RaftOptions;
import io.raftkv.core.session.SessionOptions;

/**
 * The simulator's entry point for tests and tools.
 *
 * <pre>{@code
 * // In your state machine's tests: 300 seeded schedules on 3 nodes, failing with a shrunk, replayable trace.
 * new Simulator(SimConfig.defaults(3).withStateMachine(MyStateMachine::new)).verifySeeds(0, 300);
 * }</pre>
 */
public final class Simulator {

    private final SimConfig config;
    private final ScheduleGenerator generator;

    public Simulator(SimConfig config) {
        this.config = config;
        this.generator = new ScheduleGenerator(config);
    }

    public SimConfig config() {
        return config;
    }

    public Schedule schedule(long seed) {
        return generator.generate(seed);
    }

    public SimResult run(long seed) {
        return run(schedule(seed), false);
    }

    public SimResult run(Schedule schedule, boolean trace) {
        return new Simulation(config, schedule, trace).run();
    }

    /** Shrinks a failing run and re-runs the shrunk schedule with tracing, for the report. */
    public Failure explain(SimResult failing, int shrinkBudget) {
        Shrinker shrinker = new Shrinker(s -> run(s, false), shrinkBudget);
        SimResult shrunk = shrinker.shrink(failing);
        SimResult traced = run(shrunk.schedule(), true);
        return new Failure(failing, traced, shrinker.runs(), replayOptions());
    }

    /** The Simulate options that give this config's runs (beyond the schedule's own). */
    private String replayOptions() {
        StringBuilder sb = new StringBuilder();
        if (config.raftOptions().mutation() != RaftOptions.UnsafeMutation.NONE) {
            sb.append(" --mutation ").append(config.raftOptions().mutation());
        }
        if (config.sessions() != null) {
            sb.append(" --sessions");
            SessionOptions o = config.sessions().options();
            if (o.mutation() != SessionOptions.UnsafeMutation.NONE) {
                sb.append(" --session-mutation ").append(o.mutation());
            }
            SimConfig.Sessions cli = SimConfig.Sessions.defaults()
                    .withOptions(SessionOptions.defaults().withUnsafeMutation(o.mutation()));
            if (!config.sessions().equals(cli)) {
                sb.append(" (this run's session workload differs from --sessions: ").append(config.sessions()).append(')');
            }
        }
        return sb.toString();
    }

    /** Runs {@code count} seeds from {@code first}; stops at the first failure. */
    public Summary runSeeds(long first, long count) {
        SimStats total = SimStats.ZERO;
        long started = System.nanoTime();
        for (long s = first; s < first + count; s++) {
            SimResult r = run(s);
            total = total.plus(r.stats());
            if (r.failed()) {
                return new Summary(s - first + 1, total, System.nanoTime() - started, r);
            }
        }
        return new Summary(count, total, System.nanoTime() - started, null);
    }

    /** Runs {@code count} seeds and throws an AssertionError with the shrunk trace if one fails. */
    public Summary verifySeeds(long first, long count) {
        Summary s = runSeeds(first, count);
        if (s.failure() != null) {
            throw new AssertionError(explain(s.failure(), 300).report());
        }
        return s;
    }

    /** Throws an AssertionError with the shrunk trace if this seed fails. */
    public SimResult verify(long seed) {
        SimResult r = run(seed);
        if (r.failed()) {
            throw new AssertionError(explain(r, 300).report(), r.violation());
        }
        return r;
    }

    /**
     * Results of running many seeds.
     *
     * @param schedules schedules run
     * @param stats     summed statistics
     * @param nanos     wall time spent
     * @param failure   the first failing run, or null
     */
    public record Summary(long schedules, SimStats stats, long nanos, SimResult failure) {
        public double schedulesPerSecond() {
            return nanos == 0 ? 0 : schedules * 1e9 / nanos;
        }
    }

    /**
     * A failure, explained: the original failing run and the shrunk one (with its trace).
     *
     * @param replayOptions Simulate options the config needs beyond the schedule's (sessions, mutations), or ""
     */
    public record Failure(SimResult original, SimResult shrunk, int shrinkRuns, String replayOptions) {

        public Failure(SimResult original, SimResult shrunk, int shrinkRuns) {
            this(original, shrunk, shrinkRuns, "");
        }

        /** Lines of trace printed in a report; the full trace is one replay away. */
        public static final int TRACE_TAIL_LINES = 400;

        public String report() {
            StringBuilder sb = new StringBuilder();
            Schedule o = original.schedule();
            sb.append("SIMULATION FAILED: seed=").append(o.seed()).append(" nodes=").append(o.nodes()).append('\n');
            if (!replayOptions.isEmpty()) {
                sb.append("  the run's config: add").append(replayOptions).append(" to the Simulate lines below\n");
            }
            sb.append("  ").append(original.violation().getMessage()).append('\n');
            sb.append("  replay original: java -cp raft-sim/target/raft-sim.jar io.raftkv.sim.Simulate --nodes ")
                    .append(o.nodes()).append(" --seed ").append(o.seed()).append(" --trace\n");
            if (shrunk.failed()) {
                sb.append("shrunk in ").append(shrinkRuns).append(" runs from ").append(o.faults().size())
                        .append(" faults to ").append(shrunk.schedule().faults().size()).append(":\n");
                sb.append("  ").append(shrunk.violation().getMessage()).append('\n');
                sb.append("  replay shrunk: java -cp raft-sim/target/raft-sim.jar io.raftkv.sim.Simulate ")
                        .append(shrunk.schedule().replayArguments()).append(" --trace\n");
            } else {
                sb.append("(the shrunk schedule did not fail when re-run with tracing: nondeterminism! this is a simulator bug)\n");
            }
            Throwable cause = original.violation().getCause();
            if (cause != null) {
                // An exception from RaftNode or the state machine: where it was thrown matters more than the trace.
                sb.append("exception in the original run: ").append(cause).append('\n');
                StackTraceElement[] frames = cause.getStackTrace();
                for (int i = 0; i < Math.min(frames.length, 15); i++) {
                    sb.append("    at ").append(frames[i]).append('\n');
                }
            }
            sb.append(shrunk.schedule());
            String trace = shrunk.trace();
            String[] lines = trace.split("\n", -1);
            if (lines.length > TRACE_TAIL_LINES) {
                sb.append("trace (last ").append(TRACE_TAIL_LINES).append(" of ").append(lines.length).append(" lines):\n");
                for (int i = lines.length - TRACE_TAIL_LINES; i < lines.length; i++) {
                    sb.append(lines[i]).append('\n');
                }
            } else {
                sb.append("trace:\n").append(trace);
            }
            return sb.toString();
        }
    }
}
