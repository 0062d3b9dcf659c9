package io.raftkv.core.server;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.ReadState;
import io.raftkv.core.Role;
import io.raftkv.core.transport.Transport;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Linearizable reads on every server (thesis §6.4); raft thread only. All reads of one loop turn share
 * <em>one</em> read index request: on the leader one heartbeat round confirms them all, on a follower one
 * ReadIndex message asks the leader for them all. Once the read index is known, the apply thread serves them from
 * this server's own state machine as soon as it has applied up to that index, so followers serve reads too.
 *
 * <p>While no leader is known or the leader cannot be reached, reads are held and sent once it can; a read whose
 * confirmation failed (the leader was deposed meanwhile) is held again. Reads change nothing, so asking again is
 * always safe. A read still without a read index at its deadline fails with {@link NotLeaderException}.
 */
final class ReadIndexBatcher {
    private final String id;
    private final ConsensusCore core;
    private final Transport transport;
    private final ApplyLoop apply;
    private final long retryDelayNanos;
    /** After a refused read index, when to ask again (no ping-pong of refusals with a deposed leader). */
    private long retryAfterNanos;
    private String refusedLeader;
    private final List<PendingRead> held = new ArrayList<>();
    private final Map<Long, List<PendingRead>> waitingForIndex = new HashMap<>();
    /**
     * Starts at a random point, not at 1: a ReadIndexResponse to a request of this server's previous run can still
     * arrive after a quick restart in the same term, and matched by id it would answer a new read with an older
     * read index (a stale read, thesis §6.4). The core matches answers by id and term only.
     */
    private long nextRequestId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE / 2);

    /** @param retryDelayNanos how long to wait before asking again after a read index was refused (a tick) */
    ReadIndexBatcher(String id, ConsensusCore core, Transport transport, ApplyLoop apply, long retryDelayNanos) {
        this.id = id;
        this.core = core;
        this.transport = transport;
        this.apply = apply;
        this.retryDelayNanos = retryDelayNanos;
    }

    /** Reads that arrived in this loop turn. */
    void route(List<PendingRead> arrived) {
        held.addAll(arrived);
        flush();
    }

    /** Asks for one read index for everything held, if a leader can answer now. Outside ready()/advance(). */
    void flush() {
        held.removeIf(r -> r.future().isDone());
        if (held.isEmpty()) {
            return;
        }
        String leader = core.role() == Role.LEADER ? id : core.leaderId();
        if (leader == null || (!leader.equals(id) && !transport.isReachable(leader))) {
            return; // keep holding until a leader can confirm a read index
        }
        if (leader.equals(refusedLeader) && System.nanoTime() - retryAfterNanos < 0) {
            return; // refused a moment ago: wait to hear of a new leader, or a tick
        }
        long requestId = nextRequestId++;
        waitingForIndex.put(requestId, new ArrayList<>(held));
        held.clear();
        core.readIndex(requestId);
    }

    /** A read index arrived (in a Ready): the reads wait on the apply thread for it, or are held again. */
    void resolve(ReadState rs) {
        List<PendingRead> reads = waitingForIndex.remove(rs.requestId());
        if (reads == null) {
            return; // expired, or not ours
        }
        if (rs.success()) {
            apply.awaitReads(rs.readIndex(), reads);
        } else {
            held.addAll(reads); // leadership could not be confirmed: ask again, the next leader if there is one
            refusedLeader = core.role() == Role.LEADER ? id : core.leaderId();
            retryAfterNanos = System.nanoTime() + retryDelayNanos;
        }
    }

    /** Fails the reads whose deadline passed without a read index. */
    void expire(long nowNanos) {
        failExpired(held, nowNanos);
        Iterator<List<PendingRead>> it = waitingForIndex.values().iterator();
        while (it.hasNext()) {
            List<PendingRead> reads = it.next();
            failExpired(reads, nowNanos);
            if (reads.isEmpty()) {
                it.remove();
            }
        }
    }

    private void failExpired(List<PendingRead> reads, long nowNanos) {
        reads.removeIf(r -> {
            if (r.future().isDone()) {
                return true;
            }
            if (nowNanos - r.deadlineNanos() >= 0) {
                r.future().completeExceptionally(new NotLeaderException(otherLeader()));
                return true;
            }
            return false;
        });
    }

    /** After the raft thread stopped. */
    void failAll(Throwable cause) {
        List<PendingRead> all = new ArrayList<>(held);
        waitingForIndex.values().forEach(all::addAll);
        for (PendingRead read : all) {
            read.future().completeExceptionally(new ShutdownException("server stopped before the read index was"
                    + " known", cause));
        }
        held.clear();
        waitingForIndex.clear();
    }

    private String otherLeader() {
        String leader = core.leaderId();
        return id.equals(leader) ? null : leader;
    }
}
