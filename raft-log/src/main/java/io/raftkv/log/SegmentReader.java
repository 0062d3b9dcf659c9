package io.raftkv.log;

import io.raftkv.core.message.LogEntry;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.wire.DocumentContext;

/** Reads records by (cycle, sequence) with a given tailer; shared by recovery and the read path. */
final class SegmentReader {
    private final RollCycle rollCycle;
    private final RecordCodec codec;

    SegmentReader(RollCycle rollCycle, RecordCodec codec) {
        this.rollCycle = rollCycle;
        this.codec = codec;
    }

    /** Positions {@code tailer} so that its next read is (cycle, seq); false if Chronicle has no such excerpt. */
    boolean seek(ExcerptTailer tailer, int cycle, long seq) {
        long target = rollCycle.toIndex(cycle, seq);
        // Sequential reads (replication, recovery) are already positioned: skip the index lookup.
        return tailer.index() == target || tailer.moveToIndex(target);
    }

    /**
     * Reads the record at the tailer's position, which must be (cycle, seq).
     *
     * @throws RecordCodec.BadRecordException if the excerpt is missing, elsewhere, malformed or fails its CRC
     */
    LogRecord next(ExcerptTailer tailer, int cycle, long seq) throws RecordCodec.BadRecordException {
        long expected = rollCycle.toIndex(cycle, seq);
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) {
                throw new RecordCodec.BadRecordException("no excerpt at sequence " + seq);
            }
            if (dc.index() != expected) {
                throw new RecordCodec.BadRecordException("excerpt at Chronicle index " + Long.toHexString(dc.index())
                        + ", expected " + Long.toHexString(expected));
            }
            return codec.read(dc.wire().bytes());
        }
    }

    /** Random access: always repositions (a tailer's index() is not a reliable position after other calls). */
    LogRecord readAt(ExcerptTailer tailer, int cycle, long seq) throws RecordCodec.BadRecordException {
        if (!tailer.moveToIndex(rollCycle.toIndex(cycle, seq))) {
            throw new RecordCodec.BadRecordException("no excerpt at sequence " + seq);
        }
        return next(tailer, cycle, seq);
    }

    /**
     * The file offsets {@code [start, end)} of the record bytes of excerpt (cycle, seq) (after Chronicle's 4-byte
     * excerpt header), or null if there is no such excerpt. Chronicle's mapped bytes are addressed by file offset.
     */
    long[] extentOf(ExcerptTailer tailer, int cycle, long seq) {
        long target = rollCycle.toIndex(cycle, seq);
        if (!tailer.moveToIndex(target)) {
            return null;
        }
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent() || dc.index() != target) {
                return null;
            }
            return new long[] {dc.wire().bytes().readPosition(), dc.wire().bytes().readLimit()};
        }
    }

    /** Reads the entry with Raft index {@code index} at (cycle, seq). */
    LogEntry entryAt(ExcerptTailer tailer, int cycle, long seq, long index) throws RecordCodec.BadRecordException {
        LogRecord r = readAt(tailer, cycle, seq);
        if (r instanceof LogRecord.Entry e && e.entry().index() == index) {
            return e.entry();
        }
        throw new RecordCodec.BadRecordException("expected entry " + index + ", found " + r);
    }

    long termAt(ExcerptTailer tailer, int cycle, long seq, long index) throws RecordCodec.BadRecordException {
        if (!tailer.moveToIndex(rollCycle.toIndex(cycle, seq))) {
            throw new RecordCodec.BadRecordException("no excerpt at sequence " + seq);
        }
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent() || dc.index() != rollCycle.toIndex(cycle, seq)) {
                throw new RecordCodec.BadRecordException("no excerpt at sequence " + seq);
            }
            return codec.readTerm(dc.wire().bytes(), index);
        }
    }
}
