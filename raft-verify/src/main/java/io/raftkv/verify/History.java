package io.raftkv.verify;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A recorded client history: every operation clients issued, with its invocation and completion times from one
 * clock. Immutable; operation ids are unique.
 *
 * <p>Built by {@link HistoryRecorder#history()}, loaded by {@link HistoryJson#read}, or by hand in tests.
 *
 * @param operations the operations, in any order (sorted by id here for stable output)
 */
public record History(List<Operation> operations) {

    public History {
        List<Operation> sorted = new ArrayList<>(Objects.requireNonNull(operations, "operations"));
        sorted.sort(Comparator.comparingLong(Operation::id));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).id() == sorted.get(i - 1).id()) {
                throw new IllegalArgumentException("duplicate operation id " + sorted.get(i).id());
            }
        }
        operations = List.copyOf(sorted);
    }

    public static History of(Operation... operations) {
        return new History(List.of(operations));
    }

    public int size() {
        return operations.size();
    }

    /** The operations of each key (each key is an independent register), keys in sorted order. */
    public Map<String, List<Operation>> byKey() {
        Map<String, List<Operation>> byKey = new TreeMap<>();
        for (Operation op : operations) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        return byKey;
    }

    /** The earliest invocation time (0 for an empty history); reports print times relative to it. */
    public long origin() {
        return operations.stream().mapToLong(Operation::invokedAt).min().orElse(0);
    }

    /** The operations that match {@code filter}. */
    public History filter(Predicate<Operation> filter) {
        return new History(operations.stream().filter(filter).toList());
    }

    /**
     * The "no acknowledged write lost" check, as a history to give to {@link LinearizabilityChecker}: this
     * history plus, for each key in {@code finalValues}, a linearizable read that started after every operation
     * here had completed and returned the given value ({@code Optional.empty()}: the key was absent).
     *
     * <p>Use it when the harness, after healing the cluster, reads every key once more. If an acknowledged write
     * was lost (or a failed one resurrected), no linearization can end with those reads. Operations with an
     * UNKNOWN outcome may still be placed after the final reads: they may take effect at any time.
     * If the final reads were recorded through the {@link HistoryRecorder}, they are already in the history and
     * this helper is not needed.
     */
    public History withFinalReads(Map<String, Optional<String>> finalValues) {
        long after = operations.stream().mapToLong(op -> Math.max(op.invokedAt(), op.completedAt()))
                .max().orElse(0) + 1;
        long nextId = operations.stream().mapToLong(Operation::id).max().orElse(-1) + 1;
        Set<Integer> processes = new HashSet<>();
        operations.forEach(op -> processes.add(op.process()));
        int process = processes.stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        List<Operation> extended = new ArrayList<>(operations);
        for (Map.Entry<String, Optional<String>> e : new TreeMap<>(finalValues).entrySet()) {
            extended.add(new Operation(nextId++, process, null, e.getKey(), OpKind.READ, null, null, after,
                    after + 1, Outcome.OK, e.getValue().orElse(null), null));
        }
        return new History(extended);
    }
}
