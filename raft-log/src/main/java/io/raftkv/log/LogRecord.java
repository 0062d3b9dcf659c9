package io.raftkv.log;

import io.raftkv.core.message.LogEntry;

/**
 * What one Chronicle excerpt of the log holds: a Raft entry, or a marker that starts a segment after a suffix
 * truncation or a reset. Markers exist because Chronicle Queue cannot delete written excerpts: a later marker
 * tells which entries of earlier segments are dead.
 */
sealed interface LogRecord permits LogRecord.Entry, LogRecord.Truncate, LogRecord.Reset {

    /** A Raft log entry. */
    record Entry(LogEntry entry) implements LogRecord {
    }

    /**
     * The log continues after {@code index} (whose term was {@code term}): entries {@code > index} in earlier
     * segments are dead (a conflicting suffix removed, §5.3), entries {@code <= index} stay.
     */
    record Truncate(long index, long term) implements LogRecord {
    }

    /**
     * The log was emptied so that the next entry is {@code index + 1} (a snapshot was installed, §7): every entry
     * of earlier segments is dead.
     */
    record Reset(long index, long term) implements LogRecord {
    }
}
