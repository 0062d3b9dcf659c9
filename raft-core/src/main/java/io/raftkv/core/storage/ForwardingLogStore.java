package io.raftkv.core.storage;

import io.raftkv.core.message.LogEntry;

import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * A {@link LogStore} that passes every call to another one: extend it and override what you want to watch or change
 * (a metric, a fault for a test), the rest keeps the delegate's behaviour and contract.
 * {@link #appendReplacing} is not forwarded: the inherited default calls this store's own {@link #truncateSuffix}
 * and {@link #append}, so an override of those sees every write.
 */
public abstract class ForwardingLogStore implements LogStore {
    private final LogStore delegate;

    protected ForwardingLogStore(LogStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The store calls are passed to. */
    protected LogStore delegate() {
        return delegate;
    }

    @Override
    public long firstIndex() {
        return delegate.firstIndex();
    }

    @Override
    public long lastIndex() {
        return delegate.lastIndex();
    }

    @Override
    public long term(long index) {
        return delegate.term(index);
    }

    @Override
    public LogEntry entry(long index) {
        return delegate.entry(index);
    }

    @Override
    public List<LogEntry> entries(long from, long toExclusive, long maxBytes) {
        return delegate.entries(from, toExclusive, maxBytes);
    }

    @Override
    public void append(List<LogEntry> entries) throws IOException {
        delegate.append(entries);
    }

    @Override
    public void sync() throws IOException {
        delegate.sync();
    }

    @Override
    public void truncateSuffix(long fromIndex) throws IOException {
        delegate.truncateSuffix(fromIndex);
    }

    @Override
    public void compactPrefix(long upToIndex) throws IOException {
        delegate.compactPrefix(upToIndex);
    }

    @Override
    public void reset(long index, long term) throws IOException {
        delegate.reset(index, term);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
