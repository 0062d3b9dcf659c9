package io.raftkv.core.transport;

import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.RaftMessage;

import java.util.Collection;
import java.util.Objects;

/**
 * A {@link Transport} inside one JVM, through a {@link LocalNetwork}. Peers are found by node id, so member
 * addresses are ignored. {@link #send} never blocks: it hands the message to the receiver's handler, which only
 * enqueues it. Messages are passed by reference, never serialised: {@link io.raftkv.core.message.LogEntry} data
 * is immutable by contract.
 */
public final class LocalTransport implements Transport {
    private final LocalNetwork network;
    private final String nodeId;
    private volatile MessageHandler handler;
    private volatile boolean closed;

    LocalTransport(LocalNetwork network, String nodeId) {
        this.network = Objects.requireNonNull(network, "network");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    }

    public String nodeId() {
        return nodeId;
    }

    @Override
    public void start(MessageHandler handler) {
        if (closed) {
            throw new IllegalStateException("transport of " + nodeId + " is closed");
        }
        this.handler = Objects.requireNonNull(handler, "handler");
        network.register(nodeId, handler);
    }

    @Override
    public void updatePeers(Collection<Member> peers) {
        // Peers are addressed by id on the local network: nothing to connect.
    }

    @Override
    public void send(RaftMessage message) {
        if (closed || handler == null) {
            return;
        }
        if (!nodeId.equals(message.from())) {
            throw new IllegalArgumentException("transport of " + nodeId + " asked to send a message from " + message.from());
        }
        network.deliver(message);
    }

    /** Reachable unless the network isolates either end or cuts the link to it. */
    @Override
    public boolean isReachable(String peerId) {
        return !closed && network.canDeliver(nodeId, peerId);
    }

    /** Leaves the network; later sends are dropped. A new transport for the same id may then join (restart). */
    @Override
    public void close() {
        closed = true;
        MessageHandler h = handler;
        if (h != null) {
            network.unregister(nodeId, h);
        }
    }
}
