package io.raftkv.log;

import io.raftkv.core.message.LogEntry;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Pins the layout recovery's torn-write test relies on (LogRecovery.looksUnwritten): an excerpt's bytes are
 * addressed by file offset, and the next excerpt's 4-byte header starts at the next 4-byte boundary after them,
 * the gap being zero padding. If a Chronicle upgrade changes that, this fails instead of recovery misjudging.
 */
class ChronicleLayoutTest {
    @TempDir
    Path dir;

    @Test
    void excerptHeadersStartAtTheNextFourByteBoundaryAfterThePreviousExcerpt() throws Exception {
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            List<LogEntry> batch = new ArrayList<>();
            for (int i = 1; i <= 12; i++) {
                batch.add(LogEntry.command(i, 1, new byte[i]));
            }
            log.append(batch);
            log.sync();
        }
        Path file = SegmentFiles.list(dir).get(0);
        int cycle = SegmentFiles.cycleOf(file);
        try (SingleChronicleQueue q = SingleChronicleQueueBuilder.binary(dir.toFile()).rollCycle(SegmentFiles.ROLL_CYCLE)
                .epoch(0).blockSize(TestLogs.SMALL_BLOCK).timeProvider(() -> SegmentFiles.CYCLE_MILLIS * cycle).build();
             ExcerptTailer t = q.createTailer()) {
            SegmentReader r = new SegmentReader(q.rollCycle(), new RecordCodec());
            long[] prev = null;
            for (long seq = 0; seq < 12; seq++) {
                long[] e = r.extentOf(t, cycle, seq);
                assertEquals(RecordCodec.OVERHEAD_BYTES + seq + 1, e[1] - e[0], "record " + seq + " length");
                assertEquals(0, (e[0] - 4) % 4, "header of " + seq + " on a 4-byte boundary");
                if (prev != null) {
                    assertEquals((prev[1] + 3) & ~3L, e[0] - 4, "header of " + seq + " right after the padding");
                }
                prev = e;
            }
        }
    }
}
