package io.raftkv.verify;

import java.time.Duration;
import java.util.Objects;

/**
 * Budgets and parallelism for {@link LinearizabilityChecker}.
 *
 * <p>Checking linearizability is NP-complete in general; the search is fast on the histories a correct store
 * produces, but a violating history with many concurrent or UNKNOWN operations can make it explore a great many
 * orders. The budgets bound each key's search, and a key that runs out gets the verdict
 * {@link KeyVerdict.Unknown} instead of hanging the run.
 *
 * @param timeBudgetPerKey   wall-clock time one key's search may take
 * @param stepBudgetPerKey   search steps one key may take (one step = one operation tried in one configuration);
 *                           deterministic, unlike the time budget
 * @param memoryBudgetPerKey estimated bytes of memoised configurations one key's search may hold
 * @param parallelism        keys checked at the same time (threads); 1 checks on the calling thread
 */
public record CheckOptions(Duration timeBudgetPerKey, long stepBudgetPerKey, long memoryBudgetPerKey,
                           int parallelism) {

    public CheckOptions {
        Objects.requireNonNull(timeBudgetPerKey, "timeBudgetPerKey");
        if (timeBudgetPerKey.isNegative() || timeBudgetPerKey.isZero()) {
            throw new IllegalArgumentException("timeBudgetPerKey must be positive");
        }
        if (stepBudgetPerKey <= 0 || memoryBudgetPerKey <= 0 || parallelism <= 0) {
            throw new IllegalArgumentException("budgets and parallelism must be positive");
        }
    }

    /**
     * 30 s, 50 million steps and 256 MiB per key; as many threads as processors, at most 4. A correct
     * 2,000-operation key typically needs a few thousand steps.
     */
    public static CheckOptions defaults() {
        return new CheckOptions(Duration.ofSeconds(30), 50_000_000L, 256L << 20,
                Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
    }

    public CheckOptions withTimeBudgetPerKey(Duration budget) {
        return new CheckOptions(budget, stepBudgetPerKey, memoryBudgetPerKey, parallelism);
    }

    public CheckOptions withStepBudgetPerKey(long budget) {
        return new CheckOptions(timeBudgetPerKey, budget, memoryBudgetPerKey, parallelism);
    }

    public CheckOptions withMemoryBudgetPerKey(long bytes) {
        return new CheckOptions(timeBudgetPerKey, stepBudgetPerKey, bytes, parallelism);
    }

    public CheckOptions withParallelism(int threads) {
        return new CheckOptions(timeBudgetPerKey, stepBudgetPerKey, memoryBudgetPerKey, threads);
    }
}
