package io.raftkv.plugin;

import java.util.Map;

/**
 * A digest of a state machine's whole state, for {@code GET /digest}: a query the state machine answers with a
 * digest (a hash that depends on the state alone, not on how it is laid out) and the index it was taken at. Two
 * servers converged iff they report the same digest at the same applied index.
 */
public interface StateDigest {

    /** The query to run on the local state machine; its answer goes to {@link #describe}. */
    byte[] query();

    /**
     * The fields of the {@code /digest} answer for one answer of {@link #query()}: at least {@code "digest"} (a hex
     * string) and {@code "appliedIndex"}; the server puts {@code "id"} first.
     *
     * @throws IllegalArgumentException if {@code answer} is not a digest (the server answers 500)
     */
    Map<String, Object> describe(byte[] answer);
}
