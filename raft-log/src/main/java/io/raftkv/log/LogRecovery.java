package io.raftkv.log;

import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;

/**
 * Rebuilds the {@link SegmentIndex} when a log is opened, verifying records on the way.
 *
 * <p>Pass 1 reads the first record of every segment: markers and first indexes bound the live range of the
 * segments before them ({@code RESET} kills them all, {@code TRUNCATE(p)} keeps {@code <= p}, a segment starting
 * at entry k keeps {@code <= k-1}). Pass 2 verifies the live records of each segment in order (CRC, kind, index
 * contiguity). A bad record in the last segment is a torn tail, and the log is cut before it, unless intact records
 * follow it with nothing between that looks unwritten (see {@code requireTornNotCorrupt}). A bad record anywhere
 * else is corruption of data that may have been acknowledged: {@link LogCorruptedException}, naming file and index;
 * only an older segment whose first record was torn, and which later markers cut, is accepted as empty.
 */
final class LogRecovery {
    /** What recovery found. {@code cutReason} is null when the tail was clean. */
    record Result(SegmentIndex index, long firstIndex, long lastIndex, long lastTerm, String cutReason) {
    }

    /**
     * {@code tail}: the last segment that holds any excerpt. Empty segments after it (a crash right after
     * Chronicle created the file) do not make it an "older" segment whose garbage would be corruption.
     */
    private record Scanned(int cycle, Path file, long excerpts, LogRecord first, String unreadable, boolean tail) {
    }

    private final SingleChronicleQueue queue;
    private final Path dir;
    private final SegmentReader reader;
    private final ChronicleLogOptions.VerifyMode mode;

    LogRecovery(SingleChronicleQueue queue, Path dir, SegmentReader reader, ChronicleLogOptions.VerifyMode mode) {
        this.queue = queue;
        this.dir = dir;
        this.reader = reader;
        this.mode = mode;
    }

    Result recover() throws LogCorruptedException {
        List<Scanned> segs = scanFirstRecords();
        int n = segs.size();
        // bound[k]: the last index segment k may hold; dead[k]: a later RESET discarded all of it.
        long[] bound = new long[n];
        boolean[] dead = new boolean[n];
        long laterBound = Long.MAX_VALUE;
        boolean killAll = false;
        for (int k = n - 1; k >= 0; k--) {
            bound[k] = laterBound;
            dead[k] = killAll;
            LogRecord r = segs.get(k).first;
            if (r instanceof LogRecord.Reset) {
                killAll = true;
            } else if (r instanceof LogRecord.Truncate t) {
                laterBound = Math.min(laterBound, t.index());
            } else if (r instanceof LogRecord.Entry e) {
                laterBound = Math.min(laterBound, e.entry().index() - 1);
            }
        }

        SegmentIndex index = new SegmentIndex();
        long first = -1;
        long last = 0;
        long lastTerm = 0;
        String cut = null;
        try (ExcerptTailer tailer = newTailer()) {
            for (int k = 0; k < n; k++) {
                Scanned s = segs.get(k);
                boolean isLast = s.tail;
                if (dead[k]) {
                    // A later RESET discarded all of it: nothing to verify, and it does not shape the log.
                    index.add(new Segment(s.cycle, s.file, 0, 0));
                    continue;
                }
                Segment seg;
                LogRecord r = s.first;
                if (r instanceof LogRecord.Reset reset) {
                    first = reset.index() + 1;
                    last = reset.index();
                    lastTerm = reset.term();
                    seg = new Segment(s.cycle, s.file, last, 1);
                } else if (r instanceof LogRecord.Truncate t) {
                    // A later truncation below this one makes the indexes between irrelevant.
                    long keep = Math.min(t.index(), bound[k]);
                    if (first < 0) {
                        first = keep + 1;
                    } else if (keep > last || keep < first - 1) {
                        throw new LogCorruptedException(s.file, t.index(), "truncation marker outside the log ("
                                + first + ".." + last + ")");
                    }
                    index.clampTo(keep);
                    if (keep == t.index() || first == keep + 1) {
                        lastTerm = t.term();
                    }
                    last = keep;
                    seg = new Segment(s.cycle, s.file, t.index(), 1);
                } else if (r instanceof LogRecord.Entry e) {
                    long i = e.entry().index();
                    if (bound[k] < i) {
                        // Every entry of this segment was removed by a later truncation.
                        index.add(new Segment(s.cycle, s.file, i - 1, 0));
                        continue;
                    }
                    if (first < 0) {
                        first = i;
                        last = i - 1;
                    } else if (i != last + 1) {
                        throw new LogCorruptedException(s.file, i, "segment starts at index " + i
                                + " but the previous segment ends at " + last + " (entries missing)");
                    }
                    seg = new Segment(s.cycle, s.file, i - 1, 0);
                } else if (s.unreadable != null && !isLast) {
                    // Its first record was torn when the node crashed while this was the last segment (a power
                    // loss mid-write); that open cut it and started the next segment with a marker. If later
                    // markers bound it at or below the end of the log so far, nothing in it can be live: the cut
                    // is remembered, not turned into corruption at the next open. Otherwise entries may be lost.
                    // With nothing live before it (first < 0: it became the oldest segment when compaction deleted
                    // the ones before and a crash came before its own turn), the next marker starts the log; a
                    // prefix missing below it is caught by the server's snapshot-continuity check at start.
                    if (first >= 0 && bound[k] > last) {
                        throw new LogCorruptedException(s.file, last + 1, "first record unreadable ("
                                + s.unreadable + ") and later segments do not mark it as cut");
                    }
                    index.add(new Segment(s.cycle, s.file, last, 0));
                    continue;
                } else {
                    seg = new Segment(s.cycle, s.file, Math.max(last, 0), 0);
                    if (isLast && s.excerpts > 0) {
                        cut = "first record of " + s.file.getFileName() + " is unreadable";
                    }
                }
                index.add(seg);
                if (s.first == null) {
                    continue;
                }
                long available = s.excerpts - seg.firstSeq;
                if (isLast) {
                    cut = verifyTail(tailer, seg, available);
                } else {
                    long want = Math.min(available, bound[k] - seg.prevIndex);
                    verifyLive(tailer, seg, Math.max(0, want));
                }
                index.reindex(seg);
                if (seg.liveCount > 0) {
                    last = seg.lastIndex();
                    lastTerm = termOf(tailer, seg, last);
                }
            }
        }
        if (first < 0) {
            first = 1;
            last = 0;
        }
        return new Result(index, first, last, lastTerm, cut);
    }

