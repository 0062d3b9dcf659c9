package io.raftkv.sim;

/** Thrown inside a run when an {@link Invariant} breaks; the run stops and reports it. */
public final class InvariantViolation extends RuntimeException {
    private final Invariant invariant;
    private final long time;

    public InvariantViolation(Invariant invariant, long time, String message) {
        this(invariant, time, message, null);
    }

    public InvariantViolation(Invariant invariant, long time, String message, Throwable cause) {
        super(invariant + " at " + Tracer.formatTime(time) + ": " + message, cause);
        this.invariant = invariant;
        this.time = time;
    }

    public Invariant invariant() {
        return invariant;
    }

    /** Simulated time (in units; a tick is {@link Simulation#TICK} units) at which it was found. */
    public long time() {
        return time;
    }

    /** The tick at which it was found. */
    public long tick() {
        return time / Simulation.TICK;
    }
}
