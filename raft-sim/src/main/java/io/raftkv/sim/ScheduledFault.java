package io.raftkv.sim;

/**
 * A fault and the tick it fires at. {@code id} is its position in the schedule the generator produced for the
 * seed; a shrunk schedule keeps the ids of the faults it kept, so it can be replayed with
 * {@code Simulate --seed S --keep-faults 2,5,9}.
 */
public record ScheduledFault(int id, long tick, Fault fault) {
    @Override
    public String toString() {
        return (id < 0 ? "triggered" : "#" + id) + " @" + tick + " " + fault;
    }
}
