package io.raftkv.sim;

import io.raftkv.core.statemachine.StateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The simulator's default state machine: records every applied command with its index and answers nothing. Its
 * snapshot is the recorded list, so it also round-trips through snapshots once the simulator installs them.
 * Not thread-safe beyond the {@link StateMachine} contract (apply from one thread).
 */
public final class RecordingStateMachine implements StateMachine {

    /** One applied command. */
    public record Applied(long index, byte[] command) {
    }

    private static final byte[] NOTHING = new byte[0];

    private final List<Applied> applied = new ArrayList<>();
    private long lastApplied;

    @Override
    public byte[] apply(long index, byte[] command) {
        if (index <= lastApplied) {
            throw new IllegalStateException("apply(" + index + ") after " + lastApplied + ": indexes must increase");
        }
        applied.add(new Applied(index, command));
        lastApplied = index;
        return NOTHING;
    }

    @Override
    public byte[] query(byte[] request) {
        return NOTHING;
    }

    @Override
    public long lastAppliedIndex() {
        return lastApplied;
    }

    /** Every command applied so far, in order. */
    public List<Applied> applied() {
        return Collections.unmodifiableList(applied);
    }

    @Override
    public Snapshot snapshot() {
        List<Applied> copy = List.copyOf(applied);
        long at = lastApplied;
        return out -> {
            DataOutputStream data = new DataOutputStream(out);
            data.writeLong(at);
            data.writeInt(copy.size());
            for (Applied a : copy) {
                data.writeLong(a.index());
                data.writeInt(a.command().length);
                data.write(a.command());
            }
            data.flush();
        };
    }

    @Override
    public void restore(long lastIncludedIndex, InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        long at = data.readLong();
        int n = data.readInt();
        if (n < 0) {
            throw new IOException("corrupt snapshot: negative count " + n);
        }
        List<Applied> restored = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long index = data.readLong();
            int len = data.readInt();
            if (len < 0 || len > (64 << 20)) {
                throw new IOException("corrupt snapshot: command length " + len);
            }
            byte[] command = new byte[len];
            data.readFully(command); // EOFException on a truncated snapshot
            restored.add(new Applied(index, command));
        }
        // The snapshot may cover no-ops and configuration entries after the last command (never handed to apply).
        if (at > lastIncludedIndex) {
            throw new IOException("snapshot taken at " + at + " restored as " + lastIncludedIndex);
        }
        applied.clear();
        applied.addAll(restored);
        lastApplied = lastIncludedIndex;
    }
}
