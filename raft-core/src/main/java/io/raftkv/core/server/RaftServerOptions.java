package io.raftkv.core.server;

import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of the driver (the algorithm's own knobs are in {@link io.raftkv.core.RaftOptions}). Each option's default
 * is the {@code DEFAULT_} constant named after it, documented there with what the option trades.
 *
 * <pre>{@code
 * RaftServerOptions options = RaftServerOptions.builder()
 *         .tickInterval(Duration.ofMillis(20))
 *         .snapshotThreshold(10_000)
 *         .build();
 * RaftServerOptions tweaked = options.toBuilder().readTimeout(Duration.ofSeconds(2)).build();
 * }</pre>
 */
public record RaftServerOptions(Duration tickInterval, int maxPendingProposals, long maxPendingBytes,
                                int maxPendingReads, int maxQueuedMessages, int applyBatchSize,
                                Duration readTimeout, Duration shutdownTimeout, long snapshotThreshold,
                                long snapshotTrailingEntries, int snapshotChunkBytes, Duration snapshotTimeout,
                                long snapshotBytesThreshold, long snapshotWriteBytesPerSecond,
                                int snapshotChunksInFlight) {

    /**
     * Wall-clock length of one logical tick. With the default {@code electionTimeoutTicks} of 10 the election timeout
     * is 0.5–1 s. Shorter: faster failover, more heartbeat traffic and more spurious elections under GC pauses or a
     * slow disk.
     */
    public static final Duration DEFAULT_TICK_INTERVAL = Duration.ofMillis(50);
    /**
     * Proposals accepted but not yet completed. Beyond it {@link RaftServer#propose} fails at once with
     * {@link OverloadedException}. Higher: more throughput headroom under bursts, more memory and longer queues
     * (latency) when the cluster is slow.
     */
    public static final int DEFAULT_MAX_PENDING_PROPOSALS = 4096;
    /** Bytes of commands accepted but not yet completed (64 MiB); a single command larger than this is rejected. */
    public static final long DEFAULT_MAX_PENDING_BYTES = 64L << 20;
    /** Linearizable/lease reads waiting for a read index or for the state machine to catch up. */
    public static final int DEFAULT_MAX_PENDING_READS = 4096;
    /**
     * Inbound Raft messages waiting for the raft thread. Beyond it messages are dropped (Raft retransmits; the
     * transport contract allows loss) instead of queueing without bound behind a slow disk.
     */
    public static final int DEFAULT_MAX_QUEUED_MESSAGES = 16384;
    /**
     * Entries the apply thread applies before it publishes the applied index and serves waiting reads. Lower: read
     * latency; higher: fewer volatile writes.
     */
    public static final int DEFAULT_APPLY_BATCH_SIZE = 256;
    /**
     * A linearizable read whose read index never arrives (leader lost, message dropped) fails with
     * {@link io.raftkv.core.NotLeaderException} after this long, one whose read index is not applied by then (a
     * follower cut off after it got the index) with a {@link java.util.concurrent.TimeoutException}; reads are safe
     * to retry.
     */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(5);
    /**
     * How long {@link RaftServer#close} waits for each thread to finish its current work (an in-flight fsync, an
     * apply) before giving up on it.
     */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
    /**
     * (etcd's default snapshot count) Take a snapshot once this many entries were applied since the last one (§7); 0
     * disables this trigger (with {@code snapshotBytesThreshold} 0 as well, snapshots are taken only on demand,
     * {@link RaftServer#takeSnapshot()}). Lower: shorter logs, faster restarts, more snapshot I/O.
     */
    public static final long DEFAULT_SNAPSHOT_THRESHOLD = 100_000;
    /**
     * Also take a snapshot once the commands applied since the last one add up to this many bytes (entry payloads,
     * 64 MiB), whichever of the two thresholds comes first; 0 disables this trigger. Bounds the log's disk use when
     * entries are large, where a count alone would not.
     */
    public static final long DEFAULT_SNAPSHOT_BYTES_THRESHOLD = 64L << 20;
    /**
     * Default of {@code snapshotWriteBytesPerSecond}. Paces the writing of snapshots taken here to this many bytes per second (30 MB/s) while the log is busy (a
     * sync of entries in flight or ended in the last 200 ms); while the log is idle a snapshot is written flat out (0:
     * never paced). A snapshot written flat out keeps the disk busy, and the log's fsyncs (the write path) queue
     * behind its flushes; under a write load pacing trades a longer snapshot (3.7 s for 112 MB instead of 0.4 s) for
     * lower write latency meanwhile (benchmarks/README.md, "Snapshots").
     */
    public static final long DEFAULT_SNAPSHOT_WRITE_RATE = 30_000_000L;
    /**
     * Entries kept in the log behind a snapshot, so a follower that is slightly behind gets entries instead of a
     * whole snapshot.
     */
    public static final long DEFAULT_SNAPSHOT_TRAILING_ENTRIES = 1024;
    /** Bytes per InstallSnapshot chunk (1 MiB). */
    public static final int DEFAULT_SNAPSHOT_CHUNK_BYTES = 1 << 20;
    /**
     * Chunks sent to one follower ahead of its answers (flow control: the sender never has more than this many
     * unanswered). 1 makes the transfer rate one chunk per round trip (including a turn of each raft thread); more
     * keeps the follower's disk busy while answers travel, at the cost of that many chunks in the transport's
     * buffers. Keep {@code snapshotChunksInFlight x snapshotChunkBytes} below the transport's per-peer write-buffer
     * high-water mark (the Netty transport's default is 4 MiB), with room for heartbeats: a transport over it drops
     * the chunk (and the heartbeats) instead of queueing it, and the transfer goes back for it.
     */
    public static final int DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT = 3;
    /**
     * A snapshot transfer with no answer for this long is abandoned; the leader retries later, resuming where the
     * follower says it stopped.
     */
    public static final Duration DEFAULT_SNAPSHOT_TIMEOUT = Duration.ofSeconds(10);

    public RaftServerOptions {
        Objects.requireNonNull(tickInterval, "tickInterval");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        if (tickInterval.toMillis() < 1) {
            throw new IllegalArgumentException("tickInterval must be at least 1 ms, got " + tickInterval);
        }
        if (maxPendingProposals < 1 || maxPendingBytes < 1 || maxPendingReads < 1 || maxQueuedMessages < 1) {
            throw new IllegalArgumentException("pending/queue bounds must be positive");
        }
        if (applyBatchSize < 1) {
            throw new IllegalArgumentException("applyBatchSize must be positive, got " + applyBatchSize);
        }
        if (readTimeout.isNegative() || readTimeout.isZero() || shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        Objects.requireNonNull(snapshotTimeout, "snapshotTimeout");
        if (snapshotThreshold < 0 || snapshotTrailingEntries < 0 || snapshotBytesThreshold < 0
                || snapshotWriteBytesPerSecond < 0) {
            throw new IllegalArgumentException("snapshot thresholds and trailing entries must be >= 0");
        }
        if (snapshotChunkBytes < 1 || snapshotChunksInFlight < 1 || snapshotTimeout.isNegative()
                || snapshotTimeout.isZero()) {
            throw new IllegalArgumentException("snapshotChunkBytes, snapshotChunksInFlight and snapshotTimeout must be"
                    + " positive");
        }
    }

    /** Every option at its default. */
    public static RaftServerOptions defaults() {
        return builder().build();
    }

    /** A builder that starts from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these options. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    public RaftServerOptions withTickInterval(Duration d) {
        return toBuilder().tickInterval(d).build();
    }

    public RaftServerOptions withMaxPending(int proposals, long bytes) {
        return toBuilder().maxPendingProposals(proposals).maxPendingBytes(bytes).build();
    }

    public RaftServerOptions withMaxPendingReads(int reads) {
        return toBuilder().maxPendingReads(reads).build();
    }

    public RaftServerOptions withMaxQueuedMessages(int messages) {
        return toBuilder().maxQueuedMessages(messages).build();
    }

    public RaftServerOptions withApplyBatchSize(int entries) {
        return toBuilder().applyBatchSize(entries).build();
    }

    public RaftServerOptions withReadTimeout(Duration d) {
        return toBuilder().readTimeout(d).build();
    }

    /**
     * Snapshot every {@code threshold} applied entries (0: no count trigger) and keep {@code trailing} entries
     * behind it.
     */
    public RaftServerOptions withSnapshots(long threshold, long trailing) {
        return toBuilder().snapshotThreshold(threshold).snapshotTrailingEntries(trailing).build();
    }

    /**
     * Also snapshot once the commands applied since the last snapshot add up to {@code bytes} payload bytes
     * (0: no byte trigger).
     */
    public RaftServerOptions withSnapshotBytes(long bytes) {
        return toBuilder().snapshotBytesThreshold(bytes).build();
    }

    /** Paces writing snapshots taken here to {@code bytesPerSecond} (0: as fast as the disk goes). */
    public RaftServerOptions withSnapshotWriteRate(long bytesPerSecond) {
        return toBuilder().snapshotWriteBytesPerSecond(bytesPerSecond).build();
    }

    public RaftServerOptions withSnapshotTransfer(int chunkBytes, Duration timeout) {
        return toBuilder().snapshotChunkBytes(chunkBytes).snapshotTimeout(timeout).build();
    }

    /** InstallSnapshot in {@code chunkBytes} chunks, up to {@code chunksInFlight} unanswered per follower. */
    public RaftServerOptions withSnapshotTransfer(int chunkBytes, int chunksInFlight, Duration timeout) {
        return toBuilder().snapshotChunkBytes(chunkBytes).snapshotChunksInFlight(chunksInFlight)
                .snapshotTimeout(timeout).build();
    }

    public RaftServerOptions withShutdownTimeout(Duration d) {
        return toBuilder().shutdownTimeout(d).build();
    }

    /**
     * Builds {@link RaftServerOptions} one option at a time; {@link #build()} checks them together. Each setter is
     * named after the option (see the {@code DEFAULT_} constants for what each means).
     */
    public static final class Builder {
        private Duration tickInterval = DEFAULT_TICK_INTERVAL;
        private int maxPendingProposals = DEFAULT_MAX_PENDING_PROPOSALS;
        private long maxPendingBytes = DEFAULT_MAX_PENDING_BYTES;
        private int maxPendingReads = DEFAULT_MAX_PENDING_READS;
        private int maxQueuedMessages = DEFAULT_MAX_QUEUED_MESSAGES;
        private int applyBatchSize = DEFAULT_APPLY_BATCH_SIZE;
        private Duration readTimeout = DEFAULT_READ_TIMEOUT;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private long snapshotThreshold = DEFAULT_SNAPSHOT_THRESHOLD;
        private long snapshotTrailingEntries = DEFAULT_SNAPSHOT_TRAILING_ENTRIES;
        private int snapshotChunkBytes = DEFAULT_SNAPSHOT_CHUNK_BYTES;
        private Duration snapshotTimeout = DEFAULT_SNAPSHOT_TIMEOUT;
        private long snapshotBytesThreshold = DEFAULT_SNAPSHOT_BYTES_THRESHOLD;
        private long snapshotWriteBytesPerSecond = DEFAULT_SNAPSHOT_WRITE_RATE;
        private int snapshotChunksInFlight = DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT;

        private Builder() {
        }

        private Builder(RaftServerOptions o) {
            tickInterval = o.tickInterval;
            maxPendingProposals = o.maxPendingProposals;
            maxPendingBytes = o.maxPendingBytes;
            maxPendingReads = o.maxPendingReads;
            maxQueuedMessages = o.maxQueuedMessages;
            applyBatchSize = o.applyBatchSize;
            readTimeout = o.readTimeout;
            shutdownTimeout = o.shutdownTimeout;
            snapshotThreshold = o.snapshotThreshold;
            snapshotTrailingEntries = o.snapshotTrailingEntries;
            snapshotChunkBytes = o.snapshotChunkBytes;
            snapshotTimeout = o.snapshotTimeout;
            snapshotBytesThreshold = o.snapshotBytesThreshold;
            snapshotWriteBytesPerSecond = o.snapshotWriteBytesPerSecond;
            snapshotChunksInFlight = o.snapshotChunksInFlight;
        }

        public Builder tickInterval(Duration d) {
            this.tickInterval = d;
            return this;
        }

        public Builder maxPendingProposals(int proposals) {
            this.maxPendingProposals = proposals;
            return this;
        }

        public Builder maxPendingBytes(long bytes) {
            this.maxPendingBytes = bytes;
            return this;
        }

        public Builder maxPendingReads(int reads) {
            this.maxPendingReads = reads;
            return this;
        }

        public Builder maxQueuedMessages(int messages) {
            this.maxQueuedMessages = messages;
            return this;
        }

        public Builder applyBatchSize(int entries) {
            this.applyBatchSize = entries;
            return this;
        }

        public Builder readTimeout(Duration d) {
            this.readTimeout = d;
            return this;
        }

        public Builder shutdownTimeout(Duration d) {
            this.shutdownTimeout = d;
            return this;
        }

        public Builder snapshotThreshold(long entries) {
            this.snapshotThreshold = entries;
            return this;
        }

        public Builder snapshotTrailingEntries(long entries) {
            this.snapshotTrailingEntries = entries;
            return this;
        }

        public Builder snapshotChunkBytes(int bytes) {
            this.snapshotChunkBytes = bytes;
            return this;
        }

        public Builder snapshotTimeout(Duration d) {
            this.snapshotTimeout = d;
            return this;
        }

        public Builder snapshotBytesThreshold(long bytes) {
            this.snapshotBytesThreshold = bytes;
            return this;
        }

        public Builder snapshotWriteBytesPerSecond(long bytesPerSecond) {
            this.snapshotWriteBytesPerSecond = bytesPerSecond;
            return this;
        }

        public Builder snapshotChunksInFlight(int chunks) {
            this.snapshotChunksInFlight = chunks;
            return this;
        }

        /** @throws IllegalArgumentException if an option is out of range; NullPointerException if a duration is null */
        public RaftServerOptions build() {
            return new RaftServerOptions(tickInterval, maxPendingProposals, maxPendingBytes, maxPendingReads,
                    maxQueuedMessages, applyBatchSize, readTimeout, shutdownTimeout, snapshotThreshold,
                    snapshotTrailingEntries, snapshotChunkBytes, snapshotTimeout, snapshotBytesThreshold,
                    snapshotWriteBytesPerSecond, snapshotChunksInFlight);
        }
    }
}
