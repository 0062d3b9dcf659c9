package io.raftkv.server.storage;

import io.raftkv.core.message.LogEntry;
import io.raftkv.core.storage.LogStore;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * TEST-ONLY fault injection, never a feature: with {@code -Draftkv.fault.syncStallFile=PATH} every sync of the
 * log waits for as long as {@code PATH} exists: an fsync that does not return while the rest of the machine works.
 * raft-fault's disk nemesis and {@code DiskFaultIT} use it to measure a hung fsync precisely; their other stall,
 * {@code fsfreeze}, also blocks Chronicle's memory-mapped writes, whose page faults stop the whole JVM at its next
 * safepoint. Off unless the property is set, and loudly logged when it is.
 */
final class SyncStallSwitch implements LogStore {
    static final String PROPERTY = "raftkv.fault.syncStallFile";

    private final LogStore delegate;
    private final Path flag;

    private SyncStallSwitch(LogStore delegate, Path flag) {
        this.delegate = delegate;
        this.flag = flag;
    }

    /** {@code log} itself, or wrapped if the property is set. */
    static LogStore wrapIfAsked(LogStore log, String nodeId) {
        String path = System.getProperty(PROPERTY);
        if (path == null || path.isBlank()) {
            return log;
        }
        LoggerFactory.getLogger(SyncStallSwitch.class).warn("{}: TEST-ONLY -D{}={} is set: log syncs wait while that"
                + " file exists (fault injection)", nodeId, PROPERTY, path);
        return new SyncStallSwitch(log, Path.of(path));
    }

    @Override
    public void sync() throws IOException {
        while (Files.exists(flag)) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted in a stalled sync");
            }
        }
        delegate.sync();
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
