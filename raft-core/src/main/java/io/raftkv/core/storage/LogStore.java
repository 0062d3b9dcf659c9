package io.raftkv.core.storage;

import io.raftkv.core.message.LogEntry;

import java.io.IOException;
import java.util.List;

/**
 * The durable Raft log: a contiguous run of entries {@code [firstIndex, lastIndex]}.
 *
 * <p><b>Contract.</b>
 * <ul>
 *   <li>{@link #append} adds entries at {@code lastIndex()+1} (contiguous indexes); they are readable at once
 *       but durable only after {@link #sync}. A crash may lose any suffix of unsynced entries, never a synced
 *       one, and never leaves a hole.</li>
 *   <li>An empty log has {@code lastIndex() == firstIndex() - 1}. A fresh log has firstIndex 1.</li>
 *   <li>{@link #truncateSuffix} removes a conflicting suffix (§5.3); Raft never truncates committed entries.</li>
 *   <li>{@link #compactPrefix} lets the store discard entries covered by a snapshot (§7); it may keep some
 *       (e.g. whole segments), {@link #firstIndex} tells what remains.</li>
 *   <li>{@link #reset} empties the log so that the next entry is {@code index+1} (snapshot installation).</li>
 *   <li>All methods are called from a single thread (the raft thread). Reads of indexes outside
 *       {@code [firstIndex, lastIndex]} throw {@link IndexOutOfBoundsException}.</li>
 * </ul>
 * Implementations: {@link InMemoryLogStore} for tests and the simulator; {@code raft-log} for real use.
 */
public interface LogStore extends AutoCloseable {

    long firstIndex();

    long lastIndex();

    /** Term of the entry at {@code index}; {@code term(0) == 0} by convention. */
    long term(long index);

    LogEntry entry(long index);

    /**
     * Entries {@code [from, toExclusive)}, stopping early once {@code maxBytes} is reached; at least one entry
     * is returned when {@code from < toExclusive}, even if it alone exceeds the limit.
     */
    List<LogEntry> entries(long from, long toExclusive, long maxBytes);

    /** Appends a contiguous batch starting at {@code lastIndex()+1}. Not durable until {@link #sync}. */
    void append(List<LogEntry> entries) throws IOException;

    /**
     * Appends entries that may overwrite a conflicting suffix (what {@code Ready.entries()} asks for, §5.3): if
     * the first entry's index is at or below {@link #lastIndex()}, the log is truncated from there first. Not
     * durable until {@link #sync}.
     */
    default void appendReplacing(List<LogEntry> entries) throws IOException {
        if (entries.isEmpty()) {
            return;
        }
        long first = entries.get(0).index();
        if (first <= lastIndex()) {
            truncateSuffix(first);
        }
        append(entries);
    }

    /** Makes every appended entry durable (one fsync for the whole batch: group commit). */
    void sync() throws IOException;

    /** Removes entries {@code [fromIndex, lastIndex]}; durable after the next {@link #sync}. */
    void truncateSuffix(long fromIndex) throws IOException;

    /** Allows the store to discard entries {@code <= upToIndex}. */
    void compactPrefix(long upToIndex) throws IOException;

    /** Discards every entry; afterwards {@code firstIndex() == index + 1} and {@code lastIndex() == index}. */
    void reset(long index, long term) throws IOException;

    @Override
    default void close() throws IOException {
    }
}
