package io.raftkv.sim.scenario;

import io.raftkv.core.ForwardResult;
import io.raftkv.core.NotLeaderException;
import io.raftkv.core.Proposal;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.RaftNode;
import io.raftkv.core.RaftOptions;
import io.raftkv.core.ReadState;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.SoftState;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.InstallSnapshotResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.sim.MessageFormat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * One server of a scenario: a real {@link RaftNode} with in-memory stores, a tiny state machine (the list of
 * commands it applied) and the driver that carries out every {@link Ready} in the order {@link Ready}'s javadoc
 * prescribes, writing each step to the transcript. Every Ready is persisted and synced in full before the next
 * input, so a crash loses no durable state; it loses what only memory held (role, commit index, the state machine,
 * reads waiting to be served).
 */
final class ScenarioServer {

    /** A snapshot transfer is abandoned (and reported failed) after this many of the leader's ticks without an answer. */
    private static final int SNAPSHOT_TIMEOUT_TICKS = 5;

    final String id;
    private final ScenarioCluster cluster;
    private final RaftOptions options;
    private final Configuration bootstrap;
    private final int timeoutOffset;
    private final InMemoryStableStore stable = new InMemoryStableStore();
    private InMemoryLogStore log = new InMemoryLogStore();
    private RaftNode raft;

    /** The state machine: the commands applied so far, in log order; {@link #applied} is its last index. */
    private final List<String> commands = new ArrayList<>();
    private long applied;
    private long reportedCommit;
    /** Successful reads waiting for the state machine to reach their index (Ready step 7). */
    private final ArrayDeque<ReadState> waitingReads = new ArrayDeque<>();

    /** A snapshot as stored durably: the state machine's commands up to {@code meta.lastIncludedIndex()}. */
    private record StoredSnapshot(SnapshotMeta meta, byte[] data) {
    }

    private StoredSnapshot snapshot;
    /** Ids of this server's forwarded batches: never reused, not even after a restart (the leader dedups by id). */
    private long nextBatchId = 1;
    /** Leader: snapshots in flight, by follower, with the ticks they have waited for an answer. */
    private final Map<String, Integer> transfers = new TreeMap<>();
    /** Follower: InstallSnapshot answers, sent once the Ready that installs the snapshot is done. */
    private final List<RaftMessage> snapshotReplies = new ArrayList<>();

    ScenarioServer(ScenarioCluster cluster, String id, RaftOptions options, Configuration bootstrap, int timeoutOffset) {
        this.cluster = cluster;
        this.id = id;
        this.options = options;
        this.bootstrap = bootstrap;
        this.timeoutOffset = timeoutOffset;
    }

    /**
     * The randomized election timeout (§5.2) without the surprise: this server always draws {@code timeoutOffset},
     * so its timeout is {@code electionTimeoutTicks + timeoutOffset} every time it is reset. Any other use of
     * randomness by the core fails loudly rather than make the scenarios' output depend on the clock.
     */
    private static final class FixedDraw extends Random {
        private final int offset;

        FixedDraw(int offset) {
            this.offset = offset;
        }

        @Override
        public int nextInt(int bound) {
            return Math.min(offset, bound - 1);
        }

        @Override
        protected int next(int bits) {
            throw new UnsupportedOperationException("RaftNode drew randomness the scenario harness does not script");
        }
    }

    int electionTimeoutTicks() {
        return options.electionTimeoutTicks() + Math.min(timeoutOffset, options.electionTimeoutTicks() - 1);
    }

    // ------------------------------------------------------------------------------------------- lifecycle

    void start() {
        raft = new RaftNode(id, options, log, stable.load(), snapshot == null ? SnapshotMeta.NONE : snapshot.meta(),
                bootstrap, new FixedDraw(timeoutOffset));
        commands.clear();
        applied = 0;
        if (snapshot != null) {
            restore(snapshot); // §7: a restarted server starts from its latest snapshot, then replays the log
        }
        reportedCommit = raft.commitIndex();
        drive();
    }

    void crash() {
        log = log.crash(new Random(0)); // every Ready was synced: the store survives whole
        raft = null;
        commands.clear();
        applied = 0;
        waitingReads.clear();
        transfers.clear();
        snapshotReplies.clear();
        say("crash");
    }

