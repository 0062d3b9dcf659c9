package io.raftkv.core.server;

import io.raftkv.core.ForwardResult;
import io.raftkv.core.NotLeaderException;
import io.raftkv.core.Proposal;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.Role;
import io.raftkv.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Where each client proposal goes; raft thread only. A client may write through any server:
 * <ul>
 *   <li>on the leader a proposal is appended at once ({@code ConsensusCore.propose}) and waits in
 *       {@link PendingProposals} for the entry at its index;</li>
 *   <li>on a follower that knows a leader it can reach, every proposal of the loop turn travels to the leader as
 *       <em>one</em> {@code ForwardRequest} ({@code ConsensusCore.forward}). The answer says where the leader
 *       appended the batch, and each proposal then waits in {@link PendingProposals} exactly as on the leader:
 *       this server's own apply of that index completes it with its own state machine's result (the same result
 *       the leader computes, State Machine Safety §5.4.3), so no result has to travel back;</li>
 *   <li>while no leader is known, the leader is unreachable (its connection is down, e.g. it crashed), a
 *       leadership transfer is in progress, or the leader refused the batch, proposals are <em>held</em> and
 *       routed again once a leader is known: a client whose write reaches a follower during a failover waits for
 *       the next leader rather than failing. A held proposal was never sent anywhere, so when the leader wait
 *       runs out it fails with {@link NotLeaderException}: certainly not applied, safe to retry.</li>
 * </ul>
 * A forwarded batch that gets no answer before the leader changes, or before the leader wait runs out, fails with
 * {@link OutcomeUnknownException}: the leader may have appended it and a later leader may commit it (§5.4.2).
 */
final class ProposalRouter {
    private static final Logger LOG = LoggerFactory.getLogger(ProposalRouter.class);
    /** Bytes of commands per forwarded batch (a batch holds at least one command, whatever its size). */
    static final long MAX_BATCH_BYTES = 1 << 20;
    /** Commands per forwarded batch. */
    static final int MAX_BATCH_COMMANDS = 4096;

    /** A forwarded batch waiting for the leader's answer. */
    private record InFlight(String leader, long term, List<RaftEvent.Propose> proposals, long deadlineNanos) {
    }

