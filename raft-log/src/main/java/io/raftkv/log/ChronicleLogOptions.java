package io.raftkv.log;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of a {@link ChronicleLogStore}.
 *
 * @param directory      where segment files, Chronicle's metadata and the lock file live (one log per directory)
 * @param segmentBytes   roll to a new segment once the current one holds this many bytes; keep it below
 *                       {@code blockSize} so that a segment stays inside one memory mapping (reads across mappings
 *                       remap and cost 20–150 µs instead of 1–3 µs)
 * @param blockSize      Chronicle's block (mapping chunk) size; the largest entry is a quarter of it
 * @param verifyOnOpen   how much of the log to checksum when opening
 * @param tailerCacheSize how many segments keep an open reader (an LRU; one reader per segment)
 * @param indexSpacing   Chronicle indexes every n-th excerpt and scans linearly from there on a random read:
 *                       16 (default) costs 8 bytes of index per 16 entries and keeps a random read near 1 µs;
 *                       Chronicle's own default of 256 makes it several µs
 * @param preallocate    prepare the next segment file (zero-filled, fsynced) on a background thread so that
 *                       appends and syncs do not pay block allocation and journal commits of a sparse file
 *                       (see {@link SegmentPreallocator}); costs one extra write of each segment's size
 * @param registry       where the {@code raft.log.*} meters go
 * @param tags           tags added to every meter (e.g. {@code node=n1})
 */
public record ChronicleLogOptions(Path directory, long segmentBytes, long blockSize, VerifyMode verifyOnOpen,
                                  int tailerCacheSize, int indexSpacing, boolean preallocate,
                                  MeterRegistry registry, Tags tags) {

    public static final long DEFAULT_BLOCK_SIZE = 64L << 20;
    public static final long DEFAULT_SEGMENT_BYTES = 48L << 20;

    /** How much of the log is verified when it is opened. */
    public enum VerifyMode {
        /** Checksum every live record of every segment (default; cost grows with the log). */
        ALL_SEGMENTS,
        /**
         * Checksum every record of the last segment (needed to find a torn tail) and the first and last live record
         * of the others; older records are still checksummed whenever they are read.
         */
        LAST_SEGMENT
    }

    public ChronicleLogOptions {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(verifyOnOpen, "verifyOnOpen");
        Objects.requireNonNull(registry, "registry (pass the application's MeterRegistry)");
        Objects.requireNonNull(tags, "tags");
        if (blockSize < (64 << 10) || Long.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("blockSize must be a power of two >= 64 KiB, got " + blockSize);
        }
        if (segmentBytes < 4096 || segmentBytes > blockSize) {
            throw new IllegalArgumentException("segmentBytes must be in [4096, blockSize=" + blockSize + "], got " + segmentBytes);
        }
        if (indexSpacing < 1 || indexSpacing > 4096 || Integer.bitCount(indexSpacing) != 1) {
            throw new IllegalArgumentException("indexSpacing must be a power of two in [1, 4096], got " + indexSpacing);
        }
        if (tailerCacheSize < 1) {
            throw new IllegalArgumentException("tailerCacheSize must be >= 1");
        }
    }

    public static Builder builder(Path directory, MeterRegistry registry) {
        return new Builder(directory, registry);
    }

    /** The largest entry data the log accepts: Chronicle's excerpt limit (blockSize/4) less our framing. */
    public int maxEntryBytes() {
        return (int) Math.min(Integer.MAX_VALUE, blockSize / 4 - RecordCodec.OVERHEAD_BYTES - 64);
    }

    /**
     * How many bytes of zeros a preallocated segment gets: the segment size plus 1/16 for the record that crosses
     * it and Chronicle's index arrays (anything beyond lands in a sparse hole: correct, only slower).
     */
    long preallocateBytes() {
        return segmentBytes + segmentBytes / 16;
    }

    /** A copy that reports to another registry. */
    public ChronicleLogOptions withRegistry(MeterRegistry other) {
        return new ChronicleLogOptions(directory, segmentBytes, blockSize, verifyOnOpen, tailerCacheSize, indexSpacing, preallocate,
                other, tags);
    }

    /** Builder with the defaults above. */
    public static final class Builder {
        private final Path directory;
        private final MeterRegistry registry;
        private long segmentBytes = DEFAULT_SEGMENT_BYTES;
        private long blockSize = DEFAULT_BLOCK_SIZE;
        private VerifyMode verifyOnOpen = VerifyMode.ALL_SEGMENTS;
        private int tailerCacheSize = 4;
        private int indexSpacing = 16;
        private boolean preallocate = false;
        private Tags tags = Tags.empty();

        private Builder(Path directory, MeterRegistry registry) {
            this.directory = directory;
            this.registry = registry;
        }

        public Builder segmentBytes(long v) {
            this.segmentBytes = v;
            return this;
        }

        public Builder blockSize(long v) {
            this.blockSize = v;
            return this;
        }

        public Builder verifyOnOpen(VerifyMode v) {
            this.verifyOnOpen = v;
            return this;
        }

        public Builder tailerCacheSize(int v) {
            this.tailerCacheSize = v;
            return this;
        }

        public Builder indexSpacing(int v) {
            this.indexSpacing = v;
            return this;
        }

        public Builder preallocate(boolean v) {
            this.preallocate = v;
            return this;
        }

        public Builder tags(Tags v) {
            this.tags = v;
            return this;
        }

        public ChronicleLogOptions build() {
            return new ChronicleLogOptions(directory, segmentBytes, blockSize, verifyOnOpen, tailerCacheSize, indexSpacing, preallocate,
                    registry, tags);
        }
    }
}
