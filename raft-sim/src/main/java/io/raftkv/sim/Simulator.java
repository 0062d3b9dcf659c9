package io.raftkv.sim;

import io.raftkv.core.RaftOptions;
import io.raftkv.core.session.SessionOptions;

/**
 * The simulator's entry point for tests and tools.
 *
 * <pre>{@code
 * // In your state machine's tests: 300 seeded schedules on 3 nodes, failing with a shrunk, replayable trace.
 * new Simulator(SimConfig.defaults(3).withStateMachine(MyStateMachine::new)).verifySeeds(0, 300);
 * // With your own commands and queries (see Workload), and a replay of one seed with its trace:
 * Simulator sim = new Simulator(SimConfig.defaults(3).withStateMachine(MyStateMachine::new), myWorkload);
 * sim.verifySeeds(0, 300);
 * sim.replay("--nodes 3 --seed 17");   // the line a failure report prints
 * }</pre>
 */
public final class Simulator {

    private final SimConfig config;
    private final ScheduleGenerator generator;
    private final Workload workload;
    /** What the workload exercised over every run of this simulator (empty without a workload). */
    private final WorkloadTally tally = new WorkloadTally();

    public Simulator(SimConfig config) {
        this(config, null);
    }

    /**
     * A simulator whose clients send {@code workload}'s commands and queries to the configured state machine
     * (null: the built-in {@code c1, c2, …}). The fault schedules are the same as without a workload.
     */
    public Simulator(SimConfig config, Workload workload) {
        this.config = config;
        this.generator = new ScheduleGenerator(config);
        this.workload = workload;
    }

    /** What the workload exercised in every run so far (all zero without a workload). */
    public WorkloadTally tally() {
        return tally;
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
        Simulation simulation = new Simulation(config, schedule, trace, workload);
        SimResult result = simulation.run();
        if (workload != null) {
            tally.add(simulation.workloadTally());
        }
        return result;
    }

    /**
     * Reruns one schedule with tracing — this simulator's state machine and workload, not the built-in ones —
     * prints its schedule, trace, what the workload exercised and the verdict to {@code System.out}, and returns
     * the result.
     *
     * @param replayArguments what a failure report prints after "replay": {@code --nodes N --seed S} and, for a
     *                        shrunk schedule, {@code --keep-faults 1,4|none --fault-ticks T --max-ticks M}
     */
    public SimResult replay(String replayArguments) {
        Schedule schedule = parseReplay(replayArguments);
        Simulation simulation = new Simulation(config, schedule, true, workload);
        SimResult r = simulation.run();
        StringBuilder out = new StringBuilder().append(schedule).append(r.trace());
        if (simulation.workloadTally() != null) {
            out.append(simulation.workloadTally().report());
        }
        out.append(r.failed() ? "VIOLATION " + r.violation().getMessage() : "passed").append('\n');
        System.out.print(out);
        System.out.flush();
        return r;
    }

    /** {@link #replay(String)} of a whole seed. */
    public SimResult replay(long seed) {
        return replay("--nodes " + config.nodes() + " --seed " + seed);
    }

    private Schedule parseReplay(String arguments) {
        String[] a = arguments.trim().split("\\s+");
        Long seed = null;
        java.util.Set<Integer> keep = null;
        Long faultTicks = null;
        Long maxTicks = null;
        for (int i = 0; i < a.length; i++) {
            String value = i + 1 < a.length ? a[i + 1] : null;
            switch (a[i]) {
                case "--nodes" -> {
                    if (Integer.parseInt(value) != config.nodes()) {
                        throw new IllegalArgumentException("the schedule is for " + value + " nodes; this simulator runs "
                                + config.nodes());
                    }
                    i++;
                }
                case "--seed" -> {
                    seed = Long.parseLong(value);
                    i++;
                }
                case "--keep-faults" -> {
                    keep = new java.util.TreeSet<>();
                    for (String k : value.split(",")) {
                        if (!k.equals("none")) {
                            keep.add(Integer.parseInt(k.trim()));
                        }
                    }
                    i++;
                }
                case "--fault-ticks" -> {
                    faultTicks = Long.parseLong(value);
                    i++;
                }
                case "--max-ticks" -> {
                    maxTicks = Long.parseLong(value);
                    i++;
                }
                case "--trace", "" -> {
                }
                default -> throw new IllegalArgumentException("unknown replay argument " + a[i] + " in: " + arguments);
            }
        }
        if (seed == null) {
            throw new IllegalArgumentException("replay arguments need --seed: " + arguments);
        }
        Schedule schedule = schedule(seed);
        if (keep != null) {
            schedule = schedule.keepOnly(keep);
        }
        if (faultTicks != null) {
            schedule = schedule.withFaultTicks(faultTicks);
        }
        if (maxTicks != null) {
            schedule = schedule.withMaxTicks(maxTicks);
        }
        return schedule;
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

    /**
     * Runs {@code count} seeds and throws an AssertionError with the shrunk trace if one fails. With a workload,
     * prints what it exercised ({@link WorkloadTally#report()}) to {@code System.out}.
     */
    public Summary verifySeeds(long first, long count) {
        Summary s = runSeeds(first, count);
        if (workload != null) {
            System.out.print("seeds " + first + ".." + (first + s.schedules() - 1) + ", " + config.nodes() + " nodes: "
                    + tally.report());
            System.out.flush();
        }
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
                    .append(o.nodes()).append(" --seed ").append(o.seed()).append(" --trace")
                    .append("   (built-in state machine; yours: simulator.replay(\"--nodes ").append(o.nodes())
                    .append(" --seed ").append(o.seed()).append("\"))\n");
            if (shrunk.failed()) {
                sb.append("shrunk in ").append(shrinkRuns).append(" runs from ").append(o.faults().size())
                        .append(" faults to ").append(shrunk.schedule().faults().size()).append(":\n");
                sb.append("  ").append(shrunk.violation().getMessage()).append('\n');
                sb.append("  replay shrunk: java -cp raft-sim/target/raft-sim.jar io.raftkv.sim.Simulate ")
                        .append(shrunk.schedule().replayArguments()).append(" --trace\n");
                sb.append("  replay shrunk with your state machine and workload: simulator.replay(\"")
                        .append(shrunk.schedule().replayArguments()).append("\")\n");
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
