package io.raftkv.log;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.LogEntry;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Helpers shared by the log tests: small segments, and entries whose bytes are a function of (index, term). */
final class TestLogs {
    static final long SMALL_BLOCK = 256 << 10;

    private TestLogs() {
    }

    static ChronicleLogOptions.Builder small(Path dir) {
        return ChronicleLogOptions.builder(dir, new SimpleMeterRegistry()).blockSize(SMALL_BLOCK).segmentBytes(64 << 10);
    }

    static ChronicleLogStore open(Path dir) throws IOException {
        return ChronicleLogStore.open(small(dir).build());
    }

    /** Deterministic payload of entry (index, term): lets a reader check bytes without remembering them. */
    static byte[] payload(long index, long term, int maxLen) {
        SplittableRandom r = new SplittableRandom(index * 1_000_003L + term);
        byte[] b = new byte[r.nextInt(maxLen + 1)];
        r.nextBytes(b);
        return b;
    }

    static LogEntry entry(long index, long term, int maxLen) {
        EntryType type = index % 17 == 0 ? EntryType.NOOP : EntryType.COMMAND;
        return new LogEntry(index, term, type, type == EntryType.NOOP ? null : payload(index, term, maxLen));
    }

    static List<LogEntry> batch(long from, int count, long term, int maxLen) {
        List<LogEntry> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(entry(from + i, term, maxLen));
        }
        return out;
    }
}
