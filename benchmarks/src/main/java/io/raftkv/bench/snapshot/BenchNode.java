package io.raftkv.bench.snapshot;

import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.core.RaftOptions;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftServerOptions;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.log.ChronicleLogOptions;
import io.raftkv.log.ChronicleLogStore;
import io.raftkv.log.FileSnapshotStore;
import io.raftkv.log.FileStableStore;
import io.raftkv.transport.netty.NettyTransport;
import io.raftkv.transport.netty.NettyTransportConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One server of the snapshot benchmark, wired like {@code kv-server}'s {@code ServerNode} minus HTTP: the Chronicle
 * log, {@link FileStableStore}, {@link FileSnapshotStore}, a state machine (KV or SQL) and the Netty transport on loopback.
 * Automatic snapshots are off: the benchmark takes them on demand, so it knows when one is in progress.
 */
final class BenchNode {
    static final String CLUSTER = "snapshot-bench";

    private BenchNode() {
    }

    /**
     * {@code -Dbench.snapshotDir=/mnt/other}: snapshots under {@code /mnt/other/<id>} instead of beside the log, to
     * measure what a separate device for snapshots does to the log's fsync latency.
     */
    private static Path snapshotDir(String id, Path dir) {
        String other = System.getProperty("bench.snapshotDir");
        return other == null ? dir.resolve("snapshots") : Path.of(other).resolve(id);
    }

    static RaftServer start(String id, Path dir, String raftAddress, Configuration bootstrap, StateMachine sm,
                            MeterRegistry registry) throws IOException {
        RaftServer server = RaftServer.builder(id)
                // The follower stays a learner: promoted, it would become half of a two-voter quorum that loses
                // its majority when the follower JVM exits.
                .raftOptions(RaftOptions.defaults().withAutoPromoteLearners(false, 100))
                .serverOptions(RaftServerOptions.defaults().withSnapshots(0, 10).withSnapshotBytes(0)
                        .withSnapshotWriteRate(Long.getLong("bench.writeRate",
                                RaftServerOptions.defaults().snapshotWriteBytesPerSecond()))
                        .withSnapshotTransfer(Integer.getInteger("bench.chunkBytes",
                                RaftServerOptions.defaults().snapshotChunkBytes()),
                                Integer.getInteger("bench.chunksInFlight",
                                        RaftServerOptions.defaults().snapshotChunksInFlight()), Duration.ofSeconds(10))
                        .withShutdownTimeout(Duration.ofSeconds(60)))
                .logStore(ChronicleLogStore.open(ChronicleLogOptions.builder(dir.resolve("log"), registry).build()))
                .stableStore(new FileStableStore(dir))
                .snapshotStore(new FileSnapshotStore(snapshotDir(id, dir), Integer.getInteger("bench.keep", 2),
                        Long.getLong("bench.syncEvery", FileSnapshotStore.DEFAULT_SYNC_EVERY_BYTES)))
                .stateMachine(sm)
                .transport(new NettyTransport(NettyTransportConfig.builder(id, CLUSTER, raftAddress).build(), registry))
                .bootstrap(bootstrap)
                .meterRegistry(registry)
                .build();
        server.start();
        return server;
    }
}
