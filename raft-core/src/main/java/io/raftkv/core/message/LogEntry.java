package io.raftkv.core.message;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of the replicated log: its position ({@code index}, starting at 1), the {@code term} of the leader
 * that created it, its type, and opaque bytes (a state-machine command, or an encoded configuration).
 *
 * <p>The data array is never copied by the core and must not be modified after construction.
 */
public record LogEntry(long index, long term, EntryType type, byte[] data) {

    private static final byte[] EMPTY = new byte[0];

    public LogEntry {
        if (index < 1) {
            throw new IllegalArgumentException("log index starts at 1, got " + index);
        }
        if (term < 0) {
            throw new IllegalArgumentException("negative term " + term);
        }
        Objects.requireNonNull(type, "type");
        data = data == null ? EMPTY : data;
    }

    public static LogEntry command(long index, long term, byte[] data) {
        return new LogEntry(index, term, EntryType.COMMAND, data);
    }

    public static LogEntry noop(long index, long term) {
        return new LogEntry(index, term, EntryType.NOOP, EMPTY);
    }

    /** Approximate in-memory / on-wire size, used to bound batches by bytes. */
    public int sizeInBytes() {
        return data.length + 24;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogEntry e
                && e.index == index && e.term == term && e.type == type && Arrays.equals(e.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, term, type, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "LogEntry[" + index + "@" + term + " " + type + " " + data.length + "B]";
    }
}
