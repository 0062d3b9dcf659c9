package io.raftkv.transport.netty;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The transport's Micrometer meters. Every meter is named {@code raft.transport.*} and tagged with {@code node}
 * and {@code peer}: the peer is always a tag, never part of a name. Inbound connections from node ids that are
 * not configured peers are tagged {@code peer=unknown}, so that nobody can grow the number of meters by sending
 * handshakes with made-up ids.
 *
 * <table>
 *   <caption>meters</caption>
 *   <tr><th>name</th><th>extra tags</th><th>counts</th></tr>
 *   <tr><td>raft.transport.messages.sent</td><td></td><td>messages written to a peer's connection</td></tr>
 *   <tr><td>raft.transport.bytes.sent</td><td></td><td>frame bytes written</td></tr>
 *   <tr><td>raft.transport.messages.dropped</td><td>reason = not_connected | backpressure | too_large |
 *       unknown_peer | closed</td><td>messages not sent (Raft retransmits)</td></tr>
 *   <tr><td>raft.transport.messages.received</td><td></td><td>messages handed to the MessageHandler</td></tr>
 *   <tr><td>raft.transport.connections</td><td>direction = outbound | inbound</td><td>handshaken
 *       connections</td></tr>
 *   <tr><td>raft.transport.connections.rejected</td><td>reason = too_large | bad_version | unknown_type |
 *       malformed | handshake | tls</td><td>connections closed for bad input</td></tr>
 * </table>
 */
final class TransportMetrics {
    static final String UNKNOWN_PEER = "unknown";

    private final MeterRegistry registry;
    private final String nodeId;
    private final ConcurrentMap<String, PeerMeters> peers = new ConcurrentHashMap<>();

    TransportMetrics(MeterRegistry registry, String nodeId) {
        this.registry = registry;
        this.nodeId = nodeId;
    }

    /** Messages addressed to a node that is not a configured peer. */
    Counter droppedUnknownPeer() {
        return Counter.builder("raft.transport.messages.dropped").tag("node", nodeId).tag("peer", UNKNOWN_PEER)
                .tag("reason", "unknown_peer").description("messages not sent; Raft retransmits").register(registry);
    }

    PeerMeters peer(String peerId) {
        return peers.computeIfAbsent(peerId, PeerMeters::new);
    }

    Counter rejected(String peerTag, MalformedFrameException.Reason reason) {
        return Counter.builder("raft.transport.connections.rejected").tag("node", nodeId).tag("peer", peerTag)
                .tag("reason", reason.tag()).description("connections closed for bad input").register(registry);
    }

    /** Meters of one peer, looked up once and cached (the hot path must not hit the registry). */
    final class PeerMeters {
        final Counter sent;
        final Counter bytesSent;
        final Counter received;
        final Counter droppedNotConnected;
        final Counter droppedBackpressure;
        final Counter droppedTooLarge;
        final Counter droppedClosed;
        final Counter outboundConnections;
        final Counter inboundConnections;

        private PeerMeters(String peerId) {
            sent = counter("raft.transport.messages.sent", peerId, "messages written to a peer");
            bytesSent = counter("raft.transport.bytes.sent", peerId, "frame bytes written to a peer");
            received = counter("raft.transport.messages.received", peerId, "messages received from a peer");
            droppedNotConnected = dropped(peerId, "not_connected");
            droppedBackpressure = dropped(peerId, "backpressure");
            droppedTooLarge = dropped(peerId, "too_large");
            droppedClosed = dropped(peerId, "closed");
            outboundConnections = connections(peerId, "outbound");
            inboundConnections = connections(peerId, "inbound");
        }

        private Counter counter(String name, String peerId, String description) {
            return Counter.builder(name).tag("node", nodeId).tag("peer", peerId).description(description)
                    .register(registry);
        }

        private Counter dropped(String peerId, String reason) {
            return Counter.builder("raft.transport.messages.dropped").tag("node", nodeId).tag("peer", peerId)
                    .tag("reason", reason).description("messages not sent; Raft retransmits").register(registry);
        }

        private Counter connections(String peerId, String direction) {
            return Counter.builder("raft.transport.connections").tag("node", nodeId).tag("peer", peerId)
                    .tag("direction", direction).description("handshaken connections").register(registry);
        }
    }
}
