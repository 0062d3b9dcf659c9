package io.raftkv.sim;

import io.raftkv.core.RaftOptions;
import io.raftkv.core.session.SessionOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * Command-line entry point.
 * <pre>
 *   java -cp raft-sim/target/raft-sim.jar io.raftkv.sim.Simulate --nodes 5 --seeds 10000
 *   java -cp raft-sim/target/raft-sim.jar io.raftkv.sim.Simulate --nodes 5 --seed 42 --trace
 *   java -cp raft-sim/target/raft-sim.jar io.raftkv.sim.Simulate --nodes 3 --seed 42 --events run.ndjson
 * </pre>
 * {@code --events} writes the run's events in the cluster view's schema (docs/events.md) for the page at
 * {@code /ui/} to replay.
 * Exit status 0 if every schedule passed, 1 on a violation, 2 on bad arguments.
 */
@Command(name = "Simulate", mixinStandardHelpOptions = true,
        description = "Runs seeded fault schedules against RaftNode and checks Raft's safety and liveness properties.")
public final class Simulate implements Callable<Integer> {

    @Option(names = "--nodes", description = "cluster size (default ${DEFAULT-VALUE})")
    int nodes = 5;

    @Option(names = "--seeds", description = "number of seeds to run (default ${DEFAULT-VALUE})")
    long seeds = 1000;

    @Option(names = "--first-seed", description = "first seed of a --seeds run (default ${DEFAULT-VALUE})")
    long firstSeed = 0;

    @Option(names = "--seed", description = "run this one seed (with --trace, print its trace)")
    Long seed;

    @Option(names = "--trace", description = "print the trace of the --seed run")
    boolean trace;

    @Option(names = "--keep-faults", split = ",",
            description = "replay: keep only these fault ids of the seed's schedule ('none' for no faults)")
    String[] keepFaults;

    @Option(names = "--fault-ticks", description = "replay: end the fault phase at this tick")
    Long faultTicks;

    @Option(names = "--max-ticks", description = "replay: stop the run at this tick")
    Long maxTicks;

    @Option(names = "--mutation", description = "break one safety rule in RaftNode: ${COMPLETION-CANDIDATES}")
    RaftOptions.UnsafeMutation mutation = RaftOptions.UnsafeMutation.NONE;

    @Option(names = "--sessions",
            description = "add session clients that resend writes whose answer they lost (thesis §6.3), checked for"
                    + " exactly-once; the state machine is a counter wrapped in the session table")
    boolean sessions;

    @Option(names = "--session-mutation",
            description = "with --sessions, break one rule of the session table: ${COMPLETION-CANDIDATES}")
    SessionOptions.UnsafeMutation sessionMutation = SessionOptions.UnsafeMutation.NONE;

    @Option(names = "--no-shrink", description = "print a failure without shrinking it")
    boolean noShrink;

    @Option(names = "--schedule", description = "print the --seed run's fault schedule")
    boolean printSchedule;

    @Option(names = "--events", paramLabel = "FILE",
            description = "write the --seed run's events (NDJSON, docs/events.md) to FILE, for the cluster view's replay")
    java.nio.file.Path events;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Simulate()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        SimConfig config = SimConfig.defaults(nodes).withMutation(mutation);
        if (sessions) {
            config = config.withStateMachine(CountingStateMachine::new).withSessions(SimConfig.Sessions.defaults()
                    .withOptions(SessionOptions.defaults().withUnsafeMutation(sessionMutation)));
        } else if (sessionMutation != SessionOptions.UnsafeMutation.NONE) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--session-mutation needs --sessions");
        }
        Simulator sim = new Simulator(config);
        if (seed != null) {
            return single(sim, out);
        }
        if (events != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--events needs --seed: it records one run");
        }
        Simulator.Summary s = sim.runSeeds(firstSeed, seeds);
        SimStats st = s.stats();
        out.printf(Locale.ROOT, "nodes=%d schedules=%d elections=%d commits=%d faults=%d messages=%d dropped=%d "
                        + "reads=%d joint=%d ticks=%d seconds=%.1f schedules/s=%.1f violations=%d%n",
                nodes, s.schedules(), st.elections(), st.commits(), st.faults(), st.delivered(), st.dropped(),
                st.reads(), st.joint(), st.ticks(), s.nanos() / 1e9, s.schedulesPerSecond(),
                s.failure() == null ? 0 : 1);
        if (s.failure() != null) {
            out.print(noShrink ? sim.explain(s.failure(), 0).report() : sim.explain(s.failure(), 300).report());
            out.flush();
            return 1;
        }
        out.flush();
        return 0;
    }

    private int single(Simulator sim, PrintWriter out) {
        Schedule schedule = sim.schedule(seed);
        if (keepFaults != null) {
            Set<Integer> ids = new TreeSet<>();
            for (String k : keepFaults) {
                if (!k.equals("none")) {
                    ids.add(Integer.parseInt(k.trim()));
                }
            }
            schedule = schedule.keepOnly(ids);
        }
        if (faultTicks != null) {
            schedule = schedule.withFaultTicks(faultTicks);
        }
        if (maxTicks != null) {
            schedule = schedule.withMaxTicks(maxTicks);
        }
        if (printSchedule || trace) {
            out.print(schedule);
        }
        SimResult r;
        if (events != null) {
            Simulation run = new Simulation(sim.config(), schedule, trace, true);
            r = run.run();
            try {
                run.writeEvents(events, r);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot write the events file " + events, e);
            }
            out.println("events written to " + events + " (open it in the cluster view: /ui/, 'replay a file')");
        } else {
            r = sim.run(schedule, trace);
        }
        if (trace) {
            out.print(r.trace());
        }
        SimStats st = r.stats();
        out.printf(Locale.ROOT, "seed=%d nodes=%d elections=%d commits=%d faults=%d ticks=%d violations=%d%n",
                seed, nodes, st.elections(), st.commits(), st.faults(), st.ticks(), r.failed() ? 1 : 0);
        if (r.failed()) {
            out.println(r.violation().getMessage());
            if (!trace && !noShrink) {
                out.print(sim.explain(r, 300).report());
            }
            out.flush();
            return 1;
        }
        out.flush();
        return 0;
    }
}
