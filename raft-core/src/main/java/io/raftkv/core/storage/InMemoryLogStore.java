package io.raftkv.core.storage;

import io.raftkv.core.message.LogEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A {@link LogStore} in memory, for tests and the simulator. It models durability: operations since the last
 * {@link #sync()} are pending, and {@link #crash(Random)} keeps only the synced state plus a random prefix of the
 * pending operations — what a disk may have written before power was lost.
 */
public final class InMemoryLogStore implements LogStore {

    /** The live log: entries[i] has index firstIndex + i. */
    private final Log live;
    /** What has reached "disk". */
    private final Log durable;
    /** Operations not yet synced, replayed onto {@link #durable} by sync. */
    private final List<Op> pending = new ArrayList<>();

    public InMemoryLogStore() {
        this(new Log(), new Log());
    }

    private InMemoryLogStore(Log live, Log durable) {
        this.live = live;
        this.durable = durable;
    }

    @Override
    public long firstIndex() {
        return live.first;
    }

    @Override
    public long lastIndex() {
        return live.first + live.entries.size() - 1;
    }

    @Override
    public long term(long index) {
        if (index == 0) {
            return 0;
        }
        return entry(index).term();
    }

    @Override
    public LogEntry entry(long index) {
        if (index < live.first || index > lastIndex()) {
            throw new IndexOutOfBoundsException("index " + index + " outside [" + live.first + ", " + lastIndex() + "]");
        }
        return live.entries.get((int) (index - live.first));
    }

    @Override
    public List<LogEntry> entries(long from, long toExclusive, long maxBytes) {
        List<LogEntry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = from; i < toExclusive; i++) {
            LogEntry e = entry(i);
            bytes += e.sizeInBytes();
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    @Override
    public void append(List<LogEntry> batch) {
        if (batch.isEmpty()) {
            return;
        }
        long expected = lastIndex() + 1;
        for (LogEntry e : batch) {
            if (e.index() != expected) {
                throw new IllegalArgumentException("append out of order: expected index " + expected + ", got " + e.index());
            }
            expected++;
        }
        Op op = new Op(OpKind.APPEND, List.copyOf(batch), 0, 0);
        op.applyTo(live);
        pending.add(op);
    }

    @Override
    public void sync() {
        for (Op op : pending) {
            op.applyTo(durable);
        }
        pending.clear();
    }

    @Override
    public void truncateSuffix(long fromIndex) {
        if (fromIndex > lastIndex()) {
            return;
        }
        if (fromIndex < live.first) {
            throw new IllegalArgumentException("truncate below first index: " + fromIndex + " < " + live.first);
        }
        Op op = new Op(OpKind.TRUNCATE, List.of(), fromIndex, 0);
        op.applyTo(live);
        pending.add(op);
    }

    @Override
    public void compactPrefix(long upToIndex) {
        Op op = new Op(OpKind.COMPACT, List.of(), upToIndex, 0);
        op.applyTo(live);
        pending.add(op);
    }

    @Override
    public void reset(long index, long term) {
        Op op = new Op(OpKind.RESET, List.of(), index, term);
        op.applyTo(live);
        pending.add(op);
    }

    /** Number of unsynced operations (for tests). */
    public int pendingOperations() {
        return pending.size();
    }

    /**
     * Simulates a crash: returns the store as a restarted process would find it — the synced state plus a
     * random prefix of the unsynced operations. This store must not be used afterwards.
     */
    public InMemoryLogStore crash(Random random) {
        Log survived = durable.copy();
        int kept = pending.isEmpty() ? 0 : random.nextInt(pending.size() + 1);
        for (int i = 0; i < kept; i++) {
            pending.get(i).applyTo(survived);
        }
        return new InMemoryLogStore(survived.copy(), survived);
    }

    private enum OpKind { APPEND, TRUNCATE, COMPACT, RESET }

    private record Op(OpKind kind, List<LogEntry> batch, long index, long term) {
        void applyTo(Log log) {
            switch (kind) {
                case APPEND -> log.entries.addAll(batch);
                case TRUNCATE -> {
                    int keep = (int) Math.max(0, index - log.first);
                    if (keep < log.entries.size()) {
                        log.entries.subList(keep, log.entries.size()).clear();
                    }
                }
                case COMPACT -> {
                    int drop = (int) Math.min(log.entries.size(), Math.max(0, index - log.first + 1));
                    if (drop > 0) {
                        log.entries.subList(0, drop).clear();
                        log.first += drop;
                    }
                }
                case RESET -> {
                    log.entries.clear();
                    log.first = index + 1;
                }
            }
        }
    }

    private static final class Log {
        long first = 1;
        final ArrayList<LogEntry> entries = new ArrayList<>();

        Log copy() {
            Log c = new Log();
            c.first = first;
            c.entries.addAll(entries);
            return c;
        }
    }
}