    void restart() {
        HardState hs = stable.load();
        say("restart with log [" + log.firstIndex() + ".." + log.lastIndex() + "] term " + hs.currentTerm()
                + (hs.votedFor() == null ? "" : " vote " + hs.votedFor())
                + (snapshot == null ? "" : " snapshot " + at(snapshot.meta())));
        start();
    }

    boolean isUp() {
        return raft != null;
    }

    RaftNode raft() {
        return raft;
    }

    // ----------------------------------------------------------------------------------------------- inputs

    void tick() {
        raft.tick();
        drive();
        expireTransfers();
    }

    void campaign() {
        raft.campaign();
        drive();
    }

    void receive(RaftMessage m) {
        raft.step(m);
        // The core handles the terms of InstallSnapshot messages; the bytes are the driver's business.
        if (m instanceof InstallSnapshotRequest r) {
            onSnapshot(r);
        } else if (m instanceof InstallSnapshotResponse r) {
            onSnapshotAnswer(r);
        }
        drive();
        if (raft != null && !snapshotReplies.isEmpty()) {
            List<RaftMessage> replies = new ArrayList<>(snapshotReplies);
            snapshotReplies.clear();
            send(replies); // after the Ready that installed the snapshot
        }
    }

    /** Proposes each command in turn, then processes one Ready: proposals of one turn share their AppendEntries. */
    void propose(List<String> proposed) {
        for (String c : proposed) {
            try {
                Proposal p = raft.propose(c.getBytes(StandardCharsets.US_ASCII));
                say("proposed '" + c + "' at " + p.index() + "@" + p.term());
            } catch (NotLeaderException e) {
                say("proposal '" + c + "' refused: not leader" + (e.leaderId() == null ? "" : " (leader " + e.leaderId() + ")"));
            } catch (ProposalRejectedException e) {
                say("proposal '" + c + "' refused: " + e.getMessage());
            }
        }
        drive();
    }

    /**
     * Hands commands that reached this server to the leader as one batch ({@link RaftNode#forward}), then processes
     * one Ready; where the leader appended them (or why it did not) comes back in a later Ready.
     */
    void forward(List<String> forwarded) {
        long batchId = nextBatchId++;
        try {
            raft.forward(batchId, forwarded.stream().map(c -> c.getBytes(StandardCharsets.US_ASCII)).toList());
            say("forward batch " + batchId + " " + forwarded.stream().map(c -> "'" + c + "'").toList());
        } catch (NotLeaderException e) {
            say("forward batch " + batchId + " refused: no leader known");
        }
        drive();
    }

    void changeMembership(String name, MembershipChange change) {
        String target = target(change);
        try {
            Proposal p = raft.changeMembership(change);
            say("proposed " + name + " " + target + " -> " + raft.configuration() + " at " + p.index() + "@" + p.term());
        } catch (NotLeaderException e) {
            say(name + " " + target + " refused: not leader" + (e.leaderId() == null ? "" : " (leader " + e.leaderId() + ")"));
        } catch (ProposalRejectedException e) {
            say(name + " " + target + " refused: " + e.getMessage());
        }
        drive();
    }

    /** The server a single-server change names, or the whole new configuration of a joint one. */
    private static String target(MembershipChange change) {
        if (change instanceof MembershipChange.AddVoter c) {
            return c.id();
        } else if (change instanceof MembershipChange.AddLearner c) {
            return c.id();
        } else if (change instanceof MembershipChange.Promote c) {
            return c.id();
        } else if (change instanceof MembershipChange.Remove c) {
            return c.id();
        } else if (change instanceof MembershipChange.Reconfigure c) {
            return "voters " + c.voters() + " learners " + c.learners();
        }
        return change.toString();
    }

    void transferLeadership(String target) {
        try {
            raft.transferLeadership(target);
            say("transfer leadership to " + raft.transferTarget());
        } catch (NotLeaderException e) {
            say("transfer refused: not leader" + (e.leaderId() == null ? "" : " (leader " + e.leaderId() + ")"));
        } catch (ProposalRejectedException e) {
            say("transfer refused: " + e.getMessage());
        }
        drive();
    }

