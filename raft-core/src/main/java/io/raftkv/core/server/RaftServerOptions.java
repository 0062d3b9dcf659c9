package io.raftkv.core.server;

import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of the driver (the algorithm's own knobs are in {@link io.raftkv.core.RaftOptions}). Every knob, its
 * default, and what it trades:
 *
 * <table>
 *   <caption>RaftServer options</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>tickInterval</td><td>50 ms</td><td>wall-clock length of one logical tick. With the default
 *       {@code electionTimeoutTicks} of 10 the election timeout is 0.5–1 s. Shorter: faster failover, more
 *       heartbeat traffic and more spurious elections under GC pauses or a slow disk.</td></tr>
 *   <tr><td>maxPendingProposals</td><td>4096</td><td>proposals accepted but not yet completed. Beyond it
 *       {@link RaftServer#propose} fails at once with {@link OverloadedException}. Higher: more throughput
 *       headroom under bursts, more memory and longer queues (latency) when the cluster is slow.</td></tr>
 *   <tr><td>maxPendingBytes</td><td>64 MiB</td><td>bytes of commands accepted but not yet completed; a single
 *       command larger than this is rejected outright.</td></tr>
 *   <tr><td>maxPendingReads</td><td>4096</td><td>linearizable/lease reads waiting for a read index or for the
 *       state machine to catch up.</td></tr>
 *   <tr><td>maxQueuedMessages</td><td>16384</td><td>inbound Raft messages waiting for the raft thread. Beyond it
 *       messages are dropped (Raft retransmits; the transport contract allows loss) instead of queueing without
 *       bound behind a slow disk.</td></tr>
 *   <tr><td>applyBatchSize</td><td>256</td><td>entries the apply thread applies before it publishes the applied
 *       index and serves waiting reads. Lower: read latency; higher: fewer volatile writes.</td></tr>
 *   <tr><td>readTimeout</td><td>5 s</td><td>a linearizable read whose read index never arrives (leader lost,
 *       message dropped) fails with {@link io.raftkv.core.NotLeaderException} after this long, one whose read
 *       index is not applied by then (a follower cut off after it got the index) with a
 *       {@link java.util.concurrent.TimeoutException}; reads are safe to retry.</td></tr>
 *   <tr><td>shutdownTimeout</td><td>10 s</td><td>how long {@link RaftServer#close} waits for each thread to
 *       finish its current work (an in-flight fsync, an apply) before giving up on it.</td></tr>
 *   <tr><td>snapshotThreshold</td><td>100,000</td><td>(etcd's default snapshot count) take a snapshot once this many
 *       entries were applied since the
 *       last one (§7); 0 disables this trigger (with {@code snapshotBytesThreshold} 0 as well, snapshots are taken
 *       only on demand, {@link RaftServer#takeSnapshot()}). Lower: shorter logs, faster restarts, more snapshot
 *       I/O.</td></tr>
 *   <tr><td>snapshotBytesThreshold</td><td>64 MiB</td><td>also take a snapshot once the commands applied since the
 *       last one add up to this many bytes (entry payloads), whichever of the two thresholds comes first; 0
 *       disables this trigger. Bounds the log's disk use when entries are large, where a count alone would not.
 *       </td></tr>
 *   <tr><td>snapshotWriteBytesPerSecond</td><td>30 MB/s</td><td>paces the writing of snapshots taken here
 *       to this many bytes per second while the log is busy (a sync of entries in flight or ended in the last
 *       200 ms); while the log
 *       is idle a snapshot is written flat out (0: never paced). A snapshot written flat out keeps the disk busy,
 *       and the log's fsyncs (the write path) queue behind its flushes; under a write load pacing trades a longer
 *       snapshot (3.7 s for 112 MB instead of 0.4 s) for lower write latency meanwhile (benchmarks/README.md,
 *       "Snapshots").</td></tr>
 *   <tr><td>snapshotTrailingEntries</td><td>1024</td><td>entries kept in the log behind a snapshot, so a follower
 *       that is slightly behind gets entries instead of a whole snapshot.</td></tr>
 *   <tr><td>snapshotChunkBytes</td><td>1 MiB</td><td>bytes per InstallSnapshot chunk.</td></tr>
 *   <tr><td>snapshotChunksInFlight</td><td>3</td><td>chunks sent to one follower ahead of its answers (flow
 *       control: the sender never has more than this many unanswered). 1 makes the transfer rate one chunk per
 *       round trip (including a turn of each raft thread); more keeps the follower's disk busy while answers
 *       travel, at the cost of that many chunks in the transport's buffers. Keep {@code snapshotChunksInFlight x
 *       snapshotChunkBytes} below the transport's per-peer write-buffer high-water mark (the Netty transport's
 *       default is 4 MiB), with room for heartbeats: a transport over it drops the chunk (and the heartbeats)
 *       instead of queueing it, and the transfer goes back for it.</td></tr>
 *   <tr><td>snapshotTimeout</td><td>10 s</td><td>a snapshot transfer with no answer for this long is abandoned;
 *       the leader retries later, resuming where the follower says it stopped.</td></tr>
 * </table>
 */
public record RaftServerOptions(Duration tickInterval, int maxPendingProposals, long maxPendingBytes,
                                int maxPendingReads, int maxQueuedMessages, int applyBatchSize,
                                Duration readTimeout, Duration shutdownTimeout, long snapshotThreshold,
                                long snapshotTrailingEntries, int snapshotChunkBytes, Duration snapshotTimeout,
                                long snapshotBytesThreshold, long snapshotWriteBytesPerSecond,
                                int snapshotChunksInFlight) {

    /** Default of {@code snapshotWriteBytesPerSecond} (a constant, so a CLI can show it). */
    public static final long DEFAULT_SNAPSHOT_WRITE_RATE = 30_000_000L;

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

    public static RaftServerOptions defaults() {
        return new RaftServerOptions(Duration.ofMillis(50), 4096, 64L << 20, 4096, 16384, 256,
                Duration.ofSeconds(5), Duration.ofSeconds(10), 100_000, 1024, 1 << 20, Duration.ofSeconds(10), 64L << 20,
                DEFAULT_SNAPSHOT_WRITE_RATE, 3);
    }

    public RaftServerOptions withTickInterval(Duration d) {
        return new RaftServerOptions(d, maxPendingProposals, maxPendingBytes, maxPendingReads, maxQueuedMessages,
                applyBatchSize, readTimeout, shutdownTimeout, snapshotThreshold,
                snapshotTrailingEntries, snapshotChunkBytes, snapshotTimeout, snapshotBytesThreshold,
                snapshotWriteBytesPerSecond, snapshotChunksInFlight);
    }

    public RaftServerOptions withMaxPending(int proposals, long bytes) {
        return new RaftServerOptions(tickInterval, proposals, bytes, maxPendingReads, maxQueuedMessages,
                applyBatchSize, readTimeout, shutdownTimeout, snapshotThreshold,
                snapshotTrailingEntries, snapshotChunkBytes, snapshotTimeout, snapshotBytesThreshold,
                snapshotWriteBytesPerSecond, snapshotChunksInFlight);
    }

    public RaftServerOptions withMaxPendingReads(int reads) {
        return new RaftServerOptions(tickInterval, maxPendingProposals, maxPendingBytes, reads, maxQueuedMessages,
                applyBatchSize, readTimeout, shutdownTimeout, snapshotThreshold,
                snapshotTrailingEntries, snapshotChunkBytes, snapshotTimeout, snapshotBytesThreshold,
                snapshotWriteBytesPerSecond, snapshotChunksInFlight);
    }

    public RaftServerOptions withMaxQueuedMessages(int messages) {
        return new RaftServerOptions(tickInterval, maxPendingProposals, maxPendingBytes, maxPendingReads, messages,
                applyBatchSize, readTimeout, shutdownTimeout, snapshotThreshold,
                snapshotTrailingEntries, snapshotChunkBytes, snapshotTimeout, snapshotBytesThreshold,
                snapshotWriteBytesPerSecond, snapshotChunksInFlight);
    }

    public RaftServerOptions withApplyBatchSize(int entries) {
        return new RaftServerOptions(tickInterval, maxPendingProposals, maxPendingBytes, maxPendingReads,
                maxQueuedMessages, entries, readTimeout, shutdownTimeout, snapshotThreshold,
                snapshotTrailingEntries, snapshotChunkBytes, snapshotTimeout, snapshotBytesThreshold,
                snapshotWriteBytesPerSecond, snapshotChunksInFlight);
    }

    public RaftServerOptions withReadTimeout(Duration d) {
        return new RaftServerOptions(tickInterval, maxPendingProposals, maxPendingBytes, maxPendingReads,
                maxQueuedMessages, applyBatchSize, d, shutdownTimeout, snapshotThreshold, snapshotTrailingEntries,
                snapshotChunkBytes, snapshotTimeout, snapshotBytesThreshold,
                snapshotWriteBytesPerSecond, snapshotChunksInFlight);
    }

    /**
     * Snapshot every {@code threshold} applied entries (0: no count trigger) and keep {@code trailing} entries
     * behind it.
     */
    public RaftServerOptions withSnapshots(long threshold, long trailing) {
        return new RaftServerOptions(tickInterval, maxPendingProposals, maxPendingBytes, maxPendingReads,
                maxQueuedMessages, applyBatchSize, readTimeout, shutdownTimeout, threshold, trailing,
                snapshotChunkBytes, snapshotTimeout, snapshotBytesThreshold,
                snapshotWriteBytesPerSecond, snapshotChunksInFlight);
    }

    /**
     * Also snapshot once the commands applied since the last snapshot add up to {@code bytes} payload bytes
     * (0: no byte trigger).
     */
    public RaftServerOptions withSnapshotBytes(long bytes) {
        return new RaftServerOptions(tickInterval, maxPendingProposals, maxPendingBytes, maxPendingReads,
                maxQueuedMessages, applyBatchSize, readTimeout, shutdownTimeout, snapshotThreshold,
                snapshotTrailingEntries, snapshotChunkBytes, snapshotTimeout, bytes, snapshotWriteBytesPerSecond, snapshotChunksInFlight);
    }

    /** Paces writing snapshots taken here to {@code bytesPerSecond} (0: as fast as the disk goes). */
    public RaftServerOptions withSnapshotWriteRate(long bytesPerSecond) {
        return new RaftServerOptions(tickInterval, maxPendingProposals, maxPendingBytes, maxPendingReads,
                maxQueuedMessages, applyBatchSize, readTimeout, shutdownTimeout, snapshotThreshold,
                snapshotTrailingEntries, snapshotChunkBytes, snapshotTimeout, snapshotBytesThreshold, bytesPerSecond, snapshotChunksInFlight);
    }

    public RaftServerOptions withSnapshotTransfer(int chunkBytes, Duration timeout) {
        return withSnapshotTransfer(chunkBytes, snapshotChunksInFlight, timeout);
    }

    /** InstallSnapshot in {@code chunkBytes} chunks, up to {@code chunksInFlight} unanswered per follower. */
    public RaftServerOptions withSnapshotTransfer(int chunkBytes, int chunksInFlight, Duration timeout) {
        return new RaftServerOptions(tickInterval, maxPendingProposals, maxPendingBytes, maxPendingReads,
                maxQueuedMessages, applyBatchSize, readTimeout, shutdownTimeout, snapshotThreshold,
                snapshotTrailingEntries, chunkBytes, timeout, snapshotBytesThreshold, snapshotWriteBytesPerSecond,
                chunksInFlight);
    }

    public RaftServerOptions withShutdownTimeout(Duration d) {
        return new RaftServerOptions(tickInterval, maxPendingProposals, maxPendingBytes, maxPendingReads,
                maxQueuedMessages, applyBatchSize, readTimeout, d, snapshotThreshold, snapshotTrailingEntries,
                snapshotChunkBytes, snapshotTimeout, snapshotBytesThreshold,
                snapshotWriteBytesPerSecond, snapshotChunksInFlight);
    }
}
