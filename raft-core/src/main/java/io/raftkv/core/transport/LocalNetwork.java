package io.raftkv.core.transport;

import io.raftkv.core.message.RaftMessage;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-process network joining {@link LocalTransport}s by node id: for tests, and for embedding several raftkv
 * servers in one JVM. Delivery calls the receiver's {@link MessageHandler} on the sender's thread; that is
 * non-blocking because handlers must not block (the {@link Transport} contract: a server's handler only
 * enqueues). Messages between a connected pair arrive in order and exactly once; a disconnected node or a cut
 * link drops them silently, as a real network would, and Raft retries.
 *
 * <p>Fault injection for tests: {@link #disconnect(String)} isolates a node (both directions),
 * {@link #cut(String, String)} drops one direction of one link, {@link #heal()} undoes everything.
 * Thread-safe.
 */
public final class LocalNetwork {
    private final Map<String, MessageHandler> handlers = new ConcurrentHashMap<>();
    private final Set<String> disconnected = ConcurrentHashMap.newKeySet();
    private final Set<String> cutLinks = ConcurrentHashMap.newKeySet();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /** Creates a transport for {@code nodeId} on this network (it joins when started). */
    public LocalTransport transport(String nodeId) {
        return new LocalTransport(this, nodeId);
    }

    void register(String nodeId, MessageHandler handler) {
        if (handlers.putIfAbsent(nodeId, handler) != null) {
            throw new IllegalStateException("node " + nodeId + " is already on this network");
        }
    }

    void unregister(String nodeId, MessageHandler handler) {
        handlers.remove(nodeId, handler);
    }

    /** True if a message from {@code from} to {@code to} would be delivered now. */
    boolean canDeliver(String from, String to) {
        return handlers.containsKey(to) && !disconnected.contains(from) && !disconnected.contains(to)
                && !cutLinks.contains(link(from, to));
    }

    void deliver(RaftMessage message) {
        MessageHandler target = handlers.get(message.to());
        if (target == null || !canDeliver(message.from(), message.to())) {
            dropped.incrementAndGet();
            return;
        }
        delivered.incrementAndGet();
        target.onMessage(message);
    }

    /** Isolates {@code nodeId}: everything it sends or should receive is dropped until {@link #reconnect}. */
    public void disconnect(String nodeId) {
        disconnected.add(nodeId);
    }

    public void reconnect(String nodeId) {
        disconnected.remove(nodeId);
    }

    /** Drops messages from {@code from} to {@code to} (one direction) until {@link #restore} or {@link #heal}. */
    public void cut(String from, String to) {
        cutLinks.add(link(from, to));
    }

    public void restore(String from, String to) {
        cutLinks.remove(link(from, to));
    }

    /** Reconnects every node and restores every link. */
    public void heal() {
        disconnected.clear();
        cutLinks.clear();
    }

    public boolean isRegistered(String nodeId) {
        return handlers.containsKey(nodeId);
    }

    public long delivered() {
        return delivered.get();
    }

    public long dropped() {
        return dropped.get();
    }

    private static String link(String from, String to) {
        return from + '\u0000' + to;
    }
}
