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

    private KeyHistory(String key, int operations, List<CompiledOp> definite, List<CompiledOp> unknown,
                       List<String> values) {
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
        for (Operation op : relevant) {
            int expected = intern(op.expected(), ids, values);
            int value = intern(op.value(), ids, values);
            int output = intern(op.output(), ids, values);
            if (op.isUnknown()) {
                unknown.add(new CompiledOp(op, expected, value, output, unknown.size()));
            } else {
                definite.add(new CompiledOp(op, expected, value, output, definite.size()));
            }
        }
        // values holds null (absent) at index 0, which List.copyOf refuses.
        return new KeyHistory(key, ops.size(), List.copyOf(definite), List.copyOf(unknown),
                Collections.unmodifiableList(values));
    }

    private static int intern(String value, Map<String, Integer> ids, List<String> values) {
        return ids.computeIfAbsent(value, v -> {
            values.add(v);
            return values.size() - 1;
        });
    }

    String valueOf(int id) {
        return values.get(id);
    }

    int checked() {
        return definite.size() + unknown.size();
    }
}