    /** Asks for a read index for each request (thesis §6.4), then processes one Ready. */
    void readIndex(List<Long> requestIds) {
        for (long requestId : requestIds) {
            say("read " + requestId + " requested");
            raft.readIndex(requestId);
        }
        drive();
    }

    /**
     * A lease read as {@code RaftLoop.leaseReadIndex} serves it (thesis §6.4.1): at the commit index, without a round
     * trip, while the leader's lease holds; otherwise it falls back to ReadIndex.
     */
    void leaseRead(long requestId) {
        if (raft.role() == Role.LEADER && raft.leaseValid()) {
            long commit = raft.commitIndex();
            say("lease read " + requestId + " at commit " + commit + " (lease valid, no round trip)");
            waitingReads.add(new ReadState(requestId, commit, true));
            serveReads();
            return;
        }
        say("lease read " + requestId + ": no valid lease, falls back to ReadIndex");
        readIndex(List.of(requestId));
    }

    /**
     * Takes a snapshot at the applied index (§7), tells the core, and compacts the log store up to
     * {@code applied - keep} (a trailing margin for slightly lagging followers).
     */
    void compact(long keep) {
        long at = applied;
        if (at == 0 || (snapshot != null && at <= snapshot.meta().lastIncludedIndex())) {
            say("compact refused: nothing applied since the last snapshot");
            return;
        }
        SnapshotMeta meta = new SnapshotMeta(at, raft.logTerm(at), configurationAt(at));
        snapshot = new StoredSnapshot(meta, String.join("\n", commands).getBytes(StandardCharsets.US_ASCII));
        raft.compact(meta);
        long upTo = at - keep;
        if (upTo >= log.firstIndex()) {
            log.compactPrefix(upTo);
            log.sync();
        }
        say("snapshot at " + at(meta) + " " + meta.configuration() + " (" + snapshot.data().length
                + " bytes), log now [" + log.firstIndex() + ".." + log.lastIndex() + "]");
        drive();
    }

    // ------------------------------------------------------------------------------------------ the driver

    /** Carries out every pending Ready, in the order {@link Ready}'s javadoc prescribes. */
    private void drive() {
        reportCommit();
        int rounds = 0;
        while (raft != null && raft.hasReady()) {
            if (++rounds > 100) {
                throw new IllegalStateException(id + ": hasReady() still true after 100 Ready/advance rounds");
            }
            Ready rd = raft.ready();
            handle(rd);
            raft.advance(rd);
            reportCommit();
        }
    }

    private void handle(Ready rd) {
        if (rd.softState() != null) {
            SoftState ss = rd.softState();
            say("state " + ss.role().lowerName() + " term " + ss.term() + (ss.leaderId() == null ? "" : " leader " + ss.leaderId()));
            if (ss.role() == Role.LEADER) {
                violation(cluster.safety().onLeader(id, ss.term()));
            }
        }
        // Ready step 1: the leader's AppendEntries may leave before its own fsync (thesis §10.2.1).
        send(rd.earlyMessages());
        // Step 2: term and vote are durable before any message of that term leaves (§5.2).
        if (rd.hardState() != null) {
            stable.save(rd.hardState());
            say("persist term " + rd.hardState().currentTerm()
                    + (rd.hardState().votedFor() == null ? "" : " vote " + rd.hardState().votedFor()));
        }
        // Step 3: a snapshot from the leader replaces the log if told so, and the state machine (§7).
        boolean mustSync = false;
        if (rd.snapshotToInstall() != null) {
            SnapshotMeta meta = rd.snapshotToInstall().meta();
            if (rd.snapshotToInstall().discardLog()) {
                say("reset log [" + log.firstIndex() + ".." + log.lastIndex() + "] to snapshot " + at(meta));
                log.reset(meta.lastIncludedIndex(), meta.lastIncludedTerm());
                mustSync = true;
            }
            restore(snapshot);
        }
        // Step 4: cut a conflicting suffix (§5.3), append, one sync for the batch.
        if (!rd.entries().isEmpty()) {
            long first = rd.entries().get(0).index();
            if (first <= log.lastIndex()) {
                say("truncate [" + first + ".." + log.lastIndex() + "]");
            }
            try {
                log.appendReplacing(rd.entries());
            } catch (IOException e) {
                throw new UncheckedIOException(e); // the in-memory store never throws
            }
            say("append " + MessageFormat.entries(rd.entries()));
            mustSync = true;
        }
        if (mustSync) {
            log.sync();
        }
        // Step 5: messages that may acknowledge what was just persisted.
        send(rd.messages());
        // Step 6: apply committed entries in order.
        for (LogEntry e : rd.committedEntries()) {
            apply(e);
        }
        // Step 7: reads, served once the state machine has applied their read index.
        for (ReadState r : rd.readStates()) {
            say("read " + r.requestId() + (r.success() ? " index " + r.readIndex() : " failed"));
            if (r.success()) {
                waitingReads.add(r);
            }
        }
        serveReads();
        for (ForwardResult r : rd.forwardResults()) {
            say("forward batch " + r.batchId() + (r.isAccepted()
                    ? " appended at " + r.firstIndex() + "@" + r.term() + " (" + r.count() + ")"
                    : " refused: " + r.rejection()));
        }
        // Step 8: followers whose next entries were compacted get the snapshot (§7).
        for (String peer : rd.snapshotsToSend()) {
            sendSnapshot(peer);
        }
    }

