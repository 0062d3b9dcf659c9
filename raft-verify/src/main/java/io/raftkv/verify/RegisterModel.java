package io.raftkv.verify;

/**
 * The sequential specification of one key: a register holding a value or nothing, with read, write and
 * compare-and-set. Values are interned to small ints by {@link KeyHistory}; {@code 0} is "absent", the initial
 * value of every key.
 *
 * <p>This is the "model" of the linearizability check: a history is linearizable if its operations can be put in
 * one order, consistent with real time, in which every operation's result is the one this model gives.
 */
final class RegisterModel {
    /** The value id of "absent". */
    static final int ABSENT = 0;
    /** Returned by {@link #step} when the operation cannot have happened in the given state. */
    static final int ILLEGAL = -1;

    private RegisterModel() {
    }

    /**
     * Applies {@code op} to a register holding {@code state}.
     *
     * <p>For an operation with an UNKNOWN outcome, a step that would not change the value is reported ILLEGAL on
     * purpose: such an operation never has to be linearized (it is never forced by a completion), and taking it
     * without effect leads to a configuration that its not taking it dominates. Refusing it keeps the search
     * smaller without losing any linearization.
     *
     * @return the new state, or {@link #ILLEGAL} if the operation's recorded result contradicts {@code state}
     */
    static int step(int state, CompiledOp op) {
        return switch (op.kind) {
            case READ -> state == op.output ? state : ILLEGAL;
            case WRITE -> op.unknown && state == op.value ? ILLEGAL : op.value;
            case CAS -> {
                if (op.unknown) {
                    yield state == op.expected && op.expected != op.value ? op.value : ILLEGAL;
                } else if (op.swapped) {
                    yield state == op.expected ? op.value : ILLEGAL;
                } else {
                    yield state != op.expected ? state : ILLEGAL;
                }
            }
            case STALE_READ -> throw new IllegalArgumentException("stale reads are not part of the model");
        };
    }

    /**
     * Why {@code op} cannot take effect when the register holds {@code state} (whose real value is
     * {@code stateValue}); null if it can.
     */
    static String whyIllegal(int state, String stateValue, CompiledOp op, KeyHistory values) {
        if (step(state, op) != ILLEGAL) {
            return null;
        }
        String current = OpFormat.value(stateValue);
        return switch (op.kind) {
            case READ -> "read returned " + OpFormat.value(values.valueOf(op.output)) + " but the value was "
                    + current;
            case WRITE -> "would not change the value " + current + " (an unknown write need not be linearized)";
            case CAS -> {
                if (op.unknown) {
                    yield "would not swap: the value was " + current;
                } else if (op.swapped) {
                    yield "swapped, so the value must have been " + OpFormat.value(values.valueOf(op.expected))
                            + ", but it was " + current;
                } else {
                    yield "did not swap, so the value must have differed from the expected one, but it was "
                            + current;
                }
            }
            case STALE_READ -> throw new IllegalArgumentException("stale reads are not part of the model");
        };
    }
}
