package io.raftkv.log;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.message.LogEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChronicleLogStoreTest {
    @TempDir
    Path dir;

    @Test
    void freshLogIsEmptyFromIndexOne() throws IOException {
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(1, log.firstIndex());
            assertEquals(0, log.lastIndex());
            assertEquals(0, log.term(0));
            assertThrows(IndexOutOfBoundsException.class, () -> log.entry(1));
        }
    }

    @Test
    void appendedEntriesSurviveReopenAcrossSegmentRolls() throws IOException {
        List<LogEntry> written = TestLogs.batch(1, 2000, 3, 200);
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            for (int i = 0; i < written.size(); i += 100) {
                log.append(written.subList(i, i + 100));
                log.sync();
            }
            assertTrue(log.segmentCount() > 3, "small segments must roll, got " + log.segmentCount());
            assertEquals(written.get(1234), log.entry(1235));
        }
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(1, log.firstIndex());
            assertEquals(2000, log.lastIndex());
            assertEquals(3, log.term(2000));
            assertEquals(written, log.entries(1, 2001, Long.MAX_VALUE));
            log.append(TestLogs.batch(2001, 1, 4, 10));
            assertEquals(4, log.term(2001));
        }
    }

    @Test
    void entriesAreBoundedByBytesButReturnAtLeastOne() throws IOException {
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            log.append(TestLogs.batch(1, 50, 1, 100));
            List<LogEntry> one = log.entries(5, 50, 1);
            assertEquals(1, one.size());
            long budget = log.entry(5).sizeInBytes() + log.entry(6).sizeInBytes();
            assertEquals(2, log.entries(5, 50, budget).size());
        }
    }

    @Test
    void truncateSuffixReplacesConflictingEntriesDurably() throws IOException {
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            log.append(TestLogs.batch(1, 100, 1, 50));
            log.sync();
            log.truncateSuffix(61);
            assertEquals(60, log.lastIndex());
            assertEquals(1, log.term(60));
            log.append(TestLogs.batch(61, 10, 2, 50));
            log.sync();
        }
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(70, log.lastIndex());
            assertEquals(1, log.term(60));
            assertEquals(2, log.term(61));
            assertEquals(TestLogs.entry(65, 2, 50), log.entry(65));
        }
    }

    @Test
    void resetAndCompactionDeleteOldSegments() throws IOException {
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            log.append(TestLogs.batch(1, 3000, 1, 100));
            log.sync();
            int before = log.segmentCount();
            log.compactPrefix(1500);
            assertTrue(log.segmentCount() < before);
            assertTrue(log.firstIndex() > 1 && log.firstIndex() <= 1501, "first " + log.firstIndex());
            long first = log.firstIndex();
            assertEquals(TestLogs.entry(first, 1, 100), log.entry(first));
            log.reset(5000, 7);
            assertEquals(5001, log.firstIndex());
            assertEquals(5000, log.lastIndex());
            assertEquals(1, log.segmentCount());
            log.append(TestLogs.batch(5001, 5, 8, 10));
            log.sync();
        }
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(5001, log.firstIndex());
            assertEquals(5005, log.lastIndex());
            assertEquals(8, log.term(5003));
        }
    }

    @Test
    void tooLargeEntryIsRefusedAndNothingOfTheBatchIsWritten() throws IOException {
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            int max = log.maxEntryBytes();
            log.append(List.of(LogEntry.command(1, 1, new byte[max])));
            EntryTooLargeException e = assertThrows(EntryTooLargeException.class, () -> log.append(List.of(
                    LogEntry.command(2, 1, new byte[3]), LogEntry.command(3, 1, new byte[max + 1]))));
            assertEquals(3, e.index());
            assertEquals(max, e.limit());
            assertEquals(1, log.lastIndex());
            log.sync();
        }
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(1, log.lastIndex());
            assertEquals(TestLogs.SMALL_BLOCK / 4 - RecordCodec.OVERHEAD_BYTES - 64, log.entry(1).data().length);
        }
    }

    @Test
    void secondOpenOfTheSameDirectoryIsRefused() throws IOException {
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            IOException e = assertThrows(IOException.class, () -> TestLogs.open(dir));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            log.append(TestLogs.batch(1, 1, 1, 10)); // the first log is unaffected
            assertEquals(1, log.lastIndex());
        }
    }

    @Test
    void metricsCountFsyncsBatchesAndTruncations() throws IOException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ChronicleLogStore log = ChronicleLogStore.open(TestLogs.small(dir).build().withRegistry(registry))) {
            log.append(TestLogs.batch(1, 10, 1, 10));
            log.sync();
            log.truncateSuffix(5);
            assertTrue(registry.get("raft.log.fsync").timer().count() >= 1);
            assertEquals(10.0, registry.get("raft.log.sync.batch").summary().max());
            assertEquals(1.0, registry.get("raft.log.truncations").tag("kind", "suffix").counter().count());
            assertTrue(registry.get("raft.log.appended").counter().count() > 10 * RecordCodec.OVERHEAD_BYTES);
            assertEquals(log.segmentCount(), registry.get("raft.log.segments").gauge().value());
        }
    }

    @Test
    void preallocatedSegmentsAreUsedAndALeftoverPreparedFileIsDeletedAtOpen() throws Exception {
        Path prepared = dir.resolve(SegmentPreallocator.FILE);
        Files.write(prepared, new byte[] {1, 2, 3}); // as if a crash interrupted a zero fill: never a segment
        try (ChronicleLogStore log = TestLogs.open(dir)) { // preallocation off: the leftover goes all the same
            assertFalse(Files.exists(prepared), "a leftover prepared file is deleted at open");
            assertEquals(0, log.lastIndex());
        }
        Files.write(prepared, new byte[] {1, 2, 3});
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<LogEntry> written = new ArrayList<>();
        try (ChronicleLogStore log = ChronicleLogStore.open(TestLogs.small(dir).preallocate(true).build().withRegistry(registry))) {
            var ready = registry.get("raft.log.segments.preallocated").tag("result", "ready").counter();
            // Rolls never wait for the background zero fill: give it time between batches until one was used.
            for (int i = 0; i < 400 && (ready.count() < 3 || written.size() < 2000); i++) {
                List<LogEntry> batch = TestLogs.batch(written.size() + 1, 50, 2, 300);
                log.append(batch);
                log.sync();
                written.addAll(batch);
                Thread.sleep(5);
            }
            assertTrue(ready.count() >= 3, "rolls that used a prepared file: " + ready.count());
            assertEquals(written, log.entries(1, written.size() + 1, Long.MAX_VALUE));
        }
        assertFalse(Files.exists(prepared), "close deletes the prepared file");
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertEquals(written.size(), log.lastIndex());
            assertEquals(written, log.entries(1, written.size() + 1, Long.MAX_VALUE));
        }
    }
}
