package io.raftkv.log;

import java.nio.file.Path;

/**
 * One segment of the log = one Chronicle cycle file: an optional marker record as its first excerpt, then a
 * contiguous run of entries. Raft index → Chronicle index is arithmetic ({@link #sequenceOf}); there is no
 * per-entry map. Mutable bookkeeping, owned by the raft thread.
 */
final class Segment {
    final int cycle;
    final Path file;
    /** Raft index just before this segment's first entry (the marker's index, or the log's last index at roll). */
    final long prevIndex;
    /** Chronicle sequence (within the cycle) of the first entry: 1 if a marker comes first, else 0. */
    final long firstSeq;
    /** Entries of this segment that are still part of the log (later truncations shrink it). */
    long liveCount;
    /** Approximate bytes written to the file, to decide when to roll. */
    long bytes;
    /**
     * False for an older segment opened with {@code VerifyMode.LAST_SEGMENT}: only its first and last live records
     * were checked, so {@code term(i)} must checksum what it reads there instead of trusting the header.
     */
    boolean verified = true;

    Segment(int cycle, Path file, long prevIndex, long firstSeq) {
        this.cycle = cycle;
        this.file = file;
        this.prevIndex = prevIndex;
        this.firstSeq = firstSeq;
    }

    long firstIndex() {
        return prevIndex + 1;
    }

    /** Last live index; {@code prevIndex} when the segment holds no live entry. */
    long lastIndex() {
        return prevIndex + liveCount;
    }

    boolean contains(long index) {
        return index > prevIndex && index <= lastIndex();
    }

    /** Chronicle sequence number of the entry with Raft index {@code index} (must be {@link #contains contained}). */
    long sequenceOf(long index) {
        return firstSeq + (index - prevIndex - 1);
    }

    /** Drops live entries after {@code lastKept} (a suffix truncation or a reset). */
    void clampTo(long lastKept) {
        liveCount = Math.max(0, Math.min(liveCount, lastKept - prevIndex));
    }

    @Override
    public String toString() {
        return "Segment[cycle=" + cycle + " " + file.getFileName() + " live=(" + prevIndex + ", " + lastIndex() + "]]";
    }
}
