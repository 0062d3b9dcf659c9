package io.raftkv.sim;

/**
 * The outcome of one run.
 *
 * @param schedule  what was run
 * @param violation what broke, or null
 * @param stats     what happened
 * @param trace     the readable trace, or "" if tracing was off
 */
public record SimResult(Schedule schedule, InvariantViolation violation, SimStats stats, String trace) {
    public boolean failed() {
        return violation != null;
    }
}
