package io.raftkv.core.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.raftkv.core.Role;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The driver's Micrometer meters (docs/design.md §10). Names are {@code raft.*}; the server is the {@code node} tag
 * and a follower is the {@code peer} tag — never part of a name. Updated from the raft and apply threads; gauges
 * read atomics.
 *
 * <table>
 *   <caption>meters</caption>
 *   <tr><td>raft.proposals{result}</td><td>counter</td><td>proposals by result: accepted (appended here as
 *       leader), forwarded (handed to the leader from this follower), not_leader (no leader took it in time),
 *       rejected, overloaded</td></tr>
 *   <tr><td>raft.commits</td><td>counter</td><td>committed entries handed to the apply thread</td></tr>
 *   <tr><td>raft.apply.latency</td><td>timer</td><td>time in {@code StateMachine.apply}, per command</td></tr>
 *   <tr><td>raft.proposal.latency</td><td>timer</td><td>propose to result, on the leader</td></tr>
 *   <tr><td>raft.fsync.latency{store}</td><td>timer</td><td>log sync ({@code store=log}) and hard state save
 *       ({@code store=stable})</td></tr>
 *   <tr><td>raft.fsync.batch.entries</td><td>summary</td><td>entries made durable per log sync (group commit)</td></tr>
 *   <tr><td>raft.elections</td><td>counter</td><td>times this server became a candidate</td></tr>
 *   <tr><td>raft.leader.changes</td><td>counter</td><td>times this server saw a new leader</td></tr>
 *   <tr><td>raft.term</td><td>gauge</td><td>current term</td></tr>
 *   <tr><td>raft.role{role}</td><td>gauge</td><td>1 for the current role, 0 for the others</td></tr>
 *   <tr><td>raft.replication.lag{peer}</td><td>gauge</td><td>leader only: last log index minus the peer's match
 *       index; removed when leadership is lost</td></tr>
 *   <tr><td>raft.pending.proposals / raft.pending.bytes</td><td>gauge</td><td>proposals accepted, not yet
 *       completed</td></tr>
 *   <tr><td>raft.commit.index / raft.applied.index</td><td>gauge</td><td>progress</td></tr>
 *   <tr><td>raft.messages.dropped</td><td>counter</td><td>inbound messages dropped because the queue was full</td></tr>
 *   <tr><td>raft.snapshot.duration / raft.snapshot.size</td><td>timer / summary</td><td>snapshots taken here:
 *       capture to durable, and bytes</td></tr>
 *   <tr><td>raft.install.snapshot.bytes{direction}</td><td>counter</td><td>InstallSnapshot bytes sent (leader) and
 *       received (follower)</td></tr>
 *   <tr><td>raft.server.stopped{reason}</td><td>gauge</td><td>1 once the server stopped after a fatal error (the
 *       reason in one line); the only meter that outlives the server, so that a scrape says why it is gone</td></tr>
 *   <tr><td>raft.disk.*</td><td></td><td>free space, reserve, alarms, refusals: see {@code DiskGuard}</td></tr>
 * </table>
 */
final class RaftMetrics {
    private final MeterRegistry registry;
    private final Tags tags;

    final Counter proposalsAccepted;
    final Counter proposalsNotLeader;
    final Counter proposalsRejected;
    final Counter proposalsOverloaded;
    final Counter proposalsForwarded;
    final Counter commits;
    final Timer applyLatency;
    final Timer proposalLatency;
    final Timer logSyncLatency;
    final Timer hardStateSaveLatency;
    final DistributionSummary syncBatchEntries;
    final Counter elections;
    final Counter leaderChanges;
    final Counter messagesDropped;
    final Timer snapshotDuration;
    final DistributionSummary snapshotBytes;
    final Counter installSnapshotBytesSent;
    final Counter installSnapshotBytesReceived;

    private final AtomicLong term = new AtomicLong();
    private final AtomicLong commitIndex = new AtomicLong();
    private final Map<Role, AtomicLong> roleFlags = new EnumMap<>(Role.class);
    /** Raft thread only. */
    private final Map<String, AtomicLong> lagByPeer = new HashMap<>();
    private final Map<String, Gauge> lagGauges = new HashMap<>();

