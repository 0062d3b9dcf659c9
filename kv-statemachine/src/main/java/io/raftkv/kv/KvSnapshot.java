package io.raftkv.kv;

import io.raftkv.core.statemachine.StateMachine;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A point-in-time view of a {@link KvStateMachine}: a reference to one immutable version of its map. Capturing
 * it costs O(1) on the apply thread; {@link #writeTo} streams it in {@link SnapshotFormat} on any thread while
 * the apply thread goes on building newer versions. The view holds on to the trie nodes that later applies
 * replace, so close it once written to let them be collected.
 */
public final class KvSnapshot implements StateMachine.Snapshot {
    private volatile KvState state;
    private final long lastAppliedIndex;
    private final int size;

    KvSnapshot(KvState state) {
        this.state = state;
        this.lastAppliedIndex = state.lastAppliedIndex();
        this.size = state.size();
    }

    /** The index of the last command included in this view. */
    public long lastAppliedIndex() {
        return lastAppliedIndex;
    }

    /** The number of keys in this view. */
    public int size() {
        return size;
    }

    /**
     * Writes the captured state. Safe to call concurrently with {@link KvStateMachine#apply}; does not close
     * {@code out}.
     *
     * @throws IllegalStateException if the snapshot was closed
     */
    @Override
    public void writeTo(OutputStream out) throws IOException {
        KvState s = state;
        if (s == null) {
            throw new IllegalStateException("snapshot at index " + lastAppliedIndex + " is closed");
        }
        SnapshotFormat.write(s, out);
    }

    @Override
    public void close() {
        state = null;
    }

    @Override
    public String toString() {
        return "KvSnapshot[index=" + lastAppliedIndex + ", size=" + size + "]";
    }
}
