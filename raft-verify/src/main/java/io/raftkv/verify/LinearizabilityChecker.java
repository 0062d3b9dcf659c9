package io.raftkv.verify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks that a key-value history is linearizable: that there is one order of all its operations which respects
 * real time (an operation that completed before another was invoked comes first) and in which every result is the
 * one a single register per key would give.
 *
 * <p>Linearizability is compositional (Herlihy &amp; Wing), so each key is checked on its own, keys in parallel
 * on at most {@link CheckOptions#parallelism()} threads, each with its own budget. The per-key search is
 * {@link WglSearch}. What is checked for each operation is described on {@link OpKind} and {@link Outcome}; in
 * short: FAILed operations and reads with an unknown outcome are dropped, an UNKNOWN write or CAS may take effect
 * at any time after its invocation or never, stale reads are left to {@link StaleReadChecker}.
 *
 * <pre>{@code
 * CheckResult result = new LinearizabilityChecker().check(recorder.history());
 * if (!result.isLinearizable()) {
 *     HistoryJson.write(history, Path.of("failed-history.jsonl"));
 *     fail(result.report());
 * }
 * }</pre>
 * Thread-safe: each {@link #check} runs independently.
 */
public final class LinearizabilityChecker {
    private final CheckOptions options;
    private final boolean pruneUnknowns;

    public LinearizabilityChecker() {
        this(CheckOptions.defaults());
    }

    public LinearizabilityChecker(CheckOptions options) {
        this(options, true);
    }

    /** For tests that compare the search with and without {@link UnknownOpPruning}. */
    LinearizabilityChecker(CheckOptions options, boolean pruneUnknowns) {
        this.options = Objects.requireNonNull(options, "options");
        this.pruneUnknowns = pruneUnknowns;
    }

    public CheckOptions options() {
        return options;
    }

    /** Checks every key of {@code history}. */
    public CheckResult check(History history) {
        Map<String, List<Operation>> byKey = history.byKey();
        long origin = history.origin();
        Map<String, KeyVerdict> verdicts = new LinkedHashMap<>();
        if (options.parallelism() == 1 || byKey.size() <= 1) {
            byKey.forEach((key, ops) -> verdicts.put(key, checkKey(key, ops, origin)));
            return new CheckResult(verdicts, origin);
        }

        AtomicInteger threadNumber = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.parallelism(), byKey.size()), r -> {
            Thread t = new Thread(r, "linearizability-check-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            Map<String, Future<KeyVerdict>> futures = new LinkedHashMap<>();
            byKey.forEach((key, ops) -> futures.put(key, pool.submit(() -> checkKey(key, ops, origin))));
            for (Map.Entry<String, Future<KeyVerdict>> e : futures.entrySet()) {
                verdicts.put(e.getKey(), await(e.getKey(), e.getValue(), byKey.get(e.getKey()).size()));
            }
        } finally {
            pool.shutdownNow();
        }
        return new CheckResult(verdicts, origin);
    }

    private static KeyVerdict await(String key, Future<KeyVerdict> future, int operations) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            return new KeyVerdict.Unknown(key, new KeyVerdict.Stats(operations, 0, 0, 0), "interrupted");
        } catch (CancellationException e) {
            return new KeyVerdict.Unknown(key, new KeyVerdict.Stats(operations, 0, 0, 0), "interrupted");
        } catch (ExecutionException e) {
            // A bug in the checker, not a verdict on the history: let it surface.
            throw new IllegalStateException("checking key " + key + " failed", e.getCause());
        }
    }

    /**
     * Checks one key's operations (all on {@code key}) as one register on the calling thread.
     *
     * @param origin time printed as 0 in the explanation of a violation
     */
    public KeyVerdict checkKey(String key, List<Operation> operations, long origin) {
        long start = System.nanoTime();
        KeyHistory history = KeyHistory.compile(key, new ArrayList<>(operations), pruneUnknowns);
        WglSearch.Result result = new WglSearch(history, options).run();
        KeyVerdict.Stats stats = new KeyVerdict.Stats(history.operations, history.checked(), result.steps(),
                System.nanoTime() - start);
        return switch (result.status()) {
            case LINEARIZABLE -> new KeyVerdict.Linearizable(key, stats);
            case VIOLATION -> ViolationExplainer.explain(history, result.longestPrefix(), stats, origin);
            case OUT_OF_STEPS -> new KeyVerdict.Unknown(key, stats,
                    "step budget of " + options.stepBudgetPerKey() + " exhausted");
            case OUT_OF_TIME -> new KeyVerdict.Unknown(key, stats,
                    "time budget of " + options.timeBudgetPerKey() + " exhausted");
            case OUT_OF_MEMORY -> new KeyVerdict.Unknown(key, stats, "memory budget of "
                    + (options.memoryBudgetPerKey() >> 20) + " MiB exhausted (" + result.cachedConfigurations()
                    + " configurations memoised)");
            case INTERRUPTED -> new KeyVerdict.Unknown(key, stats, "interrupted");
        };
    }
}
