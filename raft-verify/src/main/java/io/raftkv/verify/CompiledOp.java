package io.raftkv.verify;

/**
 * One operation prepared for the search: values interned to ints, the real-time interval with an UNKNOWN
 * outcome's completion at +infinity, and its bit in the search's linearized sets.
 */
final class CompiledOp {
    final Operation op;
    final OpKind kind;
    final int expected;
    final int value;
    final int output;
    final boolean swapped;
    final boolean unknown;
    final long invokedAt;
    /** {@link Long#MAX_VALUE} for an UNKNOWN outcome: it may take effect at any time after its invocation. */
    final long completedAt;
    /** Index among the definite operations, or among the unknown ones; each kind has its own bit set. */
    final int bit;

    CompiledOp(Operation op, int expected, int value, int output, int bit) {
        this.op = op;
        this.kind = op.kind();
        this.expected = expected;
        this.value = value;
        this.output = output;
        this.swapped = Boolean.TRUE.equals(op.swapped());
        this.unknown = op.isUnknown();
        this.invokedAt = op.invokedAt();
        this.completedAt = unknown ? Long.MAX_VALUE : op.completedAt();
        this.bit = bit;
    }

    @Override
    public String toString() {
        return op.toString();
    }
}
