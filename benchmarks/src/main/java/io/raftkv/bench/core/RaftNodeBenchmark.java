package io.raftkv.bench.core;

import io.raftkv.core.RaftNode;
import io.raftkv.core.RaftOptions;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.SnapshotMeta;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The algorithm's own cost: proposals per second through {@link RaftNode}s with in-memory storage and
 * synchronous in-process message delivery — no disk, no network, no threads. Each invocation proposes
 * {@value #BATCH} commands of {@code valueSize} bytes at the leader and pumps Ready/step until all of them are
 * committed and applied on every node ({@code nodes} = 1 or 3). The gap between this and the cluster benchmarks
 * is what storage, network and threads cost.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RaftNodeBenchmark {

    static final int BATCH = 64;

    @Param({"1", "3"})
    int nodes;

    @Param({"100"})
    int valueSize;

    private final Map<String, RaftNode> cluster = new LinkedHashMap<>();
    private final Map<String, InMemoryLogStore> logs = new LinkedHashMap<>();
    private final ArrayDeque<RaftMessage> inFlight = new ArrayDeque<>();
    private RaftNode leader;
    private byte[] value;
    private long applied;

    @Setup(Level.Trial)
    public void setUp() throws java.io.IOException {
        String[] ids = new String[nodes];
        for (int i = 0; i < nodes; i++) {
            ids[i] = "n" + (i + 1);
        }
        Configuration conf = Configuration.ofVoterIds(ids);
        for (String id : ids) {
            InMemoryLogStore log = new InMemoryLogStore();
            logs.put(id, log);
            cluster.put(id, new RaftNode(id, RaftOptions.defaults(), log, HardState.INITIAL, SnapshotMeta.NONE, conf,
                    new Random(id.hashCode())));
        }
        leader = cluster.get("n1");
        leader.campaign();
        pump();
        if (leader.role() != Role.LEADER) {
            throw new IllegalStateException("n1 did not become leader");
        }
        value = new byte[valueSize];
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long proposeAndCommit() throws java.io.IOException {
        long target = leader.lastLogIndex() + BATCH;
        for (int i = 0; i < BATCH; i++) {
            leader.propose(value);
        }
        while (leader.commitIndex() < target || !inFlight.isEmpty()) {
            pump();
        }
        return applied;
    }

    /** One round of the driver contract for every node, then deliver everything queued. */
    private void pump() throws java.io.IOException {
        do {
            for (Map.Entry<String, RaftNode> e : cluster.entrySet()) {
                RaftNode n = e.getValue();
                while (n.hasReady()) {
                    Ready rd = n.ready();
                    inFlight.addAll(rd.earlyMessages());
                    InMemoryLogStore log = logs.get(e.getKey());
                    log.appendReplacing(rd.entries());
                    log.sync();
                    inFlight.addAll(rd.messages());
                    applied += rd.committedEntries().size();
                    n.advance(rd);
                }
            }
            RaftMessage m;
            while ((m = inFlight.poll()) != null) {
                cluster.get(m.to()).step(m);
            }
        } while (anyReady());
    }

    private boolean anyReady() {
        for (RaftNode n : cluster.values()) {
            if (n.hasReady()) {
                return true;
            }
        }
        return false;
    }
}
