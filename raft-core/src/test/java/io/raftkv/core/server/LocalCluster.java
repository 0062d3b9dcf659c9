package io.raftkv.core.server;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.RaftOptions;
import io.raftkv.core.Role;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.VoteResponse;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemorySnapshotStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.core.transport.LocalNetwork;
import io.raftkv.core.transport.Transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An in-process cluster of {@link RaftServer}s (hashicorp's {@code MakeCluster} in spirit): in-memory stores that
 * survive a server restart, a {@link LocalNetwork}, and a {@link RegisterStateMachine} per server. Every message a
 * server sends passes a contract check: an AppendEntries acknowledgement only for entries already synced, a vote
 * only once it is saved (docs/design.md §3, durability contract). {@link #close()} fails the test on any violation and
 * checks that no thread was left behind.
 */
final class LocalCluster implements AutoCloseable {
    final LocalNetwork network = new LocalNetwork();
    final List<String> ids = new ArrayList<>();
    final Configuration configuration;
    final RaftOptions raftOptions = RaftOptions.defaults();
    final RaftServerOptions serverOptions;
    final Map<String, Journal.Log> logs = new LinkedHashMap<>();
    final Map<String, Journal.Stable> stables = new LinkedHashMap<>();
    final Map<String, InMemorySnapshotStore> snapshots = new LinkedHashMap<>();
    final Map<String, RegisterStateMachine> stateMachines = new LinkedHashMap<>();
    final Map<String, RaftServer> servers = new LinkedHashMap<>();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<String> violations = new CopyOnWriteArrayList<>();
    /** Each server's disk faults (a full, failing or hung disk under its log and hard state). */
    final Map<String, DiskFaults> disks = new LinkedHashMap<>();
    /**
     * Adjusts each server's {@link DiskOptions} (a 1 MiB reserve, polled every 10 ms, free space from its
     * {@link DiskFaults}); the stall timeout is a generous 5 s unless a test asks for less, so that a raft thread
     * starved of CPU on a loaded machine is not taken for a stalled disk.
     */
    volatile java.util.function.UnaryOperator<DiskOptions> diskTuning = d -> d;
    /** Outbound messages matching this are dropped (fault injection by message type). */
    volatile java.util.function.Predicate<RaftMessage> dropIf = m -> false;
    final Journal journal = new Journal();
    /** Trace sinks by server id, for servers (re)started from now on; none unless set. */
    final Map<String, io.raftkv.core.trace.TraceSink> traceSinks = new java.util.concurrent.ConcurrentHashMap<>();
    private final long seed;
    private int starts;

    LocalCluster(int size, long seed) {
        this(size, seed, RaftServerOptions.defaults().withTickInterval(Duration.ofMillis(50))
                .withReadTimeout(Duration.ofSeconds(1)).withShutdownTimeout(Duration.ofSeconds(5)));
    }

    LocalCluster(int size, long seed, RaftServerOptions serverOptions) {
        this.seed = seed;
        this.serverOptions = serverOptions;
        List<Member> members = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            String id = "n" + i;
            ids.add(id);
            members.add(Member.voter(id, ""));
            logs.put(id, journal.new Log(new InMemoryLogStore()));
            stables.put(id, journal.new Stable(new InMemoryStableStore()));
            snapshots.put(id, new InMemorySnapshotStore());
        }
        configuration = Configuration.ofVoters(members);
    }

    LocalCluster startAll() throws Exception {
        for (String id : ids) {
            start(id);
        }
        return this;
    }

    /**
     * Creates and starts a brand-new server with an empty bootstrap configuration: it waits, without campaigning,
     * to hear from the leader that adds it (the way a server joins a running cluster).
     */
    RaftServer addServer(String id) throws Exception {
        ids.add(id);
        logs.put(id, journal.new Log(new InMemoryLogStore()));
        stables.put(id, journal.new Stable(new InMemoryStableStore()));
        snapshots.put(id, new InMemorySnapshotStore());
        return start(id, Configuration.EMPTY);
    }

    /** (Re)starts {@code id} from its stores, with a fresh state machine that replays the log. */
    RaftServer start(String id) throws Exception {
        return start(id, configuration);
    }

    private RaftServer start(String id, Configuration bootstrap) throws Exception {
        RegisterStateMachine sm = new RegisterStateMachine();
        stateMachines.put(id, sm);
        DiskFaults faults = disks.computeIfAbsent(id, k -> new DiskFaults());
        DiskOptions disk = diskTuning.apply(DiskOptions.watching(Map.of(DiskOptions.LOG, java.nio.file.Path.of(id, "log")))
                .withReserveBytes(1 << 20).withPollInterval(Duration.ofMillis(10)).withStallTimeout(Duration.ofSeconds(5))
                .withProbe(faults.probe()));
        RaftServer server = RaftServer.builder(id)
                .raftOptions(raftOptions)
                .serverOptions(serverOptions)
                .logStore(faults.log(logs.get(id)))
                .stableStore(faults.stable(stables.get(id)))
                .disk(disk)
                .snapshotStore(snapshots.get(id))
                .stateMachine(sm)
                .transport(new ContractCheckingTransport(id, network.transport(id)))
                .bootstrap(bootstrap)
                .meterRegistry(registry)
                .random(new Random(seed * 31 + starts++))
                .traceSink(traceSinks.getOrDefault(id, io.raftkv.core.trace.TraceSink.NONE))
                .build();
        servers.put(id, server);
        server.start();
        return server;
    }

    RaftServer server(String id) {
        return servers.get(id);
    }

    /** Waits for a leader that every other running, connected server among {@code among} agrees on. */
    RaftServer awaitLeader(long timeoutMs, Collection<String> among) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (System.nanoTime() < deadline) {
            RaftServer leader = null;
            long leaderTerm = -1;
            for (String id : among) {
                RaftStatus s = servers.get(id).status();
                if (s.running() && s.role() == Role.LEADER && s.term() > leaderTerm) {
                    leader = servers.get(id);
                    leaderTerm = s.term();
                }
            }
            if (leader != null) {
                boolean agreed = true;
                for (String id : among) {
                    RaftStatus s = servers.get(id).status();
                    if (s.running() && !(s.term() == leaderTerm && leader.id().equals(s.leaderId()))) {
                        agreed = false;
                    }
                }
                if (agreed) {
                    return leader;
                }
            }
            Thread.sleep(10);
        }
        StringBuilder sb = new StringBuilder();
        for (String id : among) {
            sb.append(servers.get(id).status()).append('\n');
        }
        fail("no agreed leader among " + among + " within " + timeoutMs + " ms:\n" + sb);
        return null;
    }

    RaftServer awaitLeader() throws InterruptedException {
        return awaitLeader(10_000, ids);
    }

    List<RaftServer> followersOf(RaftServer leader) {
        List<RaftServer> out = new ArrayList<>();
        for (String id : ids) {
            if (!id.equals(leader.id())) {
                out.add(servers.get(id));
            }
        }
        return out;
    }

    /** Waits until every running server among {@code among} has applied the same register of {@code size} values. */
    void awaitConverged(int size, Collection<String> among) throws InterruptedException {
        ServerTestSupport.await(() -> among.stream().allMatch(id -> stateMachines.get(id).values().size() == size),
                10_000, "all of " + among + " applied " + size + " values");
        List<String> reference = stateMachines.get(among.iterator().next()).values();
        for (String id : among) {
            assertEquals(reference, stateMachines.get(id).values(), "state machine safety (§5.4.3) on " + id);
        }
    }

    void stop(String id) {
        servers.get(id).close();
    }

    @Override
    public void close() {
        for (RaftServer s : servers.values()) {
            s.close();
        }
        ServerTestSupport.assertNoThreadsOf(ids.toArray(new String[0]));
        if (!violations.isEmpty()) {
            fail("durability contract violated:\n" + String.join("\n", violations));
        }
    }

    Set<String> idsExcept(String id) {
        Set<String> out = new java.util.TreeSet<>(ids);
        out.remove(id);
        return out;
    }

    /**
     * Checks, as each message leaves, what must already be durable (docs/design.md §3): a successful AppendEntries
     * response only for entries the sender has synced (§5.3), a granted vote only once term and vote are saved
     * (§5.2).
     */
    private final class ContractCheckingTransport extends ForwardingTransport {
        private final String id;

        ContractCheckingTransport(String id, Transport delegate) {
            super(delegate);
            this.id = id;
        }

        @Override
        public void sendAll(List<RaftMessage> messages) {
            messages.forEach(this::send); // each message is checked as it leaves
        }

        @Override
        public void send(RaftMessage m) {
            if (m instanceof AppendEntriesResponse r && r.success() && r.matchIndex() > logs.get(id).syncedIndex()) {
                violations.add(id + " acknowledged up to " + r.matchIndex() + " but synced only up to "
                        + logs.get(id).syncedIndex() + ": " + r);
            }
            if (m instanceof VoteResponse r && r.granted() && !r.preVote()) {
                var saved = stables.get(id).saved;
                if (saved.currentTerm() != r.term() || !r.to().equals(saved.votedFor())) {
                    violations.add(id + " granted a vote before saving it: " + r + " saved=" + saved);
                }
            }
            if (!dropIf.test(m)) {
                delegate().send(m);
            }
        }
    }
}
