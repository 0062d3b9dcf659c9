package io.raftkv.bench.cluster;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.NotLeaderException;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.server.OverloadedException;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.kv.KvCodec;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.log.ChronicleLogOptions;
import io.raftkv.log.ChronicleLogStore;
import io.raftkv.log.FileSnapshotStore;
import io.raftkv.log.FileStableStore;
import io.raftkv.transport.netty.NettyTransport;
import io.raftkv.transport.netty.NettyTransportConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Commit throughput of a real 3-node raftkv cluster inside one JVM: each node is a {@link RaftServer} with the
 * durable Chronicle log ({@link ChronicleLogStore}, an fsync per Raft turn), file hard state and snapshots, the
 * Netty transport on loopback (127.0.0.1, real TCP), and the KV state machine ({@link KvStateMachine}).
 * <p>An operation is one 100-byte {@code Put} on a random key of 100,000, proposed to the leader, and done when
 * the leader has committed it (a majority fsynced it) and applied it: what a client of the leader waits for,
 * minus HTTP. N proposer threads each keep one proposal outstanding (closed loop), so ops/s at 1, 16 and 64
 * proposers show how group commit and pipelining scale with concurrency: with one proposer the number is bound
 * by latency (about two fsyncs plus a round trip), with 64 by fsync bandwidth and CPU.
 * <p>All three nodes and the proposers share the machine's cores and one disk, which a real cluster would not;
 * on a 2-core machine read the numbers as a lower bound. Run: {@code java -jar benchmarks/target/benchmarks.jar
 * ClusterCommitBenchmark -rf json -rff cluster.json}, or this class's {@link #main} which writes
 * {@code cluster-commit.json}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true",
        "-Dchronicle.announcer.disable=true"})
public class ClusterCommitBenchmark {
    private static final int NODES = 3;
    private static final int KEYS = 100_000;
    private static final int VALUE_BYTES = 100;
    private static final long PROPOSE_TIMEOUT_MS = 10_000;

    private Path dir;
    private final List<RaftServer> servers = new ArrayList<>();
    /** The server that led when last looked at; proposers move on when it stops leading. */
    private volatile RaftServer leader;

    @Setup(Level.Trial)
    public void startCluster() throws Exception {
        dir = Files.createTempDirectory("raftkv-cluster-bench");
        List<String> ids = new ArrayList<>();
        List<Member> voters = new ArrayList<>();
        for (int i = 1; i <= NODES; i++) {
            ids.add("n" + i);
            voters.add(Member.voter("n" + i, "127.0.0.1:" + freePort()));
        }
        for (int i = 0; i < NODES; i++) {
            servers.add(startNode(ids.get(i), voters.get(i).address(), Configuration.ofVoters(voters)));
        }
        leader = awaitLeader(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    }

    private RaftServer startNode(String id, String address, Configuration bootstrap) throws IOException {
        Path home = dir.resolve(id);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ChronicleLogStore log = ChronicleLogStore.open(ChronicleLogOptions.builder(home.resolve("log"), registry)
                .tags(Tags.of("node", id)).build());
        RaftServer server = RaftServer.builder(id)
                .logStore(log)
                .stableStore(new FileStableStore(home))
                .snapshotStore(new FileSnapshotStore(home.resolve("snapshots"), 2))
                .stateMachine(new KvStateMachine())
                .transport(new NettyTransport(NettyTransportConfig.builder(id, "bench", address).build(), registry))
                .bootstrap(bootstrap)
                .meterRegistry(registry)
                .build();
        server.start();
        return server;
    }

    /** A port free right now; the transports bind it a moment later (a race other processes rarely win). */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** The server every node agrees leads, once they do. */
    private RaftServer awaitLeader(long deadlineNanos) throws InterruptedException {
        while (System.nanoTime() < deadlineNanos) {
            for (RaftServer s : servers) {
                RaftStatus st = s.status();
                if (st.isLeader() && servers.stream().allMatch(o -> s.id().equals(o.status().leaderId()))) {
                    return s;
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no leader within the deadline");
    }

    @TearDown(Level.Trial)
    public void stopCluster() throws IOException {
        for (RaftServer s : servers) {
            s.close();
        }
        servers.clear();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    @Threads(1)
    public byte[] proposers01() throws Exception {
        return putOnLeader();
    }

    @Benchmark
    @Threads(16)
    public byte[] proposers16() throws Exception {
        return putOnLeader();
    }

    @Benchmark
    @Threads(64)
    public byte[] proposers64() throws Exception {
        return putOnLeader();
    }

    /**
     * One Put, committed and applied on the leader. A leadership change in the middle (it should not happen on
     * an idle machine; it can on an overloaded one) is followed, and the Put is retried on the new leader.
     */
    private byte[] putOnLeader() throws Exception {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] key = ("k" + random.nextInt(KEYS)).getBytes(StandardCharsets.UTF_8);
        byte[] value = new byte[VALUE_BYTES];
        random.nextBytes(value);
        byte[] command = KvCodec.encodeCommand(new KvCommand.Put(key, value));
        while (true) {
            RaftServer target = leader;
            try {
                return target.propose(command).get(PROPOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof NotLeaderException) && !(e.getCause() instanceof OverloadedException)) {
                    throw e;
                }
                if (e.getCause() instanceof NotLeaderException) {
                    leader = awaitLeader(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
                } else {
                    Thread.sleep(1); // the leader's proposal budget is full: let it drain
                }
            } catch (TimeoutException e) {
                throw new IllegalStateException("no commit within " + PROPOSE_TIMEOUT_MS + " ms", e);
            }
        }
    }

    /** Runs the three variants and writes JMH's JSON result to {@code cluster-commit.json} (or args[0]). */
    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder()
                .include(ClusterCommitBenchmark.class.getSimpleName())
                .resultFormat(ResultFormatType.JSON)
                .result(args.length > 0 ? args[0] : "cluster-commit.json")
                .build()).run();
    }
}
