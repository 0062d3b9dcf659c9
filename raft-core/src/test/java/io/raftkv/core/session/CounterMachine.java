package io.raftkv.core.session;

import io.raftkv.core.statemachine.StateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Test inner machine: a command is a counter's name; applying it increments that counter and answers
 * {@code "name=value"}, so a second apply of the same command shows in the state and in the answer. Records how
 * often apply and skip ran. Its snapshot is the counters with a magic of its own, checked on restore.
 */
final class CounterMachine implements StateMachine {
    private final TreeMap<String, Long> counters = new TreeMap<>();
    private long lastApplied;
    int applies;
    int skips;

    static byte[] cmd(String counter) {
        return counter.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public byte[] apply(long index, byte[] command) {
        if (index <= lastApplied) {
            throw new IllegalStateException("apply(" + index + ") after " + lastApplied);
        }
        String name = text(command);
        long v = counters.merge(name, 1L, Long::sum);
        lastApplied = index;
        applies++;
        return cmd(name + "=" + v);
    }

    @Override
    public void skip(long index) {
        if (index <= lastApplied) {
            throw new IllegalStateException("skip(" + index + ") after " + lastApplied);
        }
        lastApplied = index;
        skips++;
    }

    @Override
    public byte[] query(byte[] request) {
        return cmd(String.valueOf(counters.getOrDefault(text(request), 0L)));
    }

    long value(String counter) {
        return counters.getOrDefault(counter, 0L);
    }

    @Override
    public long lastAppliedIndex() {
        return lastApplied;
    }

    @Override
    public Snapshot snapshot() {
        Map<String, Long> copy = new TreeMap<>(counters);
        long at = lastApplied;
        return out -> {
            DataOutputStream d = new DataOutputStream(out);
            d.writeInt(0xC0FFEE);
            d.writeLong(at);
            d.writeInt(copy.size());
            for (Map.Entry<String, Long> e : copy.entrySet()) {
                d.writeUTF(e.getKey());
                d.writeLong(e.getValue());
            }
            d.flush();
        };
    }

    @Override
    public void restore(long lastIncludedIndex, InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        if (d.readInt() != 0xC0FFEE) {
            throw new IOException("not a counter snapshot");
        }
        d.readLong();
        int n = d.readInt();
        TreeMap<String, Long> restored = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            restored.put(d.readUTF(), d.readLong());
        }
        if (in.read() >= 0) {
            throw new IOException("trailing bytes after the counter snapshot");
        }
        counters.clear();
        counters.putAll(restored);
        lastApplied = lastIncludedIndex;
    }
}
