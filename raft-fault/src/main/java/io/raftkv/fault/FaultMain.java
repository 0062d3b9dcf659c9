package io.raftkv.fault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One run from the command line, without Maven (see README):
 * {@code java -cp ... io.raftkv.fault.FaultMain JAR OUTDIR NODES SECONDS SEED [unsafe] [nosessions] [bank [split]
 * [stale]] [KIND,KIND...]}:
 * {@code nosessions} runs the counter workload with blind resends instead of client sessions, which shows
 * increments applied twice (an observation, not a failure). {@code bank} is a bank run on the SQL state machine
 * ({@link BankWorkload}) instead of the register and counter workloads; its mutations {@code split} (debit and
 * credit as two requests) and {@code stale} (reads at {@code level=none}) must end with problems.
 * Exit status 0 if the run passed, 1 if it found a problem.
 */
public final class FaultMain {
    private FaultMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: FaultMain JAR OUTDIR NODES SECONDS SEED [unsafe] [nosessions] [bank [split] [stale]]"
                    + " [KILL,PAUSE,RESTART_ALL,PARTITION]");
            System.exit(64);
        }
        long seed = Long.parseLong(args[4]);
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(5, args.length));
        boolean bank = rest.remove("bank");
        RunConfig config = (bank ? RunConfig.bank("bank-" + seed + "-" + args[2] + "n", Path.of(args[0]),
                Path.of(args[1]), Integer.parseInt(args[2]), Duration.ofSeconds(Long.parseLong(args[3])), seed)
                : RunConfig.of("run-" + seed + "-" + args[2] + "n", Path.of(args[0]), Path.of(args[1]),
                Integer.parseInt(args[2]), Duration.ofSeconds(Long.parseLong(args[3])), seed));
        boolean split = rest.remove("split");
        boolean stale = rest.remove("stale");
        if (split || stale) {
            if (!bank) {
                throw new IllegalArgumentException("split and stale are mutations of the bank run: add bank");
            }
            config = config.withBank(config.bank().mutated(split, stale ? "none" : "strong"));
        }
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
