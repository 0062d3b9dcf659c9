package io.raftkv.verify;

/**
 * What a client asked the key-value store to do to one key.
 *
 * <p>Values are strings; {@code null} stands for "absent" everywhere (a read that found no key, a write that
 * deletes, a compare-and-set that expects the key to be missing or deletes it).
 */
public enum OpKind {
    /** A linearizable read: returns the current value. Checked for linearizability. */
    READ,
    /**
     * A read at a weaker level ({@code ?level=stale}, served from any node's local state). Not linearizable by
     * contract, so {@link LinearizabilityChecker} ignores it; {@link StaleReadChecker} checks it.
     */
    STALE_READ,
    /** Sets the value ({@code null}: deletes the key). */
    WRITE,
    /** Compare-and-set: if the current value equals {@code expected}, sets it to {@code value}; else no effect. */
    CAS;

    /** True for both read levels. */
    public boolean isRead() {
        return this == READ || this == STALE_READ;
    }
}