    private void apply(LogEntry e) {
        if (e.index() != applied + 1) {
            throw new IllegalStateException(id + " was handed " + MessageFormat.entry(e) + " to apply after " + applied);
        }
        if (e.type() == EntryType.COMMAND) {
            commands.add(new String(e.data(), StandardCharsets.US_ASCII));
        }
        applied = e.index();
        say("apply " + MessageFormat.entry(e));
        violation(cluster.safety().onApplied(id, e));
    }

    private void serveReads() {
        while (!waitingReads.isEmpty() && waitingReads.peekFirst().readIndex() <= applied) {
            ReadState r = waitingReads.pollFirst();
            say("serve read " + r.requestId() + " at applied " + applied);
        }
    }

    private void reportCommit() {
        if (raft != null && raft.commitIndex() > reportedCommit) {
            say("commit " + (reportedCommit + 1) + ".." + raft.commitIndex());
            reportedCommit = raft.commitIndex();
        }
    }

    private void send(List<RaftMessage> messages) {
        for (RaftMessage m : messages) {
            cluster.send(this, m);
        }
    }

    // -------------------------------------------------------------------------------------------- snapshots

    /** Leader: the whole snapshot in one InstallSnapshot chunk (raft-sim and RaftServer send it in several). */
    private void sendSnapshot(String peer) {
        if (snapshot == null) {
            throw new IllegalStateException(id + " was asked to send a snapshot to " + peer + " but never took one");
        }
        SnapshotMeta meta = snapshot.meta();
        transfers.put(peer, 0);
        send(List.of(new InstallSnapshotRequest(id, peer, raft.currentTerm(), meta.lastIncludedIndex(),
                meta.lastIncludedTerm(), meta.configuration(), 0, snapshot.data(), true)));
    }

    /** Follower: a snapshot from the leader of our term is stored durably, then offered to the core (§7). */
    private void onSnapshot(InstallSnapshotRequest r) {
        if (raft.currentTerm() != r.term() || raft.role() != Role.FOLLOWER) {
            return; // stale: the core told the sender our term if it needed to know
        }
        SnapshotMeta meta = new SnapshotMeta(r.lastIncludedIndex(), r.lastIncludedTerm(), r.configuration());
        if (meta.lastIncludedIndex() > raft.commitIndex()) {
            snapshot = new StoredSnapshot(meta, r.data()); // durable before the core hears of it
            boolean adopted = raft.installSnapshot(meta);
            say("received snapshot " + at(meta) + " (" + r.data().length + " bytes)" + (adopted ? "" : ", not adopted"));
        }
        snapshotReplies.add(new InstallSnapshotResponse(id, r.from(), raft.currentTerm(), r.lastIncludedIndex(),
                r.data().length, r.offset(), true));
    }

    /** Leader: the follower holds the snapshot now; replication resumes after it. */
    private void onSnapshotAnswer(InstallSnapshotResponse r) {
        if (r.done() && raft.role() == Role.LEADER && r.term() == raft.currentTerm() && transfers.remove(r.from()) != null) {
            raft.reportSnapshot(r.from(), r.lastIncludedIndex(), true);
        }
    }

