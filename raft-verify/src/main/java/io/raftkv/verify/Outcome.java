package io.raftkv.verify;

/**
 * What the client learned about whether its operation took effect.
 *
 * <p>The distinction between {@link #FAIL} and {@link #UNKNOWN} is the one the HTTP API draws between 503
 * ("not applied") and 504 ("outcome unknown"). Getting it wrong in a harness makes the checker wrong in a
 * specific direction: calling an UNKNOWN operation FAIL can report violations that did not happen (the write did
 * land); calling a FAIL UNKNOWN only weakens the check.
 */
public enum Outcome {
    /** The operation took effect exactly once, between its invocation and its completion; its output is known. */
    OK,
    /**
     * The operation definitely did not take effect (HTTP 503 "not applied", 400, 413). The checkers drop it.
     * A compare-and-set answered 409 is <em>not</em> a failure: it is {@link #OK} with {@code swapped=false}.
     */
    FAIL,
    /**
     * The client cannot tell (timeout, 504, connection reset): the operation may never take effect, or take
     * effect once at any time after its invocation — even after the client gave up. Its completion is treated as
     * +infinity. A read with this outcome constrains nothing and is dropped.
     */
    UNKNOWN
}
