package io.raftkv.log;

import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Naming and sanity of segment files. Segments are Chronicle cycles of the {@code FAST_DAILY} roll cycle with
 * epoch 0 driven by a logical clock, so cycle N is the file of day N after 1970-01-01 ({@code 19700102F.cq4} is
 * cycle 1); the names sort in cycle order.
 */
final class SegmentFiles {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentFiles.class);

    static final RollCycle ROLL_CYCLE = RollCycles.FAST_DAILY;
    static final long CYCLE_MILLIS = ROLL_CYCLE.lengthInMillis();
    static final String SUFFIX = ".cq4";

    /** Chronicle's wire header bits (net.openhft.chronicle.wire.Wires). */
    private static final int NOT_COMPLETE = 0x8000_0000;
    private static final int META_DATA = 0x4000_0000;
    private static final int LENGTH_MASK = 0x3FFF_FFFF;

    private static final DateTimeFormatter NAMES =
            DateTimeFormatter.ofPattern(ROLL_CYCLE.format()).withZone(ZoneOffset.UTC);

    private static final DateTimeFormatter DAYS = DateTimeFormatter.ofPattern(ROLL_CYCLE.format());

    private SegmentFiles() {
    }

    static Path fileOf(Path dir, int cycle) {
        return dir.resolve(NAMES.format(Instant.ofEpochMilli(cycle * CYCLE_MILLIS)) + SUFFIX);
    }

    /** The cycle of a segment file, from its name. */
    static int cycleOf(Path file) {
        String name = file.getFileName().toString();
        try {
            return (int) (LocalDate.parse(name.substring(0, name.length() - SUFFIX.length()), DAYS).toEpochDay());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a segment file name: " + name, e);
        }
    }

    /** Segment files in cycle order. */
    static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().collect(Collectors.toList());
        }
    }

    /**
     * True if the file starts with Chronicle's complete header document. A writer killed while Chronicle was
     * creating a cycle file leaves a zero or NOT_COMPLETE header, and every later open then waits ~30 s on it.
     */
    static boolean hasCompleteHeader(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) {
                    return false;
                }
            }
            int header = b.getInt(0);
            return header != 0 && (header & NOT_COMPLETE) == 0 && (header & META_DATA) != 0
                    && (header & LENGTH_MASK) > 0;
        }
    }

    /**
     * Removes a last segment whose creation was interrupted (raft-log/README.md, "Recovery at open", step 3); an incomplete
     * header anywhere else is corruption.
     */
    static void removeOrphanedLastSegment(Path dir) throws IOException {
        List<Path> files = list(dir);
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            if (hasCompleteHeader(f)) {
                continue;
            }
            if (i < files.size() - 1) {
                throw new LogCorruptedException(f, "segment file has no complete Chronicle header but is not the last segment");
            }
            LOG.warn("Removing orphaned segment {}: its creation was interrupted (no complete header); it holds no entries", f);
            Files.delete(f);
            Durable.fsyncDirectory(dir);
        }
    }
}