    /** Leader: a transfer unanswered for {@link #SNAPSHOT_TIMEOUT_TICKS} ticks failed; the core retries later. */
    private void expireTransfers() {
        if (raft == null) {
            return;
        }
        for (String peer : new ArrayList<>(transfers.keySet())) {
            int waited = transfers.merge(peer, 1, Integer::sum);
            if (raft.role() != Role.LEADER || waited >= SNAPSHOT_TIMEOUT_TICKS) {
                transfers.remove(peer);
                say("snapshot transfer to " + peer + " abandoned");
                raft.reportSnapshot(peer, snapshot.meta().lastIncludedIndex(), false);
            }
        }
        drive();
    }

    private void restore(StoredSnapshot s) {
        commands.clear();
        String text = new String(s.data(), StandardCharsets.US_ASCII);
        if (!text.isEmpty()) {
            commands.addAll(Arrays.asList(text.split("\n")));
        }
        applied = s.meta().lastIncludedIndex();
        say("restore state machine from snapshot " + at(s.meta()));
        serveReads();
    }

    /** The configuration in effect at {@code index}: the latest configuration entry at or below it (thesis §4.1). */
    private Configuration configurationAt(long index) {
        for (long i = index; i >= log.firstIndex() && i >= 1; i--) {
            LogEntry e = log.entry(i);
            if (e.type() == EntryType.CONFIGURATION) {
                return Configuration.decode(e.data());
            }
        }
        return snapshot != null ? snapshot.meta().configuration() : bootstrap;
    }

    // ----------------------------------------------------------------------------------------- inspection

    /** One line: role, term, vote, log, commit, applied, configuration; for a leader, each follower's progress. */
    void status(Transcript out) {
        if (raft == null) {
            HardState hs = stable.load();
            out.node(id, "down term " + hs.currentTerm() + (hs.votedFor() == null ? "" : " vote " + hs.votedFor())
                    + " last " + lastOf(log.lastIndex()));
            return;
        }
        HardState hs = raft.hardState();
        StringBuilder sb = new StringBuilder(raft.role().lowerName()).append(" term ").append(hs.currentTerm());
        if (raft.leaderId() != null && raft.role() != Role.LEADER) {
            sb.append(" leader ").append(raft.leaderId());
        }
        if (hs.votedFor() != null) {
            sb.append(" vote ").append(hs.votedFor());
        }
        sb.append(" last ").append(raft.lastLogIndex()).append('@').append(raft.logTerm(raft.lastLogIndex()))
                .append(" commit ").append(raft.commitIndex()).append(" applied ").append(applied)
                .append(" config ").append(raft.configuration());
        if (raft.role() == Role.LEADER) {
            sb.append(raft.leaseValid() ? " lease valid" : " no lease");
            if (raft.transferTarget() != null) {
                sb.append(" transferring to ").append(raft.transferTarget());
            }
        }
        out.node(id, sb.toString());
        raft.progressDescription().forEach((peer, progress) -> out.add("  " + peer + " " + progress));
    }

    /** The log as this server holds it: {@code n1 [1@1 noop, 2@1 'x'] commit 2}. */
    void printLog(Transcript out) {
        List<String> entries = new ArrayList<>();
        for (long i = log.firstIndex(); i <= log.lastIndex(); i++) {
            entries.add(MessageFormat.entry(log.entry(i)));
        }
        String head = snapshot == null ? "" : "snapshot " + at(snapshot.meta()) + " ";
        String tail = raft == null ? " (down)" : " commit " + raft.commitIndex();
        out.node(id, head + "[" + String.join(", ", entries) + "]" + tail);
    }

    private String lastOf(long index) {
        if (index == 0) {
            return "0@0";
        }
        if (snapshot != null && index == snapshot.meta().lastIncludedIndex()) {
            return at(snapshot.meta());
        }
        return index + "@" + log.term(index);
    }

    private static String at(SnapshotMeta meta) {
        return meta.lastIncludedIndex() + "@" + meta.lastIncludedTerm();
    }

    private void say(String what) {
        cluster.transcript().node(id, what);
    }

    private void violation(String v) {
        if (v != null) {
            cluster.transcript().add(v);
        }
    }
}
