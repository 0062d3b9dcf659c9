package io.raftkv.verify;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One key's operations prepared for the search: the ones that constrain nothing removed, values interned, split
 * into operations with a definite outcome (which must be linearized before they completed) and UNKNOWN ones
 * (which may be linearized at any time after their invocation, or never).
 *
 * <p><b>Unobserved values.</b> After {@link UnknownOpPruning}, some UNKNOWN writes remain only because a
 * compare-and-set failed after them: their value {@code v} is never returned by a read nor expected by any CAS
 * that could come after them, so the only thing the value can do is be "not X" for a failed CAS. All such
 * writes get one shared value id, distinct from every real value. This changes no result: nothing compares the
 * register with {@code v}, and every comparison with another value gives the same answer for {@code v} and for
 * the shared id. What it buys: these writes become interchangeable, so the search tries only the earliest-invoked
 * pending one instead of each of them ({@link WglSearch#usefulUnknowns}).
 */
final class KeyHistory {
    final String key;
    /** All operations of the key, as given. */
    final int operations;
    /** OK operations, by invocation time; {@link CompiledOp#bit} is the index here. */
    final List<CompiledOp> definite;
    /** UNKNOWN writes and compare-and-sets that may matter, by invocation time. */
    final List<CompiledOp> unknown;
    private final List<String> values;
    /**
     * The value id shared by every UNKNOWN write whose value nothing could observe, or -1 if there is none
     * (see the class comment).
     */
    final int unobserved;
    private static final String UNOBSERVED_TEXT = "<a value nothing observed>";

    private KeyHistory(String key, int operations, List<CompiledOp> definite, List<CompiledOp> unknown,
                       List<String> values, int unobserved) {
        this.unobserved = unobserved;
        this.key = key;
        this.operations = operations;
        this.definite = definite;
        this.unknown = unknown;
        this.values = values;
    }

    /**
     * @param prune whether to apply {@link UnknownOpPruning} (always, except in the tests that check it)
     */
    static KeyHistory compile(String key, List<Operation> ops, boolean prune) {
        List<Operation> relevant = new ArrayList<>();
        for (Operation op : ops) {
            if (!op.key().equals(key)) {
                throw new IllegalArgumentException("operation " + op.id() + " is on key " + op.key() + ", not " + key);
            }
            // FAIL: it did not happen. A read that never answered says nothing. Stale reads are not linearizable
            // by contract; StaleReadChecker checks them.
            boolean constrains = op.outcome() != Outcome.FAIL && op.kind() != OpKind.STALE_READ
                    && !(op.kind() == OpKind.READ && op.isUnknown());
            if (constrains) {
                relevant.add(op);
            }
        }
        if (prune) {
            relevant = UnknownOpPruning.prune(relevant);
        }
        relevant.sort(Comparator.comparingLong(Operation::invokedAt).thenComparingLong(Operation::id));

        List<String> values = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        values.add(null);
        ids.put(null, RegisterModel.ABSENT);
        List<CompiledOp> definite = new ArrayList<>();
        List<CompiledOp> unknown = new ArrayList<>();
        Map<String, Long> lastObserved = prune ? lastObserved(relevant) : Map.of();
        int unobserved = -1;
        for (Operation op : relevant) {
            int expected = intern(op.expected(), ids, values);
            int value;
            if (prune && op.isUnknown() && op.kind() == OpKind.WRITE
                    && lastObserved.getOrDefault(op.value(), Long.MIN_VALUE) < op.invokedAt()) {
                // Nothing could ever see this value: give it the shared "unobserved" value (see class comment).
                if (unobserved < 0) {
                    values.add(UNOBSERVED_TEXT);
                    unobserved = values.size() - 1;
                }
                value = unobserved;
            } else {
                value = intern(op.value(), ids, values);
            }
            int output = intern(op.output(), ids, values);
            if (op.isUnknown()) {
                unknown.add(new CompiledOp(op, expected, value, output, unknown.size()));
            } else {
                definite.add(new CompiledOp(op, expected, value, output, definite.size()));
            }
        }
        // values holds null (absent) at index 0, which List.copyOf refuses.
        return new KeyHistory(key, ops.size(), List.copyOf(definite), List.copyOf(unknown),
                Collections.unmodifiableList(values), unobserved);
    }

    /**
     * For each value, the latest completion of an operation whose result depends on whether the register holds
     * exactly that value: a read returning it, a CAS expecting it (swapped, failed or unknown).
     */
    private static Map<String, Long> lastObserved(List<Operation> ops) {
        Map<String, Long> last = new HashMap<>();
        for (Operation op : ops) {
            long completion = op.isUnknown() ? Long.MAX_VALUE : op.completedAt();
            if (op.kind() == OpKind.READ) {
                last.merge(op.output(), completion, Math::max);
            } else if (op.kind() == OpKind.CAS) {
                last.merge(op.expected(), completion, Math::max);
            }
        }
        return last;
    }

    private static int intern(String value, Map<String, Integer> ids, List<String> values) {
        return ids.computeIfAbsent(value, v -> {
            values.add(v);
            return values.size() - 1;
        });
    }

    /** The value's text; for the shared unobserved id, a placeholder (reports use the operation's own value). */
    String valueOf(int id) {
        return values.get(id);
    }

    /** Number of distinct values (value ids are 0 .. valueCount() - 1). */
    int valueCount() {
        return values.size();
    }

    int checked() {
        return definite.size() + unknown.size();
    }
}
