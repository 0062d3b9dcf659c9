package io.raftkv.sim;

import io.raftkv.core.message.LogEntry;

/** What the checker needs to see of one node's log (a {@code RaftNode}, or a hand-made log in the checker's tests). */
public interface LogView {
    /** Index of the first entry held (entries before it were compacted into a snapshot). */
    long firstIndex();

    long lastIndex();

    /** Term at {@code index}; 0 for index 0. Only valid in {@code [firstIndex-1, lastIndex]}. */
    long term(long index);

    LogEntry entry(long index);
}
