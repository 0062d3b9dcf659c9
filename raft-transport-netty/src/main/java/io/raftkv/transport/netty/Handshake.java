package io.raftkv.transport.netty;

/**
 * The first frame on every connection, in both directions: the protocol version the sender speaks, the cluster
 * it belongs to and its node id. A mismatch closes the connection before any Raft message is accepted, so nodes
 * of two clusters that share hosts or ports can never exchange votes or entries.
 */
public record Handshake(int protocolVersion, String clusterId, String nodeId) {
}
