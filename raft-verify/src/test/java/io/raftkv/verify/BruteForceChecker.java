package io.raftkv.verify;

import java.util.List;
import java.util.Objects;

/**
 * The definition of linearizability, executed literally: try every order of the operations that respects real
 * time. Exponential, for histories of a handful of operations; the oracle the real checker is compared with.
 * Shares no code with the checker (its own model on strings, no pruning, no memo).
 */
final class BruteForceChecker {
    private BruteForceChecker() {
    }

    static boolean isLinearizable(List<Operation> keyOps) {
        List<Operation> ops = keyOps.stream()
                .filter(op -> op.outcome() != Outcome.FAIL && op.kind() != OpKind.STALE_READ)
                .filter(op -> !(op.kind() == OpKind.READ && op.isUnknown()))
                .toList();
        if (ops.size() > 20) {
            throw new IllegalArgumentException("brute force is for tiny histories");
        }
        return search(ops, 0, null);
    }

    private static boolean search(List<Operation> ops, int done, String state) {
        boolean allDefiniteDone = true;
        for (int i = 0; i < ops.size(); i++) {
            if ((done & (1 << i)) == 0 && !ops.get(i).isUnknown()) {
                allDefiniteDone = false;
            }
        }
        if (allDefiniteDone) {
            return true;
        }
        for (int i = 0; i < ops.size(); i++) {
            if ((done & (1 << i)) != 0 || !mayGoNext(ops, done, ops.get(i))) {
                continue;
            }
            Operation op = ops.get(i);
            String[] next = apply(op, state);
            if (next != null && search(ops, done | (1 << i), next[0])) {
                return true;
            }
        }
        return false;
    }

    /** No pending definite operation completed before {@code op} was invoked. */
    private static boolean mayGoNext(List<Operation> ops, int done, Operation op) {
        for (int j = 0; j < ops.size(); j++) {
            Operation other = ops.get(j);
            if ((done & (1 << j)) == 0 && !other.isUnknown() && other.completedAt() < op.invokedAt()) {
                return false;
            }
        }
        return true;
    }

    /** @return a one-element array with the new value, or null if the recorded result contradicts {@code state} */
    private static String[] apply(Operation op, String state) {
        switch (op.kind()) {
            case READ:
                return Objects.equals(state, op.output()) ? new String[] {state} : null;
            case WRITE:
                return new String[] {op.value()};
            case CAS:
                boolean matches = Objects.equals(state, op.expected());
                if (op.isUnknown()) {
                    return new String[] {matches ? op.value() : state};
                }
                if (op.swapped() != matches) {
                    return null;
                }
                return new String[] {matches ? op.value() : state};
            default:
                throw new IllegalArgumentException(op.toString());
        }
    }
}
