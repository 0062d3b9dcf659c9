package io.raftkv.verify;

import java.util.Locale;

/** Human-readable one-line descriptions of operations, for reports and failure messages. */
final class OpFormat {
    private OpFormat() {
    }

    /** A value as the reports print it: quoted, or {@code absent} for null. */
    static String value(String v) {
        return v == null ? "absent" : '"' + v + '"';
    }

    /**
     * E.g. {@code #9 p4 k1 cas("v7" -> "v9") = not swapped  [2.700 .. 9.000] ms OK}. Times are printed in
     * milliseconds relative to {@code origin} (the history's first invocation), so that the numbers are short.
     */
    static String describe(Operation op, long origin) {
        StringBuilder sb = new StringBuilder();
        sb.append('#').append(op.id()).append(" p").append(op.process());
        if (op.node() != null) {
            sb.append('@').append(op.node());
        }
        sb.append(' ').append(op.key()).append(' ');
        switch (op.kind()) {
            case READ, STALE_READ -> {
                sb.append(op.kind() == OpKind.READ ? "read" : "stale-read");
                if (op.outcome() == Outcome.OK) {
                    sb.append(" = ").append(value(op.output()));
                }
            }
            case WRITE -> sb.append(op.value() == null ? "delete" : "write(" + value(op.value()) + ")");
            case CAS -> {
                sb.append("cas(").append(value(op.expected())).append(" -> ").append(value(op.value())).append(')');
                if (op.outcome() == Outcome.OK) {
                    sb.append(op.swapped() ? " = swapped" : " = not swapped");
                }
            }
        }
        sb.append("  [").append(millis(op.invokedAt() - origin)).append(" .. ");
        if (op.outcome() == Outcome.UNKNOWN) {
            sb.append("inf) ms UNKNOWN (gave up at ").append(millis(op.completedAt() - origin)).append(')');
        } else {
            sb.append(millis(op.completedAt() - origin)).append("] ms ").append(op.outcome());
        }
        return sb.toString();
    }

    static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }
}
