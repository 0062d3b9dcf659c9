package io.raftkv.core;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.core.storage.SnapshotMeta;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A tiny hand-driven cluster for paper tests (etcd's raft_paper_test style): messages are queued, not delivered,
 * until the test says so; {@link #stabilize()} delivers until nothing moves. The full fault-injecting simulator
 * lives in raft-sim.
 */
final class TestCluster {

    final Map<String, RaftNode> nodes = new LinkedHashMap<>();
    final Map<String, InMemoryLogStore> logs = new LinkedHashMap<>();
    final Map<String, InMemoryStableStore> stables = new LinkedHashMap<>();
    final Map<String, List<LogEntry>> applied = new LinkedHashMap<>();
    final Map<String, List<ReadState>> reads = new LinkedHashMap<>();
    /** Answers to each node's forwarded batches, in order. */
    final Map<String, List<ForwardResult>> forwards = new LinkedHashMap<>();
    final ArrayDeque<RaftMessage> inFlight = new ArrayDeque<>();
    final Set<String> isolated = new HashSet<>();
    /** Every message delivered by {@link #stabilize()}, in order. */
    final List<RaftMessage> delivered = new ArrayList<>();
    final Configuration configuration;
    final RaftOptions options;

    TestCluster(RaftOptions options, String... ids) {
        this(options, Configuration.ofVoterIds(ids));
    }

    /** A cluster bootstrapped with {@code configuration} (it may be joint): one node per member. */
    TestCluster(RaftOptions options, Configuration configuration) {
        this.options = options;
        this.configuration = configuration;
        long seed = 1;
        for (String id : configuration.allIds()) {
            InMemoryLogStore log = new InMemoryLogStore();
            InMemoryStableStore stable = new InMemoryStableStore();
            logs.put(id, log);
            stables.put(id, stable);
            applied.put(id, new ArrayList<>());
            reads.put(id, new ArrayList<>());
            forwards.put(id, new ArrayList<>());
            nodes.put(id, new RaftNode(id, options, log, stable.load(), SnapshotMeta.NONE, configuration,
                    new Random(seed++)));
        }
    }

    TestCluster(String... ids) {
        this(RaftOptions.defaults(), ids);
    }

    /** Starts a brand-new server with an empty log and no configuration (it learns one from the leader). */
    RaftNode addNode(String id) {
        InMemoryLogStore log = new InMemoryLogStore();
        InMemoryStableStore stable = new InMemoryStableStore();
        logs.put(id, log);
        stables.put(id, stable);
        applied.put(id, new ArrayList<>());
        reads.put(id, new ArrayList<>());
        forwards.put(id, new ArrayList<>());
        RaftNode n = new RaftNode(id, options, log, stable.load(), SnapshotMeta.NONE, Configuration.EMPTY,
                new Random(id.hashCode()));
        nodes.put(id, n);
        return n;
    }

    RaftNode node(String id) {
        return nodes.get(id);
    }

    /** Crashes and restarts {@code id} from what its stores hold (a clean crash: everything was synced). */
    RaftNode restart(String id) {
        RaftNode n = new RaftNode(id, options, logs.get(id), stables.get(id).load(), SnapshotMeta.NONE, configuration,
                new Random(id.hashCode() + 7));
        nodes.put(id, n);
        return n;
    }

    /** Processes every node's Ready (persist, queue messages, record applied entries). */
    void processReadies() {
        processReadiesExcept(null);
    }

    /** Snapshots each node installed, in order. */
    final Map<String, List<Ready.SnapshotInstall>> installed = new LinkedHashMap<>();
    /** Peers each leader asked to send a snapshot to. */
    final List<String> snapshotRequests = new ArrayList<>();

    private void installSnapshot(String id, Ready rd) {
        snapshotRequests.addAll(rd.snapshotsToSend());
        if (rd.snapshotToInstall() != null) {
            installed.computeIfAbsent(id, k -> new ArrayList<>()).add(rd.snapshotToInstall());
            if (rd.snapshotToInstall().discardLog()) {
                SnapshotMeta meta = rd.snapshotToInstall().meta();
                logs.get(id).reset(meta.lastIncludedIndex(), meta.lastIncludedTerm());
                logs.get(id).sync();
            }
        }
    }

    /** Persists a Ready's hard state and entries the way a driver would (without advancing the node). */
    void persist(String id, Ready rd) {
        if (rd.hardState() != null) {
            stables.get(id).save(rd.hardState());
        }
        installSnapshot(id, rd);
        try {
            logs.get(id).appendReplacing(rd.entries());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // the in-memory store never throws
        }
        logs.get(id).sync();
        applied.get(id).addAll(rd.committedEntries());
        reads.get(id).addAll(rd.readStates());
        forwards.get(id).addAll(rd.forwardResults());
    }

    void processReadiesExcept(String skipped) {
        for (Map.Entry<String, RaftNode> e : nodes.entrySet()) {
            if (e.getKey().equals(skipped)) { // null skips nobody
                continue;
            }
            RaftNode n = e.getValue();
            while (n.hasReady()) {
                Ready rd = n.ready();
                inFlight.addAll(rd.earlyMessages());
                persist(e.getKey(), rd);
                inFlight.addAll(rd.messages());
                n.advance(rd);
            }
        }
    }

    /** Delivers queued messages (dropping those to/from isolated nodes) until none are left. */
    void stabilize() {
        stabilizeHolding(m -> false);
    }

    /** Like {@link #stabilize()}, but messages matching {@code hold} are not delivered: they are returned. */
    List<RaftMessage> stabilizeHolding(Predicate<RaftMessage> hold) {
        List<RaftMessage> held = new ArrayList<>();
        processReadies();
        int guard = 0;
        while (!inFlight.isEmpty()) {
            if (++guard > 100_000) {
                throw new AssertionError("cluster did not stabilize");
            }
            RaftMessage m = inFlight.poll();
            if (hold.test(m)) {
                held.add(m);
            } else if (!isolated.contains(m.from()) && !isolated.contains(m.to()) && nodes.containsKey(m.to())) {
                delivered.add(m);
                nodes.get(m.to()).step(m);
            }
            processReadies();
        }
        return held;
    }

    /** Takes (and removes) the queued messages matching {@code filter}. */
    List<RaftMessage> take(Predicate<RaftMessage> filter) {
        processReadies();
        List<RaftMessage> out = new ArrayList<>();
        inFlight.removeIf(m -> {
            if (filter.test(m)) {
                out.add(m);
                return true;
            }
            return false;
        });
        return out;
    }

    void tickAll(int ticks) {
        for (int i = 0; i < ticks; i++) {
            for (RaftNode n : nodes.values()) {
                n.tick();
            }
            stabilize();
        }
    }

    /** Makes {@code id} leader by campaigning and delivering everything. */
    RaftNode elect(String id) {
        node(id).campaign();
        stabilize();
        if (node(id).role() != Role.LEADER) {
            throw new AssertionError(id + " did not win: " + node(id));
        }
        return node(id);
    }

    List<byte[]> appliedCommands(String id) {
        List<byte[]> out = new ArrayList<>();
        for (LogEntry e : applied.get(id)) {
            if (e.type() == io.raftkv.core.message.EntryType.COMMAND) {
                out.add(e.data());
            }
        }
        return out;
    }
}
