package io.raftkv.log;

import io.raftkv.core.message.LogEntry;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Damaged files on open: torn tails are cut, damage before the tail stops the node. */
class CorruptionTest {
    private static final long TERM = 5;

    @TempDir
    Path dir;

    private void writeLog(int count) throws IOException {
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            for (long i = 1; i <= count; i += 50) {
                log.append(TestLogs.batch(i, (int) Math.min(50, count - i + 1), TERM, 100));
                log.sync();
            }
        }
    }

    /** Byte offset of the record of entry {@code index} inside {@code file} (our header, after Chronicle's). */
    private static long offsetOf(Path file, long index) throws IOException {
        ByteBuffer pattern = ByteBuffer.allocate(17).order(ByteOrder.LITTLE_ENDIAN);
        pattern.put(RecordCodec.KIND_ENTRY).putLong(index).putLong(TERM);
        return find(file, pattern.array(), "record " + index);
    }

    /** Byte offset of the marker record {@code kind(index)} inside {@code file}. */
    private static long offsetOfMarker(Path file, byte kind, long index) throws IOException {
        ByteBuffer pattern = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
        pattern.put(kind).putLong(index);
        return find(file, pattern.array(), "marker " + kind + "(" + index + ")");
    }

    private static long find(Path file, byte[] p, String what) throws IOException {
        byte[] all = Files.readAllBytes(file);
        outer:
        for (int i = 0; i + p.length <= all.length; i++) {
            for (int k = 0; k < p.length; k++) {
                if (all[i + k] != p[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError(what + " not found in " + file);
    }

    private static void overwrite(Path file, long offset, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), offset);
            ch.force(true);
        }
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x5A)).rewind();
            ch.write(b, offset);
        }
    }

    private Path lastSegmentWith(long index) throws IOException {
        List<Path> files = SegmentFiles.list(dir);
        for (int i = files.size() - 1; i >= 0; i--) {
            try {
                offsetOf(files.get(i), index);
                return files.get(i);
            } catch (AssertionError notHere) {
                // keep looking
            }
        }
        throw new AssertionError("no segment holds " + index);
    }

    @Test
    void zeroedTailPagesAreCutOffAndAppendingContinues() throws IOException {
        writeLog(200);
        Path file = lastSegmentWith(200);
        long from = offsetOf(file, 190);
        // After a power loss the page cache may not have reached the disk: Chronicle's length header of record
        // 190 survived, everything from its payload on reads as zeros.
        overwrite(file, from, new byte[16 << 10]);
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(189, log.lastIndex());
            assertEquals(TestLogs.entry(189, TERM, 100), log.entry(189));
            log.append(TestLogs.batch(190, 20, TERM + 1, 100));
            log.sync();
        }
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(209, log.lastIndex());
            assertEquals(TestLogs.entry(190, TERM + 1, 100), log.entry(190));
            assertEquals(TestLogs.entry(100, TERM, 100), log.entry(100));
        }
    }

    @Test
    void flippedByteInTheLastRecordCutsOnlyThatRecord() throws IOException {
        writeLog(120);
        Path file = lastSegmentWith(120);
        flipByte(file, offsetOf(file, 120) + RecordCodec.HEADER_BYTES); // payload or CRC
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(119, log.lastIndex());
            assertEquals(TestLogs.entry(119, TERM, 100), log.entry(119));
            log.append(List.of(LogEntry.command(120, TERM + 1, new byte[]{1, 2, 3})));
            log.sync();
        }
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(120, log.lastIndex());
            assertEquals(TERM + 1, log.term(120));
        }
    }

    @Test
    void flippedByteInAnEarlierSegmentRefusesToStartNamingFileAndIndex() throws IOException {
        writeLog(3000);
        List<Path> files = SegmentFiles.list(dir);
        assertTrue(files.size() > 3, "need several segments, got " + files);
        Path first = files.get(0);
        long victim = 57;
        flipByte(first, offsetOf(first, victim) + RecordCodec.HEADER_BYTES + 1);
        LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> TestLogs.open(dir));
        assertTrue(e.getMessage().contains(first.getFileName().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("index " + victim), e.getMessage());
        assertEquals(victim, e.index());
        // It keeps refusing: nothing was "repaired" by dropping entries.
        assertThrows(LogCorruptedException.class, () -> TestLogs.open(dir));
    }

    @Test
    void corruptRecordIsReportedWhenReadEvenIfOpenDidNotVerifyIt() throws IOException {
        writeLog(3000);
        Path first = SegmentFiles.list(dir).get(0);
        flipByte(first, offsetOf(first, 57) + RecordCodec.HEADER_BYTES + 1);
        try (ChronicleLogStore log = ChronicleLogStore.open(TestLogs.small(dir)
                .verifyOnOpen(ChronicleLogOptions.VerifyMode.LAST_SEGMENT).build())) {
            assertEquals(TestLogs.entry(58, TERM, 100), log.entry(58));
            java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, () -> log.entry(57));
            assertTrue(e.getCause() instanceof LogCorruptedException, e.toString());
            assertTrue(e.getMessage().contains("index 57"), e.getMessage());
        }
    }

    @Test
    void aDamagedTermIsReportedByTermEvenIfOpenDidNotVerifyIt() throws IOException {
        writeLog(3000);
        Path first = SegmentFiles.list(dir).get(0);
        flipByte(first, offsetOf(first, 57) + 9); // the term field: kind(1) index(8) term(8)
        try (ChronicleLogStore log = ChronicleLogStore.open(TestLogs.small(dir)
                .verifyOnOpen(ChronicleLogOptions.VerifyMode.LAST_SEGMENT).build())) {
            assertEquals(TERM, log.term(58));
            // A wrong term read silently would mislead the §5.3 consistency check and the §5.4.1 vote comparison.
            java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, () -> log.term(57));
            assertTrue(e.getCause() instanceof LogCorruptedException, e.toString());
        }
    }

    @Test
    void orphanedHalfCreatedLastSegmentIsRemoved() throws IOException {
        writeLog(100);
        List<Path> files = SegmentFiles.list(dir);
        Path orphan = SegmentFiles.fileOf(dir, SegmentFiles.cycleOf(files.get(files.size() - 1)) + 1);
        // The writer died while Chronicle was creating the file: sized, but the header never completed.
        Files.write(orphan, new byte[64 << 10]);
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(100, log.lastIndex());
            assertEquals(TestLogs.entry(100, TERM, 100), log.entry(100));
            log.append(TestLogs.batch(101, 1, TERM, 10));
            log.sync();
        }
        assertFalse(SegmentFiles.list(dir).contains(orphan) && !SegmentFiles.hasCompleteHeader(orphan));
    }

    @Test
    void chronicleLocksLeftByAProcessWithOurPidAreCleared() throws IOException {
        writeLog(10);
        // README "Recovery at open", step 2: the dead writer had the PID this process has now, so Chronicle believes it
        // still holds its write and append locks and would block 15 s, then fail, on the first append.
        long pid = ProcessHandle.current().pid();
        try (SingleChronicleQueue q = SingleChronicleQueueBuilder.binary(dir.toFile())
                .rollCycle(SegmentFiles.ROLL_CYCLE).epoch(0).blockSize(TestLogs.SMALL_BLOCK)
                .timeProvider(() -> SegmentFiles.CYCLE_MILLIS * SegmentFiles.cycleOf(lastFile())).build()) {
            q.tableStorePut("chronicle.write.lock", pid);
            q.tableStorePut("chronicle.append.lock", pid);
            assertEquals(pid, q.tableStoreGet("chronicle.write.lock"));
        }
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            log.append(TestLogs.batch(11, 5, TERM, 10));
            log.sync();
            assertEquals(15, log.lastIndex());
        }
    }

    @Test
    void emptySegmentAfterATornTailDoesNotTurnTheTailIntoCorruption() throws IOException {
        writeLog(120);
        Path file = lastSegmentWith(120);
        flipByte(file, offsetOf(file, 120) + RecordCodec.HEADER_BYTES);
        // A crash right after Chronicle created the next cycle file, before our first record reached it.
        int next = SegmentFiles.cycleOf(lastFile()) + 1;
        try (SingleChronicleQueue q = SingleChronicleQueueBuilder.binary(dir.toFile())
                .rollCycle(SegmentFiles.ROLL_CYCLE).epoch(0).blockSize(TestLogs.SMALL_BLOCK)
                .timeProvider(() -> SegmentFiles.CYCLE_MILLIS * next).build();
             net.openhft.chronicle.queue.ExcerptAppender a = q.createAppender();
             net.openhft.chronicle.wire.DocumentContext dc = a.writingDocument()) {
            dc.rollbackOnClose();
        }
        assertTrue(Files.exists(SegmentFiles.fileOf(dir, next)), "test setup: empty segment not created");
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(119, log.lastIndex());
        }
    }

    private Path lastFile() {
        try {
            List<Path> files = SegmentFiles.list(dir);
            return files.get(files.size() - 1);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void truncationMarkersSurviveATornTailInTheirSegment() throws IOException {
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            log.append(TestLogs.batch(1, 100, TERM, 100));
            log.truncateSuffix(51);
            log.append(TestLogs.batch(51, 30, TERM, 100));
            log.sync();
        }
        Path file = lastSegmentWith(80);
        overwrite(file, offsetOf(file, 75), new byte[8 << 10]);
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(74, log.lastIndex());
            assertEquals(TestLogs.entry(74, TERM, 100), log.entry(74));
            assertEquals(TestLogs.entry(50, TERM, 100), log.entry(50));
        }
        // A second open must not mistake the cut-off garbage (now in a non-last segment) for corruption.
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(74, log.lastIndex());
        }
    }

    @Test
    void aSegmentWhoseFirstRecordWasTornStaysCutAtEveryLaterOpen() throws IOException {
        writeLog(120);
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(120, log.lastIndex()); // this open started a segment with the marker TRUNCATE(120)
        }
        // A power loss while that marker was written: its bytes on disk are damaged.
        Path last = lastFile();
        flipByte(last, offsetOfMarker(last, RecordCodec.KIND_TRUNCATE, 120) + 1);
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(120, log.lastIndex(), "the torn marker is cut, every entry stays");
        }
        // That open started another segment whose marker bounds the torn one: it is no longer the last segment,
        // and must not turn into "corruption before the tail" now.
        for (int open = 0; open < 2; open++) {
            try (ChronicleLogStore log = TestLogs.open(dir)) {
                assertEquals(120 + open, log.lastIndex());
                assertEquals(TestLogs.entry(120, TERM, 100), log.entry(120));
                log.append(TestLogs.batch(121 + open, 1, TERM + 1, 100));
                log.sync();
            }
        }
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(122, log.lastIndex());
            assertEquals(TERM + 1, log.term(122));
        }
        // Compaction deleted the segment before the torn one, then a crash came before the torn one's turn: it is
        // the oldest segment now, and the marker after it starts the log.
        Files.delete(SegmentFiles.list(dir).get(0));
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(121, log.firstIndex());
            assertEquals(122, log.lastIndex());
        }
    }

    @Test
    void anUnreadableFirstRecordThatNoLaterMarkerCutsRefusesToStart() throws IOException {
        writeLog(120);
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            log.append(TestLogs.batch(121, 10, TERM, 100)); // after the marker TRUNCATE(120), in the same segment
            log.sync();
        }
        Path damaged = lastFile();
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(130, log.lastIndex()); // and a newer segment starts with TRUNCATE(130)
        }
        // Damage found later in the marker of a segment that holds live entries 121..130: they would be lost.
        flipByte(damaged, offsetOfMarker(damaged, RecordCodec.KIND_TRUNCATE, 120) + 1);
        LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> TestLogs.open(dir));
        assertTrue(e.getMessage().contains(damaged.getFileName().toString()), e.getMessage());
    }


    @Test
    void aDamagedRecordFollowedByIntactOnesInTheLastSegmentRefusesToStart() throws IOException {
        writeLog(120);
        Path file = lastSegmentWith(120);
        // A flipped byte in a record that was synced long ago, with 60 intact records after it: not a torn write.
        flipByte(file, offsetOf(file, 60) + RecordCodec.HEADER_BYTES + 3);
        LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> TestLogs.open(dir));
        assertEquals(60, e.index());
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not a torn write"), e.getMessage());
        assertThrows(LogCorruptedException.class, () -> TestLogs.open(dir), "and it keeps refusing");
    }

    @Test
    void anUnwrittenPageWithIntactRecordsAfterItIsATornTail() throws IOException {
        // Power loss: a page in the middle never reached the disk (it reads as zeros), the pages after it did.
        // Everything from the damage on was written after the last sync.
        long firstDamaged = overwriteAPageInTheMiddleOfTheLastSegment((byte) 0);
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(firstDamaged - 1, log.lastIndex());
            assertEquals(TestLogs.entry(firstDamaged - 1, TERM, 100), log.entry(firstDamaged - 1));
        }
    }

    @Test
    void aPageOfGarbageWithIntactRecordsAfterItRefusesToStart() throws IOException {
        // The same page as above, but damaged rather than unwritten: not zeros, so not a torn write.
        long firstDamaged = overwriteAPageInTheMiddleOfTheLastSegment((byte) 0x5A);
        LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> TestLogs.open(dir));
        assertEquals(firstDamaged, e.index(), e.getMessage());
        assertTrue(e.getMessage().contains("not a torn write"), e.getMessage());
    }

    @Test
    void damageToTheFirstEntryAfterTheSegmentsMarkerIsCheckedLikeAnyOther() throws IOException {
        writeLog(120);
        try (ChronicleLogStore log = TestLogs.open(dir)) { // a new segment: TRUNCATE(120), then 121..170
            log.append(TestLogs.batch(121, 50, TERM, 100));
            log.sync();
        }
        Path file = lastSegmentWith(170);
        flipByte(file, offsetOf(file, 121) + RecordCodec.HEADER_BYTES + 3);
        LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> TestLogs.open(dir));
        assertEquals(121, e.index(), e.getMessage());
    }

    /**
     * Writes entries 1..300 into one segment, then fills the first whole page after record 100 with {@code fill};
     * returns the first entry the page damages. Intact records follow the page.
     */
    private long overwriteAPageInTheMiddleOfTheLastSegment(byte fill) throws IOException {
        writeLog(300);
        Path file = lastSegmentWith(300);
        long page = (offsetOf(file, 100) + 4095) & ~4095L;
        long firstDamaged = firstRecordReaching(file, page);
        assertTrue(offsetOf(file, 300) > page + 4096, "test setup: intact records after the page");
        byte[] bytes = new byte[4096];
        java.util.Arrays.fill(bytes, fill);
        overwrite(file, page, bytes);
        return firstDamaged;
    }

    /** The first entry whose record (it ends where the next one's 4-byte Chronicle header begins) reaches offset. */
    private static long firstRecordReaching(Path file, long offset) throws IOException {
        for (long i = 1; ; i++) {
            if (offsetOf(file, i + 1) - 4 > offset) {
                return i;
            }
        }
    }
}
