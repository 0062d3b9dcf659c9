package io.raftkv.verify;

/** The verdict on one key, or on a whole history (the worst of its keys: VIOLATION, then UNKNOWN, then OK). */
public enum Verdict {
    /** Linearizable: some order of the operations explains every result and respects real time. */
    OK,
    /** Not linearizable: no such order exists. */
    VIOLATION,
    /** The search ran out of its budget (or was interrupted) before it could decide. */
    UNKNOWN
}
