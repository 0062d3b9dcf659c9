package io.raftkv.sim;

import io.raftkv.core.statemachine.StateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * The inner state machine of session runs ({@code Simulate --sessions}, the session tests): counts the commands it
 * applied and answers each with the count after it, so a command applied twice shows in every later answer, and a
 * repeat's stored answer differs from what a second apply would answer.
 */
final class CountingStateMachine implements StateMachine {
    private long count;
    private long lastApplied;

    @Override
    public byte[] apply(long index, byte[] command) {
        if (index <= lastApplied) {
            throw new IllegalStateException("apply(" + index + ") after " + lastApplied);
        }
        lastApplied = index;
        return ByteBuffer.allocate(8).putLong(++count).array();
    }

    @Override
    public void skip(long index) {
        lastApplied = index;
    }

    @Override
    public byte[] query(byte[] request) {
        return ByteBuffer.allocate(8).putLong(count).array();
    }

    @Override
    public long lastAppliedIndex() {
        return lastApplied;
    }

    @Override
    public Snapshot snapshot() {
        long c = count;
        return out -> {
            DataOutputStream d = new DataOutputStream(out);
            d.writeLong(c);
            d.flush();
        };
    }

    @Override
    public void restore(long lastIncludedIndex, InputStream in) throws IOException {
        count = new DataInputStream(in).readLong();
        lastApplied = lastIncludedIndex;
    }
}