    RaftMetrics(MeterRegistry registry, String nodeId, Budget proposals, Supplier<Long> appliedIndex) {
        this.registry = registry;
        this.tags = Tags.of("node", nodeId);
        // A server of this id that stopped on a fatal error in this JVM left its reason behind; this one is new.
        registry.find(STOPPED).tags(tags).gauges().forEach(registry::remove);
        proposalsAccepted = proposalCounter("accepted");
        proposalsNotLeader = proposalCounter("not_leader");
        proposalsRejected = proposalCounter("rejected");
        proposalsOverloaded = proposalCounter("overloaded");
        proposalsForwarded = proposalCounter("forwarded");
        commits = Counter.builder("raft.commits").tags(tags).description("committed entries handed to the apply thread").register(registry);
        applyLatency = Timer.builder("raft.apply.latency").tags(tags).description("StateMachine.apply time per command").register(registry);
        proposalLatency = Timer.builder("raft.proposal.latency").tags(tags).description("propose to result").register(registry);
        logSyncLatency = Timer.builder("raft.fsync.latency").tags(tags).tag("store", "log").register(registry);
        hardStateSaveLatency = Timer.builder("raft.fsync.latency").tags(tags).tag("store", "stable").register(registry);
        syncBatchEntries = DistributionSummary.builder("raft.fsync.batch.entries").tags(tags)
                .description("entries made durable by one log sync").register(registry);
        elections = Counter.builder("raft.elections").tags(tags).register(registry);
        leaderChanges = Counter.builder("raft.leader.changes").tags(tags).register(registry);
        messagesDropped = Counter.builder("raft.messages.dropped").tags(tags).register(registry);
        snapshotDuration = Timer.builder("raft.snapshot.duration").tags(tags).description("capture to durable").register(registry);
        snapshotBytes = DistributionSummary.builder("raft.snapshot.size").tags(tags).baseUnit("bytes").register(registry);
        installSnapshotBytesSent = Counter.builder("raft.install.snapshot.bytes").tags(tags).tag("direction", "sent").register(registry);
        installSnapshotBytesReceived = Counter.builder("raft.install.snapshot.bytes").tags(tags).tag("direction", "received").register(registry);
        Gauge.builder("raft.term", term, AtomicLong::get).tags(tags).register(registry);
        Gauge.builder("raft.commit.index", commitIndex, AtomicLong::get).tags(tags).register(registry);
        Gauge.builder("raft.applied.index", appliedIndex, s -> s.get()).tags(tags).register(registry);
        Gauge.builder("raft.pending.proposals", proposals, Budget::count).tags(tags).register(registry);
        Gauge.builder("raft.pending.bytes", proposals, Budget::bytes).tags(tags).register(registry);
        for (Role r : Role.values()) {
            AtomicLong flag = new AtomicLong();
            roleFlags.put(r, flag);
            Gauge.builder("raft.role", flag, AtomicLong::get).tags(tags).tag("role", r.lowerName()).register(registry);
        }
    }

    private Counter proposalCounter(String result) {
        return Counter.builder("raft.proposals").tags(tags).tag("result", result).register(registry);
    }

    void recordNanos(Timer timer, long startNanos) {
        timer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    /** Raft thread. */
    void role(Role role, long currentTerm) {
        for (Map.Entry<Role, AtomicLong> e : roleFlags.entrySet()) {
            e.getValue().set(e.getKey() == role ? 1 : 0);
        }
        term.set(currentTerm);
    }

    /** Raft thread. */
    void commitIndex(long index) {
        commitIndex.set(index);
    }

    /** Raft thread: replication lag per follower while leader; pass an empty map to clear when not leader. */
    void replication(long lastLogIndex, Map<String, Long> matchIndexes, String self) {
        for (Map.Entry<String, Long> e : matchIndexes.entrySet()) {
            if (e.getKey().equals(self)) {
                continue;
            }
            AtomicLong lag = lagByPeer.get(e.getKey());
            if (lag == null) {
                lag = new AtomicLong();
                lagByPeer.put(e.getKey(), lag);
                lagGauges.put(e.getKey(), Gauge.builder("raft.replication.lag", lag, AtomicLong::get)
                        .tags(tags).tag("peer", e.getKey()).register(registry));
            }
            lag.set(Math.max(0, lastLogIndex - e.getValue()));
        }
        // A peer left the configuration or we lost leadership: a lag we cannot measure must not linger.
        lagByPeer.keySet().removeIf(peer -> {
            if (matchIndexes.containsKey(peer)) {
                return false;
            }
            registry.remove(lagGauges.remove(peer));
            return true;
        });
    }

    private static final String STOPPED = "raft.server.stopped";
    /** Holds the value of the stopped gauge (a gauge's value must stay strongly reachable). */
    private final AtomicLong stopped = new AtomicLong(1);

    /** After {@link #close()}: records that the server stopped on a fatal error, and why. */
    void stoppedBy(String reason) {
        String oneLine = reason.replaceAll("\\s+", " ");
        Gauge.builder(STOPPED, stopped, AtomicLong::get).tags(tags)
                .tag("reason", oneLine.length() > 200 ? oneLine.substring(0, 200) + "..." : oneLine)
                .description("1: the server stopped after a fatal error (see the reason tag)").register(registry);
    }

    /** Removes every meter this server registered (the registry may outlive the server). */
    void close() {
        registry.getMeters().stream()
                .filter(m -> m.getId().getName().startsWith("raft.") && tags.stream().allMatch(t -> t.getValue().equals(m.getId().getTag(t.getKey()))))
                .toList()
                .forEach(registry::remove);
    }
}
