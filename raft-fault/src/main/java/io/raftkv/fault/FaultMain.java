package io.raftkv.fault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One run from the command line, without Maven (see README):
 * {@code java -cp ... io.raftkv.fault.FaultMain JAR OUTDIR NODES SECONDS SEED [unsafe] [nosessions] [KIND,KIND...]}:
 * {@code nosessions} runs the counter workload with blind resends instead of client sessions, which shows
 * increments applied twice (an observation, not a failure).
 * Exit status 0 if the run passed, 1 if it found a problem.
 */
public final class FaultMain {
    private FaultMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: FaultMain JAR OUTDIR NODES SECONDS SEED [unsafe] [nosessions] [KILL,PAUSE,RESTART_ALL,PARTITION]");
            System.exit(64);
        }
        long seed = Long.parseLong(args[4]);
        RunConfig config = RunConfig.of("run-" + seed + "-" + args[2] + "n", Path.of(args[0]), Path.of(args[1]),
                Integer.parseInt(args[2]), Duration.ofSeconds(Long.parseLong(args[3])), seed);
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(5, args.length));
        if (rest.remove("unsafe")) {
            config = config.withUnsafeLocalReads();
        }
        if (rest.remove("nosessions")) {
            RunConfig.Counters c = config.counters();
            config = config.withCounters(new RunConfig.Counters(c.clientsPerNode(), c.counters(), false, c.timeout()));
        }
        if (!rest.isEmpty()) {
            config = config.withFaults(Arrays.stream(rest.get(0).split(",")).map(FaultKind::valueOf).toList());
        }
        RunResult r = new FaultRun(config).run();
        System.out.println(r.oneLine());
        System.exit(r.ok() ? 0 : 1);
    }
}
