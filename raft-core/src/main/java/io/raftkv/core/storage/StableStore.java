package io.raftkv.core.storage;

import java.io.IOException;

/**
 * Durable storage for the {@link HardState} (current term and vote).
 *
 * <p><b>Contract.</b> {@link #save} returns only once the state is durable, and it is atomic: after a crash
 * {@link #load} returns either the previous or the new state, never a mix or garbage. A file-based store writes
 * a temp file, fsyncs it, renames it over the old one and fsyncs the directory. Called from the raft thread only.
 */
public interface StableStore extends AutoCloseable {

    /** The last saved state, or {@link HardState#INITIAL} if none was ever saved. */
    HardState load() throws IOException;

    /** Saves {@code state} durably and atomically. */
    void save(HardState state) throws IOException;

    @Override
    default void close() throws IOException {
    }
}