    private List<Scanned> scanFirstRecords() throws LogCorruptedException {
        queue.refreshDirectoryListing();
        List<Scanned> out = new ArrayList<>();
        if (queue.firstCycle() > queue.lastCycle()) {
            return out;
        }
        NavigableSet<Long> cycles = queue.listCyclesBetween(queue.firstCycle(), queue.lastCycle());
        try (ExcerptTailer tailer = newTailer(); ExcerptTailer counter = newTailer()) {
            List<long[]> counts = new ArrayList<>();
            int tail = -1;
            for (long c : cycles) {
                long excerpts = counter.excerptsInCycle((int) c);
                if (excerpts > 0) {
                    tail = counts.size();
                }
                counts.add(new long[]{c, excerpts});
            }
            for (int k = 0; k < counts.size(); k++) {
                int cycle = (int) counts.get(k)[0];
                long excerpts = counts.get(k)[1];
                Path file = SegmentFiles.fileOf(dir, cycle);
                LogRecord first = null;
                String unreadable = null;
                if (excerpts > 0) {
                    try {
                        first = reader.readAt(tailer, cycle, 0);
                    } catch (RecordCodec.BadRecordException e) {
                        unreadable = e.getMessage(); // recover() decides: a torn tail, cut before, or corruption
                    }
                }
                out.add(new Scanned(cycle, file, excerpts, first, unreadable, k == tail));
            }
        }
        return out;
    }

    /** Verifies {@code want} live entries of a segment that is not the last; anything wrong is corruption. */
    private void verifyLive(ExcerptTailer tailer, Segment seg, long want) throws LogCorruptedException {
        if (mode == ChronicleLogOptions.VerifyMode.LAST_SEGMENT && want > 2) {
            expectEntry(tailer, seg, seg.firstIndex());
            expectEntry(tailer, seg, seg.prevIndex + want);
            seg.verified = false;
        } else {
            for (long i = seg.firstIndex(); i <= seg.prevIndex + want; i++) {
                expectEntry(tailer, seg, i);
            }
        }
        seg.liveCount = want;
    }

    private void expectEntry(ExcerptTailer tailer, Segment seg, long i) throws LogCorruptedException {
        try {
            reader.entryAt(tailer, seg.cycle, seg.firstSeq + (i - seg.prevIndex - 1), i);
        } catch (RecordCodec.BadRecordException e) {
            throw new LogCorruptedException(seg.file, i, e.getMessage());
        }
    }

