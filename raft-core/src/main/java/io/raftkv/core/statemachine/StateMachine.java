package io.raftkv.core.statemachine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The replicated application: the plug-in point of raftkv. Raft makes every server apply the same commands in
 * the same order; the state machine turns them into state.
 *
 * <p><b>Threading contract.</b> {@link #apply}, {@link #snapshot} and {@link #restore} are called from one
 * thread (the apply thread), in log order, each index exactly once (State Machine Safety, §5.4.3 relies on
 * this being deterministic). {@link #query} may be called from any thread, concurrently with {@code apply}:
 * the implementation must make that safe. {@link Snapshot#writeTo} runs on another thread while {@code apply}
 * continues, so {@link #snapshot} must capture a point-in-time view cheaply (copy-on-write, persistent data
 * structures) rather than lock the state while it is written out.
 *
 * <p><b>Failures.</b> A deterministic failure (a compare-and-set that does not match, a value too large) is a
 * <em>result</em>, encoded in the returned bytes, never an exception: every server must reach the same result.
 * An exception from {@code apply} means the server cannot go on safely and stops it.
 */
public interface StateMachine {

    /**
     * Applies a committed command.
     *
     * @param index   the log index of the command (strictly increasing across calls)
     * @param command the bytes a client proposed
     * @return the result handed to the proposer (any bytes; empty for none)
     */
    byte[] apply(long index, byte[] command);

    /**
     * A committed entry at {@code index} that is not a command (a new leader's no-op, a configuration change):
     * there is nothing to apply, but a state machine that reports {@link #lastAppliedIndex()} moves it to
     * {@code index}, so that every server in the same state names the same log position, and a snapshot taken
     * right after such an entry holds its index. Called on the apply thread, in log order with {@link #apply}.
     * The default ignores it.
     */
    default void skip(long index) {
    }

    /** Answers a read-only request from the current state. Must not modify state. */
    byte[] query(byte[] request);

    /**
     * The index of the last applied command (or {@linkplain #skip skipped} entry), as restored from a snapshot or
     * counted since (0 if none).
     */
    long lastAppliedIndex();

    /** Captures the current state (as of {@link #lastAppliedIndex()}) for writing out later. */
    Snapshot snapshot();

    /**
     * Replaces the whole state with one written by {@link Snapshot#writeTo}; {@code lastIncludedIndex} becomes
     * the last applied index. It may be above the {@link #lastAppliedIndex()} the snapshot was captured at: log
     * entries that are not commands (a new leader's no-op, configuration changes) never reach {@link #apply},
     * and a snapshot taken right after them covers their index with the same state.
     */
    void restore(long lastIncludedIndex, InputStream in) throws IOException;

    /** A point-in-time view of the state. */
    interface Snapshot extends AutoCloseable {
        /**
         * Writes the captured state; may run concurrently with {@link StateMachine#apply}. Write in buffers of a
         * few KiB to 16 KiB rather than one huge array: the writer gives up its CPU between writes (every 16 KiB),
         * so that the raft and apply threads, when they wake up, need not wait for this thread's time slice.
         */
        void writeTo(OutputStream out) throws IOException;

        /** Releases whatever the capture held on to. */
        @Override
        default void close() {
        }
    }
}
