package io.raftkv.verify;

import java.util.List;

/**
 * The linearizability verdict on one key's register. Every variant carries the search statistics.
 */
public sealed interface KeyVerdict permits KeyVerdict.Linearizable, KeyVerdict.Violation, KeyVerdict.Unknown {

    /** The key. */
    String key();

    /** Search statistics of one key. */
    Stats stats();

    /** OK, VIOLATION or UNKNOWN. */
    Verdict verdict();

    /**
     * @param operations   operations of this key in the history
     * @param checked      operations the search had to order (after dropping FAILed operations, unknown-outcome
     *                     and stale reads, and unknown writes whose effect nothing could have observed)
     * @param steps        search steps taken
     * @param elapsedNanos wall-clock time of the search
     */
    record Stats(int operations, int checked, long steps, long elapsedNanos) {
    }

    /** The key's history is linearizable. */
    record Linearizable(String key, Stats stats) implements KeyVerdict {
        @Override
        public Verdict verdict() {
            return Verdict.OK;
        }
    }

    /**
     * The key's history is not linearizable.
     *
     * @param longestPrefix  the longest linearizable prefix the search found, in linearization order: these
     *                       operations can be explained, in this order, by a correct register
     * @param valueAfterPrefix the register's value after that prefix ({@code null}: absent)
     * @param blocked        the operations that could have come next (invoked before the first pending
     *                       operation with a known outcome completed), each with why it cannot
     * @param explanation    a readable summary of the above
     */
    record Violation(String key, Stats stats, List<Operation> longestPrefix, String valueAfterPrefix,
                     List<Blocked> blocked, String explanation) implements KeyVerdict {
        public Violation {
            longestPrefix = List.copyOf(longestPrefix);
            blocked = List.copyOf(blocked);
        }

        @Override
        public Verdict verdict() {
            return Verdict.VIOLATION;
        }
    }

    /** The search could not decide within its budget. */
    record Unknown(String key, Stats stats, String reason) implements KeyVerdict {
        @Override
        public Verdict verdict() {
            return Verdict.UNKNOWN;
        }
    }

    /**
     * An operation that could not be linearized after the longest prefix, and why.
     *
     * @param operation the operation
     * @param reason    e.g. {@code read returned "v3" but the value was "v4"}, or that it could take effect but
     *                  no continuation works
     */
    record Blocked(Operation operation, String reason) {
    }
}