    /**
     * Verifies the last segment record by record; returns why the tail was cut, or null. A bad record is a torn
     * tail, written but not synced before a crash, unless intact records follow it and nothing between looks like
     * pages that never reached the disk: then it is damage to records that may have been synced and acknowledged.
     */
    private String verifyTail(ExcerptTailer tailer, Segment seg, long available) throws LogCorruptedException {
        long good = 0;
        String cut = null;
        if (available > 0 && !reader.seek(tailer, seg.cycle, seg.firstSeq)) {
            return "cannot position at the first entry of " + seg.file.getFileName();
        }
        for (long k = 0; k < available; k++) {
            long expectedIndex = seg.firstIndex() + k;
            try {
                LogRecord r = reader.next(tailer, seg.cycle, seg.firstSeq + k);
                if (!(r instanceof LogRecord.Entry e) || e.entry().index() != expectedIndex) {
                    throw new RecordCodec.BadRecordException("expected entry " + expectedIndex + ", found " + r);
                }
                good++;
            } catch (RecordCodec.BadRecordException e) {
                requireTornNotCorrupt(tailer, seg, k, available, e);
                cut = "record for index " + expectedIndex + " in " + seg.file.getFileName() + ": " + e.getMessage()
                        + "; dropping " + (available - k) + " record(s) from there on, written but not synced before a crash";
                break;
            }
        }
        seg.liveCount = good;
        return cut;
    }

    /**
     * Record {@code bad} of the last segment is unreadable. Synced data is a prefix of what was written, so damage
     * followed by an intact record is either unsynced pages written back out of order before a power loss (their
     * place reads as zeros: a sparse or zero-filled file) or damage to data that may have been synced. The first
     * shows as an all-zero 512-byte sector between the last good record and the next intact one (etcd's torn-write
     * test); anything else stops the node rather than cut acknowledged entries.
     */
    private void requireTornNotCorrupt(ExcerptTailer tailer, Segment seg, long bad, long available,
                                       RecordCodec.BadRecordException why) throws LogCorruptedException {
        long badIndex = seg.firstIndex() + bad;
        long intact = -1;
        for (long k = bad + 1; k < available && intact < 0; k++) {
            try {
                LogRecord r = reader.readAt(tailer, seg.cycle, seg.firstSeq + k);
                if (r instanceof LogRecord.Entry e && e.entry().index() == seg.firstIndex() + k) {
                    intact = k;
                }
            } catch (RecordCodec.BadRecordException stillBad) {
                // part of the same damage
            }
        }
        if (intact < 0) {
            return; // nothing intact after it: a torn tail
        }
        // The excerpt before the bad one: the previous entry, or the segment's marker when the first entry is bad.
        long previousSeq = seg.firstSeq + bad - 1;
        long[] before = previousSeq < 0 ? null : reader.extentOf(tailer, seg.cycle, previousSeq);
        long[] after = reader.extentOf(tailer, seg.cycle, seg.firstSeq + intact);
        // Chronicle pads each excerpt header to a 4-byte boundary with zeros (ChronicleLayoutTest): the bad
        // excerpt's header, never 0 once written, starts there, not at the previous record's end.
        if (before == null || after == null || looksUnwritten(seg.file, (before[1] + 3) & ~3L, after[0] - 4)) {
            return; // pages that never reached the disk (or no way to tell): a torn tail
        }
        throw new LogCorruptedException(seg.file, badIndex, why.getMessage() + ", but the record of index "
                + (seg.firstIndex() + intact) + " after it is intact and nothing between reads as an unwritten page:"
                + " damage to data that may have been synced, not a torn write");
    }

    /**
     * True if the damaged range {@code [from, to)} of {@code file} shows bytes that never reached the disk: the
     * piece from {@code from} (where the bad excerpt's Chronicle header sits, never 0 once written) to the next
     * 512-byte boundary is all zeros (the last sync ended inside that sector), or some 512-byte-aligned sector
     * inside the range is.
     */
    private static boolean looksUnwritten(Path file, long from, long to) throws LogCorruptedException {
        if (to <= from) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(file)) {
            long boundary = Math.min(to, (from + 512) & ~511L);
            if (allZero(ch, from, boundary)) {
                return true;
            }
            for (long at = boundary; at + 512 <= to; at += 512) {
                if (allZero(ch, at, at + 512)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new LogCorruptedException(file, -1, "cannot read it to tell a torn write from damage: " + e);
        }
    }

    private static boolean allZero(FileChannel ch, long from, long to) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) (to - from));
        while (b.hasRemaining() && ch.read(b, from + b.position()) > 0) {
            // positional reads until the range is read
        }
        if (b.hasRemaining()) {
            return true; // beyond the end of the file: never written
        }
        for (int i = 0; i < b.capacity(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private long termOf(ExcerptTailer tailer, Segment seg, long i) throws LogCorruptedException {
        try {
            return reader.termAt(tailer, seg.cycle, seg.sequenceOf(i), i);
        } catch (RecordCodec.BadRecordException e) {
            throw new LogCorruptedException(seg.file, i, e.getMessage());
        }
    }

    private ExcerptTailer newTailer() {
        ExcerptTailer t = queue.createTailer();
        t.singleThreadedCheckDisabled(true);
        return t;
    }
}
