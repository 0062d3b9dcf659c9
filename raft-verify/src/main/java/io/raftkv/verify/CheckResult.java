package io.raftkv.verify;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The linearizability verdict on a history: one {@link KeyVerdict} per key (keys are independent registers),
 * and the overall verdict — VIOLATION if any key has one, else UNKNOWN if any key ran out of budget, else OK.
 *
 * @param keys   verdict per key, in key order
 * @param origin the history's first invocation time; {@link #report()} prints times relative to it
 */
public record CheckResult(Map<String, KeyVerdict> keys, long origin) {

    public CheckResult {
        keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    /** The worst verdict over all keys; OK for an empty history. */
    public Verdict verdict() {
        Verdict worst = Verdict.OK;
        for (KeyVerdict v : keys.values()) {
            if (v.verdict() == Verdict.VIOLATION) {
                return Verdict.VIOLATION;
            }
            if (v.verdict() == Verdict.UNKNOWN) {
                worst = Verdict.UNKNOWN;
            }
        }
        return worst;
    }

    /** True if every key was shown linearizable. */
    public boolean isLinearizable() {
        return verdict() == Verdict.OK;
    }

    public List<KeyVerdict.Violation> violations() {
        return keys.values().stream().filter(KeyVerdict.Violation.class::isInstance)
                .map(KeyVerdict.Violation.class::cast).toList();
    }

    public List<KeyVerdict.Unknown> unknowns() {
        return keys.values().stream().filter(KeyVerdict.Unknown.class::isInstance)
                .map(KeyVerdict.Unknown.class::cast).toList();
    }

    /** Total search steps over all keys. */
    public long steps() {
        return keys.values().stream().mapToLong(v -> v.stats().steps()).sum();
    }

    /**
     * A readable report: the overall verdict with counts, then each violation's explanation and each unknown
     * key's reason. Linearizable keys are only counted.
     */
    public String report() {
        long ok = keys.values().stream().filter(v -> v.verdict() == Verdict.OK).count();
        int operations = keys.values().stream().mapToInt(v -> v.stats().operations()).sum();
        long slowest = keys.values().stream().mapToLong(v -> v.stats().elapsedNanos()).max().orElse(0);
        StringBuilder sb = new StringBuilder();
        sb.append(verdict()).append(": ").append(keys.size()).append(" keys (").append(ok).append(" linearizable, ")
                .append(violations().size()).append(" violations, ").append(unknowns().size())
                .append(" unknown), ").append(operations).append(" operations, ").append(steps())
                .append(" search steps, slowest key ").append(OpFormat.millis(slowest)).append(" ms\n");
        for (KeyVerdict.Violation v : violations()) {
            sb.append(v.explanation());
        }
        for (KeyVerdict.Unknown u : unknowns()) {
            sb.append("key ").append(u.key()).append(": UNKNOWN (").append(u.reason()).append(", ")
                    .append(u.stats().checked()).append(" operations checked, ").append(u.stats().steps())
                    .append(" steps)\n");
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return report();
    }
}
