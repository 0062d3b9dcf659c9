package io.raftkv.verify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Drops UNKNOWN writes and compare-and-sets whose effect nothing in the history could have observed.
 *
 * <p>Every UNKNOWN operation is pending forever, and each one doubles the orders the search may have to try, so
 * removing the ones that cannot matter is the biggest single saving on histories from fault injection (most
 * timed-out writes were never applied, and nothing ever read their values).
 *
 * <p>An UNKNOWN operation {@code U} that sets the value {@code v} is dropped when, among the operations that
 * could be linearized after it (those completing at or after {@code U}'s invocation):
 * <ol>
 *   <li>no OK read returned {@code v},</li>
 *   <li>no OK compare-and-set that swapped expected {@code v}, and no UNKNOWN compare-and-set expects {@code v},</li>
 *   <li>no OK compare-and-set failed to swap (a failed CAS observes "the value is not X", which {@code v} might
 *       be what made true).</li>
 * </ol>
 * <b>Why this loses no linearization.</b> Dropping is always allowed for an UNKNOWN operation (it may never have
 * taken effect), so a reduced history that is linearizable means the original is. Conversely, take any
 * linearization of the original that contains {@code U}. Between {@code U} and the next operation that changes
 * the value, the value is {@code v}; by (1)-(3) the only operations there can be UNKNOWN compare-and-sets that
 * did not swap (they had no effect, drop them too), and the operation that ends the interval is a write, which
 * does not look at the old value. So removing {@code U} changes no result. Dropping one operation can make
 * another droppable (an UNKNOWN CAS expecting {@code v} was the only observer), so the rule is applied until
 * nothing changes.
 */
final class UnknownOpPruning {
    private UnknownOpPruning() {
    }

    /**
     * @param ops one key's operations with FAILed operations and unknown reads already removed
     * @return the operations to check
     */
    static List<Operation> prune(List<Operation> ops) {
        List<Operation> kept = new ArrayList<>(ops);
        boolean changed = true;
        while (changed) {
            changed = false;
            // For each value: the latest completion of an operation that observes the register holding it.
            Map<String, Long> lastObserved = new HashMap<>();
            long lastFailedCas = Long.MIN_VALUE;
            for (Operation op : kept) {
                long completion = op.isUnknown() ? Long.MAX_VALUE : op.completedAt();
                switch (op.kind()) {
                    case READ -> lastObserved.merge(op.output(), completion, Math::max);
                    case CAS -> {
                        if (op.isUnknown() || op.swapped()) {
                            lastObserved.merge(op.expected(), completion, Math::max);
                        } else {
                            lastFailedCas = Math.max(lastFailedCas, completion);
                        }
                    }
                    case WRITE, STALE_READ -> {
                    }
                }
            }
            List<Operation> next = new ArrayList<>(kept.size());
            for (Operation op : kept) {
                boolean droppable = op.isUnknown() && !op.kind().isRead()
                        && lastObserved.getOrDefault(op.value(), Long.MIN_VALUE) < op.invokedAt()
                        && lastFailedCas < op.invokedAt();
                if (droppable) {
                    changed = true;
                } else {
                    next.add(op);
                }
            }
            kept = next;
        }
        return kept;
    }
}