    private final String id;
    private final ConsensusCore core;
    private final Transport transport;
    private final PendingProposals proposals;
    private final RaftMetrics metrics;
    private final long leaderWaitNanos;
    private final long retryDelayNanos;
    /** The leader that last refused a batch, and until when not to ask it again (no ping-pong of refusals). */
    private String refusedBy;
    private long retryAfterNanos;
    /** Proposals waiting for a leader to take them, in arrival order. */
    private final ArrayDeque<RaftEvent.Propose> held = new ArrayDeque<>();
    private final Map<Long, InFlight> inFlight = new HashMap<>();
    /**
     * Batch ids start at a random point: an answer to a batch of this server's previous run could still arrive
     * after a quick restart, and matched by id it would place a new proposal at the old one's index.
     */
    private long nextBatchId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE / 2);

    /**
     * @param leaderWaitNanos how long a proposal may wait for a leader to take it (held, or forwarded without an
     *                        answer) before it fails
     * @param retryDelayNanos how long to wait before offering a refused batch to the same leader again (a tick:
     *                        by then this server has usually heard of the leader that refused being deposed)
     */
    ProposalRouter(String id, ConsensusCore core, Transport transport, PendingProposals proposals,
                   RaftMetrics metrics, long leaderWaitNanos, long retryDelayNanos) {
        this.id = id;
        this.core = core;
        this.transport = transport;
        this.proposals = proposals;
        this.metrics = metrics;
        this.leaderWaitNanos = leaderWaitNanos;
        this.retryDelayNanos = retryDelayNanos;
    }

    /** Proposals that arrived in this loop turn: routed now, behind any still held. */
    void route(List<RaftEvent.Propose> arrived) {
        held.addAll(arrived);
        flush();
    }

    /**
     * Routes what is held, if a leader can take it now. Called in every loop turn, outside
     * {@code ready()}/{@code advance()}.
     */
    void flush() {
        if (held.isEmpty()) {
            return;
        }
        if (core.role() == Role.LEADER) {
            proposeLocally();
            return;
        }
        String leader = core.leaderId();
        if (leader == null || leader.equals(id) || !transport.isReachable(leader)) {
            return; // keep holding: the next leader, or the leader's connection, is not there yet
        }
        if (leader.equals(refusedBy) && System.nanoTime() - retryAfterNanos < 0) {
            return; // it refused a batch a moment ago: wait to hear of a new leader, or a tick
        }
        while (!held.isEmpty()) {
            forwardBatch(leader);
        }
    }

    private void proposeLocally() {
        while (!held.isEmpty()) {
            RaftEvent.Propose p = held.peekFirst();
            if (p.future().isDone()) {
                held.pollFirst(); // the caller gave up (cancelled, timed out) before it was proposed
                continue;
            }
            Proposal at;
            try {
                at = core.propose(p.command());
            } catch (ProposalRejectedException e) {
                return; // a leadership transfer is in progress (thesis §3.10): hold until the next leader
            }
            held.pollFirst();
            proposals.register(at, p.future(), p.startNanos());
            metrics.proposalsAccepted.increment();
        }
    }

    private void forwardBatch(String leader) {
        List<RaftEvent.Propose> batch = new ArrayList<>();
        List<byte[]> commands = new ArrayList<>();
        long bytes = 0;
        while (!held.isEmpty() && batch.size() < MAX_BATCH_COMMANDS) {
            RaftEvent.Propose p = held.peekFirst();
            if (p.future().isDone()) {
                held.pollFirst();
                continue;
            }
            if (!batch.isEmpty() && bytes + p.command().length > MAX_BATCH_BYTES) {
                break;
            }
            held.pollFirst();
            batch.add(p);
            commands.add(p.command());
            bytes += p.command().length;
        }
        if (batch.isEmpty()) {
            return;
        }
        long batchId = nextBatchId++;
        core.forward(batchId, commands);
        // The answer gets a full leader wait from now: a batch refused and offered again right before its
        // proposals' own wait runs out must not be declared "outcome unknown" while its answer is on the way.
        inFlight.put(batchId, new InFlight(leader, core.currentTerm(), batch, System.nanoTime() + leaderWaitNanos));
        metrics.proposalsForwarded.increment(batch.size());
    }

    /** The answers to forwarded batches that arrived with a Ready; call before its committed entries are handed out. */
    void onResults(List<ForwardResult> results) {
        for (ForwardResult r : results) {
            InFlight batch = inFlight.remove(r.batchId());
            if (batch == null) {
                continue; // a duplicate answer, or the batch already failed (leader change, deadline)
            }
            if (!r.isAccepted()) {
                // Nothing of it was appended: hold it again, ahead of what arrived since, for the next leader.
                LOG.debug("{}: leader {} refused a batch of {} proposals: {}", id, batch.leader(),
                        batch.proposals().size(), r.rejection());
                List<RaftEvent.Propose> again = batch.proposals();
                for (int k = again.size() - 1; k >= 0; k--) {
                    held.addFirst(again.get(k));
                }
                refusedBy = batch.leader();
                retryAfterNanos = System.nanoTime() + retryDelayNanos;
                continue;
            }
            if (r.count() != batch.proposals().size()) {
                // Cannot happen with a correct leader; never guess which command went where.
                failUnknown(batch, "the leader placed " + r.count() + " of " + batch.proposals().size()
                        + " forwarded commands");
                continue;
            }
            for (int k = 0; k < r.count(); k++) {
                RaftEvent.Propose p = batch.proposals().get(k);
                proposals.register(r.proposal(k), p.future(), p.startNanos());
            }
        }
    }

    /**
     * The leader (or the term) changed: batches forwarded to the previous one that were not answered may or may
     * not have been appended. Held proposals go to the next leader at the next {@link #flush}.
     */
    void onLeaderChange(String newLeader, long newTerm) {
        Iterator<InFlight> it = inFlight.values().iterator();
        while (it.hasNext()) {
            InFlight batch = it.next();
            if (!batch.leader().equals(newLeader) || batch.term() != newTerm) {
                it.remove();
                failUnknown(batch, "forwarded to leader " + batch.leader() + " in term " + batch.term()
                        + ", which did not answer before leadership changed");
            }
        }
    }

    /** Fails what waited longer than the leader wait. */
    void expire(long nowNanos) {
        while (!held.isEmpty() && nowNanos - (held.peekFirst().startNanos() + leaderWaitNanos) >= 0) {
            RaftEvent.Propose p = held.pollFirst();
            metrics.proposalsNotLeader.increment();
            p.future().completeExceptionally(new NotLeaderException(otherLeader()));
        }
        Iterator<InFlight> it = inFlight.values().iterator();
        while (it.hasNext()) {
            InFlight batch = it.next();
            if (nowNanos - batch.deadlineNanos() >= 0) {
                it.remove();
                failUnknown(batch, "forwarded to leader " + batch.leader() + ", which did not answer in time");
            }
        }
    }

    /** Shutting down: held proposals were never sent; forwarded ones may have been appended. */
    void failAll(Throwable cause) {
        for (RaftEvent.Propose p : held) {
            p.future().completeExceptionally(new ShutdownException("server " + id + " stopped before a leader took"
                    + " the proposal", cause));
        }
        held.clear();
        for (InFlight batch : inFlight.values()) {
            failUnknown(batch, "server " + id + " stopped before the leader answered");
        }
        inFlight.clear();
    }

    int heldCount() {
        return held.size();
    }

    int inFlightBatches() {
        return inFlight.size();
    }

    private void failUnknown(InFlight batch, String why) {
        for (RaftEvent.Propose p : batch.proposals()) {
            p.future().completeExceptionally(new OutcomeUnknownException(why, null));
        }
    }

    private String otherLeader() {
        String leader = core.leaderId();
        return id.equals(leader) ? null : leader;
    }
}
