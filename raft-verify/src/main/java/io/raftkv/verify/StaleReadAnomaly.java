package io.raftkv.verify;

/** Something a read returned that even a stale read must not (see {@link StaleReadChecker}). */
public sealed interface StaleReadAnomaly permits StaleReadAnomaly.ValueFromNowhere, StaleReadAnomaly.ReadWentBack {

    /** The offending read. */
    Operation read();

    /** One readable paragraph. */
    String explanation();

    /**
     * A read returned a value that no write which could have taken effect had written by then: never written,
     * written only by FAILed operations (or a CAS answered 409), or written only by operations invoked after the
     * read completed.
     */
    record ValueFromNowhere(Operation read, String explanation) implements StaleReadAnomaly {
    }

    /**
     * Within one session (process, node, key), a read returned a value whose every possible writer definitely
     * preceded (completed before the invocation of) every possible writer of a value an earlier read had returned.
     *
     * @param earlier the earlier read that had already seen the newer value
     */
    record ReadWentBack(Operation read, Operation earlier, String explanation) implements StaleReadAnomaly {
    }
}
