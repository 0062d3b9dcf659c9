package io.raftkv.log;

import io.raftkv.core.message.LogEntry;
import io.raftkv.core.storage.LogStore;
import io.raftkv.core.storage.NoSpaceException;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The durable Raft log on Chronicle Queue.
 *
 * <p><b>Layout.</b> The log is a sequence of segments, each a Chronicle cycle file. A logical clock (not wall
 * time) decides the cycle, so we roll when we want: when a segment is full, to truncate a suffix, to reset to a
 * snapshot, and once at every open. A segment is an optional marker record followed by contiguous entries
 * (see {@link LogRecord}); raft index → Chronicle index is arithmetic from the small {@link SegmentIndex}.
 *
 * <p><b>Durability.</b> Chronicle's own sync modes do not make data durable (its default is a no-op msync), so
 * the queue runs with {@code SyncMode.NONE} and {@link #sync()} calls {@code FileChannel.force(false)}
 * (fdatasync) on the current segment, plus a directory fsync when a segment file was created or deleted. A
 * segment is forced before the log rolls past it, so a newer segment never holds data that an older one lacks.
 *
 * <p><b>Disk space.</b> Chronicle writes through a memory mapping of sparse files, where a full disk shows up
 * as a {@code SIGBUS} in the middle of a write. So before Chronicle may touch a region of a segment, the log
 * allocates it ({@link SpaceAllocator}: fallocate, in steps, ahead of Chronicle's write position, including a new
 * segment's header and the next index array): a full disk is a {@link NoSpaceException} before the record is
 * written, and the log stays as it was, at an entry boundary. A failed {@code fdatasync} is different: the kernel
 * may have dropped the pages it could not write, so the log cannot know what is durable and refuses every later
 * write (the server must stop; recovery at the next open keeps what was durable).
 *
 * <p><b>Recovery.</b> On open: an exclusive lock file, Chronicle's PID-based locks cleared, an orphaned
 * half-created last segment removed, every record checksummed ({@link LogRecovery}), a torn tail cut off.
 *
 * <p><b>Threads.</b> Single-threaded: only the raft thread calls it (the {@link LogStore} contract).
 */
public final class ChronicleLogStore implements LogStore {
    private static final Logger LOG = LoggerFactory.getLogger(ChronicleLogStore.class);
    static final String LOCK_FILE = "raft-log.lock";
    /** Chronicle's table store (locks, directory listing), written through a mapping like the segments. */
    static final String METADATA_FILE = "metadata.cq4t";
    /** Below this much free space the log does not open: Chronicle maps and writes its files as it opens them. */
    static final long MIN_FREE_TO_OPEN = 1 << 20;
    /** Chronicle's lock keys in metadata.cq4t; the unlocked value is Long.MIN_VALUE. */
    private static final String[] CHRONICLE_LOCKS = {"chronicle.write.lock", "chronicle.append.lock"};
    private static final long UNLOCKED = Long.MIN_VALUE;

    private final ChronicleLogOptions options;
    private final Path dir;
    private final int maxEntryBytes;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final AtomicLong clock = new AtomicLong();
    private final SingleChronicleQueue queue;
    private final ExcerptAppender appender;
    private final RecordCodec codec = new RecordCodec();
    private final SegmentReader reader;
    private final TailerCache tailers;
    private final SegmentIndex index;
    private final LogMetrics metrics;
    /** Prepares the next segment file off the raft thread; null if {@code options.preallocate()} is off. */
    private final SegmentPreallocator preallocator;
    private final SpaceAllocator allocator;
    private final SegmentSync segmentSync;
    /** How far ahead of Chronicle's write position space is allocated at a time. */
    private final long allocationStep;
    /** Bytes a new segment's Chronicle header occupies at most (index-of-indexes and first index array). */
    private final long headerAllowance;
    /** What one write may need beyond its record: a new index array Chronicle inserts first, alignment. */
    private final long writeHeadroom;
    /** Offset up to which the current segment's file is known to be allocated. */
    private long allocatedUpTo;
    /** End of Chronicle's last write in the current segment's file (0 before the first). */
    private long writeEnd;
    /** The sync that failed: after it the log refuses every write (see the class comment). */
    private IOException failure;

    private long firstIndex;
    private long lastIndex;
    /** term(lastIndex), cached: Raft asks for it constantly. */
    private long lastTerm;
    /** The segment being appended to (always {@link SegmentIndex#last()}). */
    private Segment current;
    /** fdatasync handle of the current segment's file, opened after its first write. */
    private FileChannel currentChannel;
    private boolean currentDirty;
    private boolean directoryDirty;
    private long entriesSinceSync;
    private boolean closed;

    private ChronicleLogStore(ChronicleLogOptions options, SpaceAllocator allocator, SegmentSync segmentSync)
            throws IOException {
        ChronicleJvmCheck.check();
        this.options = options;
        this.dir = options.directory();
        this.maxEntryBytes = options.maxEntryBytes();
        this.allocator = allocator;
        this.segmentSync = segmentSync;
        long indexArrayBytes = (long) SegmentFiles.ROLL_CYCLE.defaultIndexCount() * 8;
        this.headerAllowance = 2 * indexArrayBytes + 4096; // measured: the first record starts at 65,812
        this.writeHeadroom = 2 * (indexArrayBytes + 64) + 256;
        this.allocationStep = Math.max(64 << 10, Math.min(4 << 20, options.segmentBytes() / 8));
        requireSpaceToOpen(dir);
        Durable.createDirectories(dir);
        // Crash scenario 1: one writer per directory. The OS drops this lock when the process dies.
        this.lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            lockChannel.close();
            throw new IOException("Raft log directory " + dir + " is in use by another log (lock file " + LOCK_FILE + ")");
        }
        this.lock = l;
        SingleChronicleQueue q = null;
        SegmentPreallocator p = null;
        LogMetrics m = null;
        try {
            // A prepared segment file a crash left behind goes before anything else looks at the directory.
            SegmentPreallocator.deleteLeftover(dir);
            p = options.preallocate() ? new SegmentPreallocator(dir, options.preallocateBytes()) : null;
            this.preallocator = p;
            SegmentFiles.removeOrphanedLastSegment(dir);
            List<Path> files = SegmentFiles.list(dir);
            int startCycle = files.isEmpty() ? 1 : cycleOfLastFile(files);
            clock.set(startCycle * SegmentFiles.CYCLE_MILLIS);
            q = SingleChronicleQueueBuilder.binary(dir.toFile())
                    .rollCycle(SegmentFiles.ROLL_CYCLE)
                    .epoch(0)
                    .timeProvider(clock::get)
                    .blockSize(options.blockSize())
                    .indexSpacing(options.indexSpacing())
                    .syncMode(SyncMode.NONE) // we fdatasync ourselves, see sync()
                    .build();
            this.queue = q;
            // Its pages are written in place from now on (locks, listing); a mapping must not find them unallocated.
            Path metadata = dir.resolve(METADATA_FILE);
            if (Files.exists(metadata)) {
                allocator.allocate(metadata, 0, Files.size(metadata), false, false);
            }
            clearStaleChronicleLocks();
            this.reader = new SegmentReader(queue.rollCycle(), codec);
            this.tailers = new TailerCache(queue, options.tailerCacheSize());
            LogRecovery.Result r = new LogRecovery(queue, dir, reader, options.verifyOnOpen()).recover();
            this.index = r.index();
            this.firstIndex = r.firstIndex();
            this.lastIndex = r.lastIndex();
            this.lastTerm = r.lastTerm();
            m = new LogMetrics(options.registry(), options.tags(), index::size);
            this.metrics = m;
            this.appender = queue.createAppender();
            appender.singleThreadedCheckDisabled(true);
            if (index.last() == null) {
                // Its file is created (and allocated) just before the first write (reserveSpace): an empty file
                // that Chronicle never initialised would stall its next roll, which writes an end marker into it.
                current = new Segment(startCycle, SegmentFiles.fileOf(dir, startCycle), lastIndex, 0);
                index.add(current);
            } else {
                current = index.last();
                if (r.cutReason() != null) {
                    metrics.tailCuts.increment();
                    LOG.warn("Raft log {}: cut a torn or corrupt tail after index {} ({})", dir, lastIndex, r.cutReason());
                }
                // Never append after whatever the last segment ends with (a torn tail, Chronicle's half-written
                // excerpt): start a new segment whose marker bounds the old one, and make it durable now.
                roll(RecordCodec.KIND_TRUNCATE, lastIndex, lastTerm);
                sync();
            }
            if (preallocator != null) {
                preallocator.prepare();
            }
            LOG.info("Opened Raft log {}: entries [{}, {}], {} segment(s)", dir, firstIndex, lastIndex, index.size());
        } catch (IOException | RuntimeException | Error e) {
            if (m != null) {
                m.close(); // its gauge would keep this failed log reachable, and shadow a reopened one's
            }
            if (q != null) {
                q.close();
            }
            if (p != null) {
                p.close();
            }
            lock.release();
            lockChannel.close();
            throw e;
        }
    }

    /** Opens (creating if needed) the log in {@code options.directory()}, recovering it after a crash. */
    public static ChronicleLogStore open(ChronicleLogOptions options) throws IOException {
        return new ChronicleLogStore(options, SpaceAllocator.DEFAULT, SegmentSync.FDATASYNC);
    }

    /** Tests: the same log on a disk that can be full (allocator) or failing (sync). */
    static ChronicleLogStore open(ChronicleLogOptions options, SpaceAllocator allocator, SegmentSync sync)
            throws IOException {
        return new ChronicleLogStore(options, allocator, sync);
    }

    /** How a segment's data is made durable; tests substitute a failing disk. */
    @FunctionalInterface
    interface SegmentSync {
        /** fdatasync: the data, Chronicle's index pages and header (the file's size does not change). */
        SegmentSync FDATASYNC = ch -> ch.force(false);

        void force(FileChannel channel) throws IOException;
    }

    /**
     * Opening maps and writes Chronicle's files before any record is appended (the table store, a new segment):
     * on a file system with (nearly) no space that would be a SIGBUS, so refuse to open with a clear error.
     */
    private static void requireSpaceToOpen(Path dir) throws IOException {
        Path existing = dir.toAbsolutePath();
        while (!Files.exists(existing) && existing.getParent() != null) {
            existing = existing.getParent();
        }
        long usable = Files.getFileStore(existing).getUsableSpace();
        if (usable < MIN_FREE_TO_OPEN) {
            throw new NoSpaceException("cannot open the Raft log in " + dir + ": only " + usable + " bytes free ("
                    + MIN_FREE_TO_OPEN + " needed to open it); free space and start again", dir, null);
        }
    }

    private static int cycleOfLastFile(List<Path> files) {
        // The clock must point at an existing cycle at build time so Chronicle does not create a new file.
        return SegmentFiles.cycleOf(files.get(files.size() - 1));
    }

    /**
     * Crash scenario 2: Chronicle's locks record a PID. If this process got the PID of the dead writer (common in
     * containers) Chronicle thinks the lock is ours and blocks 15 s, then fails. We hold the directory lock, so
     * nobody else can be writing: clear them.
     */
    private void clearStaleChronicleLocks() {
        for (String key : CHRONICLE_LOCKS) {
            long holder = queue.tableStoreGet(key);
            if (holder != UNLOCKED && holder != 0) {
                LOG.warn("Raft log {}: clearing Chronicle lock {} left by a dead writer (value {})", dir, key, holder);
                queue.tableStorePut(key, UNLOCKED);
            }
        }
    }

    // ---------------------------------------------------------------- reads

    @Override
    public long firstIndex() {
        return firstIndex;
    }

    @Override
    public long lastIndex() {
        return lastIndex;
    }

    @Override
    public long term(long i) {
        if (i == 0) {
            return 0;
        }
        checkRange(i);
        if (i == lastIndex) {
            return lastTerm;
        }
        Segment s = segmentOf(i);
        try {
            if (!s.verified) {
                // Never checksummed (opened with VerifyMode.LAST_SEGMENT): a damaged term would mislead Raft's
                // consistency check (§5.3) and vote comparison (§5.4.1), so read the whole record with its CRC.
                return reader.entryAt(tailers.forCycle(s.cycle), s.cycle, s.sequenceOf(i), i).term();
            }
            return reader.termAt(tailers.forCycle(s.cycle), s.cycle, s.sequenceOf(i), i);
        } catch (RecordCodec.BadRecordException e) {
            throw corrupted(s, i, e);
        }
    }

    @Override
    public LogEntry entry(long i) {
        checkRange(i);
        Segment s = segmentOf(i);
        try {
            return reader.entryAt(tailers.forCycle(s.cycle), s.cycle, s.sequenceOf(i), i);
        } catch (RecordCodec.BadRecordException e) {
            throw corrupted(s, i, e);
        }
    }

    @Override
    public List<LogEntry> entries(long from, long toExclusive, long maxBytes) {
        List<LogEntry> out = new ArrayList<>();
        if (from >= toExclusive) {
            return out;
        }
        checkRange(from);
        checkRange(toExclusive - 1);
        long bytes = 0;
        long i = from;
        while (i < toExclusive) {
            Segment s = segmentOf(i);
            var tailer = tailers.forCycle(s.cycle);
            long end = Math.min(toExclusive - 1, s.lastIndex());
            if (!reader.seek(tailer, s.cycle, s.sequenceOf(i))) {
                throw corrupted(s, i, new RecordCodec.BadRecordException("no excerpt for this index"));
            }
            for (; i <= end; i++) {
                LogEntry e;
                try {
                    LogRecord r = reader.next(tailer, s.cycle, s.sequenceOf(i));
                    if (!(r instanceof LogRecord.Entry re) || re.entry().index() != i) {
                        throw new RecordCodec.BadRecordException("expected entry " + i + ", found " + r);
                    }
                    e = re.entry();
                } catch (RecordCodec.BadRecordException ex) {
                    throw corrupted(s, i, ex);
                }
                bytes += e.sizeInBytes();
                if (!out.isEmpty() && bytes > maxBytes) {
                    return out;
                }
                out.add(e);
            }
        }
        return out;
    }

    private void checkRange(long i) {
        if (i < firstIndex || i > lastIndex) {
            throw new IndexOutOfBoundsException("index " + i + " outside [" + firstIndex + ", " + lastIndex + "]");
        }
    }

    private Segment segmentOf(long i) {
        Segment s = index.find(i);
        if (s == null) {
            throw new IllegalStateException("no segment holds index " + i + " in [" + firstIndex + ", " + lastIndex + "]");
        }
        return s;
    }

    private UncheckedIOException corrupted(Segment s, long i, RecordCodec.BadRecordException e) {
        return new UncheckedIOException(new LogCorruptedException(s.file, i, e.getMessage()));
    }

    // ---------------------------------------------------------------- writes

    @Override
    public void append(List<LogEntry> entries) throws IOException {
        ensureWritable();
        if (entries.isEmpty()) {
            return;
        }
        // Validate the whole batch first: a refused batch writes nothing.
        long expected = lastIndex + 1;
        for (LogEntry e : entries) {
            if (e.index() != expected) {
                throw new IllegalArgumentException("append out of order: expected index " + expected + ", got " + e.index());
            }
            if (e.data().length > maxEntryBytes) {
                throw new EntryTooLargeException(e.index(), e.data().length, maxEntryBytes);
            }
            expected++;
        }
        long bytes = 0;
        for (LogEntry e : entries) {
            if (current.bytes >= options.segmentBytes()) {
                roll((byte) 0, lastIndex, lastTerm);
            }
            // A full disk stops the batch here, at an entry boundary (NoSpaceException's contract).
            reserveSpace(RecordCodec.OVERHEAD_BYTES + e.data().length);
            int n;
            try (DocumentContext dc = appender.writingDocument()) {
                n = codec.writeEntry(dc.wire().bytes(), e);
                writeEnd = dc.wire().bytes().writePosition();
            }
            afterWrite(n);
            current.liveCount++;
            if (current.liveCount == 1) {
                index.reindex(current);
            }
            lastIndex = e.index();
            lastTerm = e.term();
            bytes += n;
        }
        entriesSinceSync += entries.size();
        metrics.appendedEntries.increment(entries.size());
        metrics.appendedBytes.increment(bytes);
    }

    /** Checks where Chronicle put the excerpt (our index arithmetic depends on it) and tracks the file. */
    private void afterWrite(int recordBytes) throws IOException {
        long expectedSeq = current.firstSeq + current.liveCount;
        if (current.bytes == 0) {
            // The first write of a segment is the marker (firstSeq 1) or its first entry.
            expectedSeq = 0;
        }
        long expectedIndex = queue.rollCycle().toIndex(current.cycle, expectedSeq);
        long actual = appender.lastIndexAppended();
        if (actual != expectedIndex) {
            throw new IllegalStateException("Chronicle appended at index " + Long.toHexString(actual) + ", expected "
                    + Long.toHexString(expectedIndex) + " in " + current + ": is another process writing " + dir + "?");
        }
        if (current.bytes == 0) {
            directoryDirty = true;
            closeCurrentChannel();
            currentChannel = FileChannel.open(current.file, StandardOpenOption.WRITE);
        }
        current.bytes += recordBytes + 4; // + Chronicle's excerpt header
        currentDirty = true;
    }

    @Override
    public void sync() throws IOException {
        ensureWritable();
        if (currentDirty) {
            long start = System.nanoTime();
            try {
                segmentSync.force(currentChannel);
            } catch (IOException e) {
                throw syncFailed("fdatasync of " + current.file, e);
            }
            currentDirty = false;
            metrics.fsync.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
        if (directoryDirty) {
            fsyncDirectory();
            directoryDirty = false;
        }
        if (entriesSinceSync > 0) {
            metrics.syncBatchEntries.record(entriesSinceSync);
            entriesSinceSync = 0;
        }
    }

    /**
     * Starts a new segment (the next cycle). The current one is forced first, and the directory fsynced if a
     * file was created, so that a newer segment never holds data an older one lacks after a power loss.
     * {@code markerKind} 0 means no marker.
     */
    private void roll(byte markerKind, long markerIndex, long markerTerm) throws IOException {
        switchTo(prepareNextSegment(), markerKind, markerIndex, markerTerm);
    }

    /**
     * The first half of a roll, which may fail for lack of space and changes nothing then: the next segment's file
     * exists with its first region allocated. Returns how much of it is allocated.
     */
    private long prepareNextSegment() throws IOException {
        return prepareSegmentFile(SegmentFiles.fileOf(dir, current.cycle + 1), preallocator != null);
    }

    /**
     * Creates a segment file before Chronicle opens it, with its header, a first step and room for a marker
     * allocated; or claims the preallocated one. Chronicle starts a cycle file by writing its header into the zero
     * first word, so a file of zeros is a valid new file (as {@link SegmentPreallocator} relies on too), and a crash
     * before the header leaves a zero-header last segment, which recovery removes.
     */
    private long prepareSegmentFile(Path file, boolean claimPreallocated) throws IOException {
        if (claimPreallocated) {
            // A ready zero-filled file becomes the new segment (Chronicle opens it on the next write). The next
            // write marks the directory dirty, so the rename is made durable by the next sync(). See
            // SegmentPreallocator on crashes.
            boolean claimed = preallocator.claim(file);
            (claimed ? metrics.preallocatedReady : metrics.preallocatedMissed).increment();
            preallocator.prepare();
            if (claimed) {
                return options.preallocateBytes();
            }
        }
        long length = headerAllowance + writeHeadroom + allocationStep;
        try {
            allocator.allocate(file, 0, length, true, true);
        } catch (IOException e) {
            if (e instanceof NoSpaceException) {
                metrics.noSpace.increment();
            }
            Files.deleteIfExists(file); // an empty file named as a segment would confuse Chronicle and recovery
            throw e;
        }
        metrics.spaceAllocations.increment();
        return length;
    }

    /** The second half of a roll: syncs the current segment, switches to the prepared one, writes the marker. */
    private void switchTo(long allocated, byte markerKind, long markerIndex, long markerTerm) throws IOException {
        if (currentDirty) {
            sync();
        } else if (directoryDirty) {
            fsyncDirectory();
            directoryDirty = false;
        }
        closeCurrentChannel();
        int cycle = current.cycle + 1;
        Path file = SegmentFiles.fileOf(dir, cycle);
        clock.set(cycle * SegmentFiles.CYCLE_MILLIS);
        Segment next = new Segment(cycle, file, lastIndex, markerKind == 0 ? 0 : 1);
        index.add(next);
        current = next;
        allocatedUpTo = allocated;
        writeEnd = 0;
        if (markerKind != 0) {
            // The prepared region holds the header and a marker: no allocation (which could fail) from here on.
            int n;
            try (DocumentContext dc = appender.writingDocument()) {
                n = codec.writeMarker(dc.wire().bytes(), markerKind, markerIndex, markerTerm);
                writeEnd = dc.wire().bytes().writePosition();
            }
            afterWrite(n);
        }
    }

    /**
     * Makes sure the next write of {@code recordBytes} lands in allocated blocks: it may need the record, its
     * excerpt header and a new index array that Chronicle inserts before it. Allocates a step at a time, never
     * below Chronicle's write position (the zero-fill fallback must not touch written data).
     */
    private void reserveSpace(long recordBytes) throws IOException {
        if (allocatedUpTo == 0) {
            allocatedUpTo = prepareSegmentFile(current.file, false); // the first segment of a new log
        }
        long need = (writeEnd == 0 ? headerAllowance : writeEnd) + recordBytes + writeHeadroom;
        if (need <= allocatedUpTo) {
            return;
        }
        long from = Math.max(allocatedUpTo, writeEnd);
        long to = Math.max(need, allocatedUpTo + allocationStep);
        try {
            allocator.allocate(current.file, from, to - from, false, true);
        } catch (NoSpaceException e) {
            metrics.noSpace.increment();
            throw e;
        }
        metrics.spaceAllocations.increment();
        allocatedUpTo = to;
    }

    /** A sync failed: the log is unusable from now on (see the class comment). */
    private IOException syncFailed(String what, IOException e) {
        failure = new IOException("Raft log " + dir + ": " + what + " failed: " + e.getMessage() + ". A failed sync is"
                + " never retried (the kernel may have dropped the pages it could not write), so the log refuses"
                + " every later write; stop the server, check the disk, and restart it (recovery keeps what was"
                + " durable)", e);
        LOG.error("{}", failure.getMessage());
        return failure;
    }

    private void fsyncDirectory() throws IOException {
        try {
            Durable.fsyncDirectory(dir);
        } catch (IOException e) {
            throw syncFailed("fsync of the directory", e);
        }
    }

    @Override
    public void truncateSuffix(long fromIndex) throws IOException {
        ensureWritable();
        if (fromIndex > lastIndex) {
            return;
        }
        if (fromIndex < firstIndex) {
            throw new IllegalArgumentException("truncate below first index: " + fromIndex + " < " + firstIndex);
        }
        // §5.3: delete the conflicting entry and all that follow it. Chronicle cannot delete excerpts, so a new
        // segment starts with TRUNCATE(fromIndex-1); the dead suffix stays in older files until compaction.
        long keep = fromIndex - 1;
        long keepTerm = keep >= firstIndex ? term(keep) : 0;
        long allocated = prepareNextSegment(); // may find no space: then nothing has changed
        index.clampTo(keep);
        lastIndex = keep;
        lastTerm = keepTerm;
        switchTo(allocated, RecordCodec.KIND_TRUNCATE, keep, keepTerm);
        metrics.suffixTruncations.increment();
    }

    @Override
    public void compactPrefix(long upToIndex) throws IOException {
        ensureWritable();
        // §7: entries covered by a snapshot may go. Only whole segments are deleted, oldest first, never the one
        // being appended to; firstIndex tells what remains.
        boolean deleted = false;
        while (index.size() > 1) {
            Segment s = index.first();
            if (s.liveCount > 0 && s.lastIndex() > upToIndex) {
                break;
            }
            tailers.evict(s.cycle);
            index.removeFirst();
            Files.deleteIfExists(s.file);
            // One directory fsync per deletion, so the files a power loss leaves are always a suffix of the log.
            // On a file system without a journal two deletions made durable by one fsync may land in either
            // order: a surviving older segment next to a deleted newer one would make recovery take entries the
            // deleted one's TRUNCATE marker had cut as live (or refuse to start over the gap).
            fsyncDirectory();
            deleted = true;
        }
        if (deleted) {
            queue.refreshDirectoryListing();
            firstIndex = Math.max(firstIndex, index.firstLiveIndex(lastIndex + 1));
            metrics.prefixCompactions.increment();
        }
    }

    @Override
    public void reset(long newIndex, long term) throws IOException {
        ensureWritable();
        if (newIndex < 0) {
            throw new IllegalArgumentException("negative index " + newIndex);
        }
        long allocated = prepareNextSegment(); // may find no space: then nothing has changed
        // §7 (InstallSnapshot): discard the entire log. The RESET marker is made durable before older segments
        // are deleted, so a crash leaves either the old log or the new empty one.
        index.clampTo(Long.MIN_VALUE / 2);
        lastIndex = newIndex;
        lastTerm = term;
        firstIndex = newIndex + 1;
        switchTo(allocated, RecordCodec.KIND_RESET, newIndex, term);
        sync();
        while (index.size() > 1) {
            Segment s = index.first();
            tailers.evict(s.cycle);
            index.removeFirst();
            Files.deleteIfExists(s.file);
        }
        fsyncDirectory();
        queue.refreshDirectoryListing();
        metrics.resets.increment();
    }

    /** The largest entry data this log accepts (a quarter of Chronicle's block size, less framing). */
    public int maxEntryBytes() {
        return maxEntryBytes;
    }

    /** Number of segment files (for tests and metrics). */
    public int segmentCount() {
        return index.size();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("log " + dir + " is closed");
        }
    }

    private void ensureWritable() throws IOException {
        ensureOpen();
        if (failure != null) {
            throw new IOException(failure.getMessage(), failure);
        }
    }

    /** Offset up to which the current segment's file is allocated, and Chronicle's write position (tests). */
    long[] allocationOfCurrentSegment() {
        return new long[] {allocatedUpTo, writeEnd};
    }

    private void closeCurrentChannel() throws IOException {
        if (currentChannel != null) {
            currentChannel.close();
            currentChannel = null;
        }
    }

    /** Closes without syncing: what was not synced may be lost, as after a crash. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            tailers.close();
            appender.close();
            queue.close();
            closeCurrentChannel();
            metrics.close();
            if (preallocator != null) {
                preallocator.close();
            }
        } finally {
            lock.release();
            lockChannel.close();
        }
    }
}
