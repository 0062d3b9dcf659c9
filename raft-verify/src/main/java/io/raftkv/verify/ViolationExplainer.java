package io.raftkv.verify;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns a failed search into something a person can debug: the longest linearizable prefix, the value it leaves,
 * and the operations that could have come next with the reason each one cannot.
 */
final class ViolationExplainer {
    /** Operations of the prefix shown in the text (all of them are in the structured result). */
    static final int PREFIX_SHOWN = 10;
    private static final int BLOCKED_SHOWN = 40;

    private ViolationExplainer() {
    }

    static KeyVerdict.Violation explain(KeyHistory history, List<CompiledOp> prefix, KeyVerdict.Stats stats,
                                        long origin) {
        int state = RegisterModel.ABSENT;
        String value = null; // the real value: the shared unobserved id stands for several (KeyHistory)
        Set<CompiledOp> linearized = new HashSet<>();
        for (CompiledOp op : prefix) {
            int next = RegisterModel.step(state, op);
            if (next == RegisterModel.ILLEGAL) {
                throw new IllegalStateException("the search reported an illegal prefix at " + op);
            }
            if (next != state) {
                value = next == history.unobserved ? op.op.value() : history.valueOf(next);
            }
            state = next;
            linearized.add(op);
        }

        // The first operation that must have taken effect and did not fit: the pending definite operation that
        // completed first. Everything invoked before that completion could have come next.
        CompiledOp deadline = history.definite.stream().filter(op -> !linearized.contains(op))
                .min(Comparator.comparingLong(op -> op.completedAt))
                .orElseThrow(() -> new IllegalStateException("violation with every operation linearized"));
        List<CompiledOp> candidates = new ArrayList<>();
        for (List<CompiledOp> ops : List.of(history.definite, history.unknown)) {
            for (CompiledOp op : ops) {
                if (!linearized.contains(op) && op.invokedAt <= deadline.completedAt) {
                    candidates.add(op);
                }
            }
        }
        candidates.sort(Comparator.comparingLong((CompiledOp op) -> op.invokedAt).thenComparingLong(op -> op.op.id()));

        List<KeyVerdict.Blocked> blocked = new ArrayList<>();
        for (CompiledOp op : candidates) {
            String why = RegisterModel.whyIllegal(state, value, op, history);
            if (why == null) {
                int next = RegisterModel.step(state, op);
                String after = OpFormat.value(next == history.unobserved ? op.op.value() : history.valueOf(next));
                why = op.unknown
                        ? "may take effect here (value becomes " + after + "), but no order of the rest works then"
                        : "fits here (value becomes " + after + "), but no order of the rest works then";
            }
            blocked.add(new KeyVerdict.Blocked(op.op, why));
        }

        List<Operation> prefixOps = prefix.stream().map(op -> op.op).toList();
        return new KeyVerdict.Violation(history.key, stats, prefixOps, value, blocked,
                text(history, prefixOps, value, deadline, blocked, stats, origin));
    }

    private static String text(KeyHistory history, List<Operation> prefix, String value, CompiledOp deadline,
                               List<KeyVerdict.Blocked> blocked, KeyVerdict.Stats stats, long origin) {
        StringBuilder sb = new StringBuilder();
        sb.append("key ").append(history.key).append(": NOT linearizable (").append(stats.checked())
                .append(" of ").append(stats.operations()).append(" operations checked, ").append(stats.steps())
                .append(" search steps)\n");
        sb.append("  longest linearizable prefix: ").append(prefix.size()).append(" operations, leaving the value ")
                .append(OpFormat.value(value)).append('\n');
        if (prefix.size() > PREFIX_SHOWN) {
            sb.append("    ... ").append(prefix.size() - PREFIX_SHOWN).append(" earlier operations\n");
        }
        for (Operation op : prefix.subList(Math.max(0, prefix.size() - PREFIX_SHOWN), prefix.size())) {
            sb.append("    ").append(OpFormat.describe(op, origin)).append('\n');
        }
        sb.append("  then ").append(OpFormat.describe(deadline.op, origin)).append('\n')
                .append("  had to take effect before it completed, but none of the operations pending at that point (")
                .append(blocked.size()).append(") can come next:\n");
        for (KeyVerdict.Blocked b : blocked.subList(0, Math.min(blocked.size(), BLOCKED_SHOWN))) {
            sb.append("    ").append(OpFormat.describe(b.operation(), origin)).append("\n      -> ")
                    .append(b.reason()).append('\n');
        }
        if (blocked.size() > BLOCKED_SHOWN) {
            sb.append("    ... ").append(blocked.size() - BLOCKED_SHOWN).append(" more\n");
        }
        return sb.toString();
    }
}
