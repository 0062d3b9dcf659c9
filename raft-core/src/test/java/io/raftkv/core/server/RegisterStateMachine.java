package io.raftkv.core.server;

import io.raftkv.core.statemachine.StateMachine;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Test state machine: an append-only register of strings. {@code apply} appends the command and returns
 * {@code "<index>:<size>"}; {@code query} returns the register joined by commas. It records every index applied
 * so tests can check "in order, exactly once".
 */
final class RegisterStateMachine implements StateMachine {
    private final List<String> values = new ArrayList<>();
    private final List<Long> appliedIndexes = new ArrayList<>();
    private long lastApplied;

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String string(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized byte[] apply(long index, byte[] command) {
        if (index <= lastApplied) {
            throw new AssertionError("index " + index + " applied after " + lastApplied);
        }
        values.add(string(command));
        appliedIndexes.add(index);
        lastApplied = index;
        return bytes(index + ":" + values.size());
    }

    @Override
    public synchronized byte[] query(byte[] request) {
        return bytes(String.join(",", values));
    }

    @Override
    public synchronized long lastAppliedIndex() {
        return lastApplied;
    }

    synchronized List<String> values() {
        return List.copyOf(values);
    }

    synchronized List<Long> appliedIndexes() {
        return List.copyOf(appliedIndexes);
    }

    @Override
    public synchronized Snapshot snapshot() {
        List<String> copy = List.copyOf(values);
        return out -> {
            DataOutputStream data = new DataOutputStream(out);
            data.writeInt(copy.size());
            for (String v : copy) {
                data.writeUTF(v);
            }
            data.flush();
        };
    }

    @Override
    public synchronized void restore(long lastIncludedIndex, InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int n = data.readInt();
        values.clear();
        for (int i = 0; i < n; i++) {
            values.add(data.readUTF());
        }
        lastApplied = lastIncludedIndex;
    }

    static byte[] snapshotBytes(StateMachine sm) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Snapshot s = sm.snapshot()) {
            s.writeTo(out);
        }
        return out.toByteArray();
    }

}
