package io.raftkv.core.server;

import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.RaftMessage;

import java.util.concurrent.CompletableFuture;

/**
 * What other threads hand to the raft thread through its queue (many producers, one consumer). The raft thread is
 * the only one that touches the {@link io.raftkv.core.RaftNode}, so the core needs no locks.
 */
sealed interface RaftEvent {

    /**
     * Fails the future a caller waits on for this event with {@code cause} (a request refused because the server is
     * stopping, say); returns false, and does nothing, for an event nobody waits on (a peer's message, a wake-up).
     */
    default boolean failWith(Throwable cause) {
        return false;
    }

    /** A client command for the leader's log. */
    record Propose(byte[] command, CompletableFuture<byte[]> future, long startNanos) implements RaftEvent {
        @Override
        public boolean failWith(Throwable cause) {
            future.completeExceptionally(cause);
            return true;
        }
    }

    /**
     * Client commands that must reach the raft thread together (a pipelined client's batch): handled in one loop
     * turn, so the leader appends them in one batch and a follower forwards them in one message.
     */
    record ProposeAll(java.util.List<Propose> proposals) implements RaftEvent {
        @Override
        public boolean failWith(Throwable cause) {
            proposals.forEach(p -> p.failWith(cause));
            return true;
        }
    }

    /** Reads that must reach the raft thread together: one read index (or one lease check) for all of them. */
    record ReadAll(java.util.List<Read> reads) implements RaftEvent {
        @Override
        public boolean failWith(Throwable cause) {
            reads.forEach(r -> r.failWith(cause));
            return true;
        }
    }

    /**
     * A membership change (thesis §4.1, or joint consensus, §6); completes like a proposal of its entry (for a joint
     * change, C_old,new), with an empty result.
     */
    record ChangeMembership(MembershipChange change, CompletableFuture<byte[]> future, long startNanos)
            implements RaftEvent {
        @Override
        public boolean failWith(Throwable cause) {
            future.completeExceptionally(cause);
            return true;
        }
    }

    /** Hand leadership to {@code target} (thesis §3.10); null means the most up-to-date voter. */
    record TransferLeadership(String target, CompletableFuture<Void> future) implements RaftEvent {
        @Override
        public boolean failWith(Throwable cause) {
            future.completeExceptionally(cause);
            return true;
        }
    }

    /** A linearizable or lease read. */
    record Read(PendingRead read, ReadLevel level) implements RaftEvent {
        @Override
        public boolean failWith(Throwable cause) {
            read.future().completeExceptionally(cause);
            return true;
        }
    }

    /** A message from a peer, delivered by the transport. */
    record Inbound(RaftMessage message) implements RaftEvent {
    }

    /** The snapshot writer made a snapshot durable: the core and the log may drop what it covers (§7). */
    record SnapshotTaken(io.raftkv.core.storage.SnapshotMeta meta) implements RaftEvent {
    }

    /** Nothing to do but look at the stop flag now rather than at the next tick. */
    enum Wakeup implements RaftEvent {
        INSTANCE
    }
}
