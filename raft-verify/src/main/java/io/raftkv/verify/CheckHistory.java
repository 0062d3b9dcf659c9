package io.raftkv.verify;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Re-checks a saved history offline and prints the verdict:
 * <pre>{@code
 * java -jar raft-verify/target/raft-verify-0.1.0-SNAPSHOT-cli.jar [options] history.jsonl
 *   --time-budget-seconds N   per key (default 30)
 *   --step-budget N           per key (default 50000000)
 *   --threads N               keys checked in parallel (default: processors, at most 4)
 *   --no-stale-check          skip the stale-read checks
 *   --no-monotonic            stale-read checks without monotonic reads (node labels not recorded)
 * }</pre>
 * Runs the linearizability check ({@link LinearizabilityChecker}) and the stale-read checks
 * ({@link StaleReadChecker}). Exit status: 0 all OK, 1 a violation, 2 undecided within the budget (and no
 * violation), 64 bad usage, 65 unreadable history.
 */
public final class CheckHistory {
    static final int OK = 0;
    static final int VIOLATION = 1;
    static final int UNDECIDED = 2;
    static final int USAGE = 64;
    static final int BAD_INPUT = 65;

    private CheckHistory() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** The command, with its output streams given, for tests. @return the exit status */
    static int run(String[] args, PrintStream out, PrintStream err) {
        CheckOptions options = CheckOptions.defaults();
        boolean staleCheck = true;
        boolean monotonic = true;
        Path file = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--time-budget-seconds" ->
                            options = options.withTimeBudgetPerKey(Duration.ofSeconds(number(args, ++i)));
                    case "--step-budget" -> options = options.withStepBudgetPerKey(number(args, ++i));
                    case "--threads" -> options = options.withParallelism((int) number(args, ++i));
                    case "--no-stale-check" -> staleCheck = false;
                    case "--no-monotonic" -> monotonic = false;
                    case "-h", "--help" -> {
                        out.println(usage());
                        return OK;
                    }
                    default -> {
                        if (args[i].startsWith("-") || file != null) {
                            throw new IllegalArgumentException("unexpected argument: " + args[i]);
                        }
                        file = Path.of(args[i]);
                    }
                }
            }
            if (file == null) {
                throw new IllegalArgumentException("no history file given");
            }
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println(usage());
            return USAGE;
        }

        History history;
        try {
            if (!Files.isRegularFile(file)) {
                err.println("error: " + file + " is not a readable file");
                return BAD_INPUT;
            }
            history = HistoryJson.read(file);
        } catch (IOException | HistoryFormatException e) {
            err.println("error: cannot read history: " + e.getMessage());
            return BAD_INPUT;
        }

        out.println(file + ": " + history.size() + " operations on " + history.byKey().size() + " keys");
        CheckResult linearizability = new LinearizabilityChecker(options).check(history);
        out.print("linearizability: " + linearizability.report());
        int status = switch (linearizability.verdict()) {
            case OK -> OK;
            case VIOLATION -> VIOLATION;
            case UNKNOWN -> UNDECIDED;
        };
        if (staleCheck) {
            StaleReadChecker checker = monotonic ? new StaleReadChecker() : StaleReadChecker.valuesOnly();
            StaleReadChecker.Result stale = checker.check(history);
            out.print("stale reads: " + stale.report());
            if (!stale.ok()) {
                status = VIOLATION;
            }
        }
        return status;
    }

    private static long number(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a number");
        }
        try {
            long n = Long.parseLong(args[i]);
            if (n <= 0) {
                throw new IllegalArgumentException(args[i - 1] + " must be positive");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(args[i - 1] + " needs a number, not " + args[i]);
        }
    }

    private static String usage() {
        return """
                usage: CheckHistory [options] HISTORY_FILE
                  HISTORY_FILE               JSON Lines (one operation per line) or one JSON array
                  --time-budget-seconds N    search time per key (default 30)
                  --step-budget N            search steps per key (default 50000000)
                  --threads N                keys checked in parallel
                  --no-stale-check           skip the stale-read checks
                  --no-monotonic             skip the monotonic-reads part of the stale-read checks
                exit status: 0 OK, 1 violation, 2 undecided within the budget, 64 usage, 65 unreadable history""";
    }
}
