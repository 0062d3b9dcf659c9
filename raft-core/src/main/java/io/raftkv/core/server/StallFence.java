package io.raftkv.core.server;

import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.transport.Transport;

import java.util.List;

/**
 * The server's transport, silenced while its disk is stalled ({@link DiskAlarm.Stalled}): every message it
 * would send is dropped (the transport contract allows loss; Raft retransmits).
 *
 * <p><b>Why this is safe, and why it is needed.</b> A leader whose raft thread is stuck in an fsync cannot commit
 * anything, yet every heartbeat it sends resets its followers' election timers (§5.2) and keeps them from
 * electing a healthy leader: the whole cluster hangs on one disk (hashicorp/raft#503). Today every message leaves
 * from the raft thread, which sends nothing while it is blocked, so the fence mostly confirms what the thread
 * structure already gives; it makes the guarantee hold for any message handed to the transport by another thread
 * or queued just before the stall, now and after future changes. Dropping messages never breaks safety (Raft
 * assumes a lossy network); the followers' election timeouts (§5.2) and the stalled leader's check-quorum
 * (thesis §6.2) do the rest. The stalled leader's lease cannot outlive this either: lease reads are decided on
 * the raft thread only, after the overdue ticks have run (thesis §6.4.1, {@code RaftLoop.leaseReadIndex}).
 * When the operation returns the fence lifts by itself; a deposed leader then learns the new term from the first
 * answer (§5.1).
 */
final class StallFence extends ForwardingTransport {
    private final DiskGuard disk;

    StallFence(Transport delegate, DiskGuard disk) {
        super(delegate);
        this.disk = disk;
    }

    @Override
    public void send(RaftMessage message) {
        if (disk.stalled() != null) {
            disk.outboundDropped.increment();
            return;
        }
        delegate().send(message);
    }

    @Override
    public void sendAll(List<RaftMessage> messages) {
        if (disk.stalled() != null) {
            disk.outboundDropped.increment(messages.size());
            return;
        }
        delegate().sendAll(messages);
    }

    @Override
    public String toString() {
        return delegate().toString();
    }
}
