package io.raftkv.core.storage;

/** A {@link StableStore} in memory. Saves are atomic and "durable" (they survive a simulated crash). */
public final class InMemoryStableStore implements StableStore {
    private volatile HardState state = HardState.INITIAL;
    private long saves;

    @Override
    public HardState load() {
        return state;
    }

    @Override
    public void save(HardState newState) {
        state = newState;
        saves++;
    }

    /** How many times {@link #save} was called (for tests). */
    public long saves() {
        return saves;
    }
}
