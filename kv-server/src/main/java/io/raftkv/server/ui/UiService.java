package io.raftkv.server.ui;

import io.netty.channel.ChannelHandler;

import java.util.Collection;
import java.util.function.Supplier;

/**
 * The cluster view's front door on one server, shared by all its connections: the page's files, the server's
 * {@link EventHub}, who may read across origins, and the stream's limits. {@link #newHandler()} makes the Netty
 * handler each HTTP connection gets (see {@link UiHandler}).
 */
public final class UiService {
    /** How often a stream writes what queued up (and so the coalescing interval). */
    static final long DRAIN_INTERVAL_MS = 100;
    /** Events a stream may hold for a slow client before it is cut off (about a second of a busy leader). */
    static final int QUEUE_CAPACITY = 32_768;
    /** A drain interval with more events than this is coalesced (see {@link EventCoalescer}). */
    static final int COALESCE_ABOVE = 256;

    private final UiAssets assets = new UiAssets();
    private final EventHub hub;
    private final MemberOrigins origins;
    private final EventCoalescer coalescer = new EventCoalescer(COALESCE_ABOVE);
    private final int queueCapacity;
    private final long drainIntervalMs;

    /** @param memberHttpAddresses the HTTP {@code host:port} of every member as currently known (for CORS) */
    public UiService(EventHub hub, Supplier<? extends Collection<String>> memberHttpAddresses) {
        this(hub, memberHttpAddresses, QUEUE_CAPACITY, DRAIN_INTERVAL_MS);
    }

    UiService(EventHub hub, Supplier<? extends Collection<String>> memberHttpAddresses, int queueCapacity,
              long drainIntervalMs) {
        this.hub = hub;
        this.origins = new MemberOrigins(memberHttpAddresses);
        this.queueCapacity = queueCapacity;
        this.drainIntervalMs = drainIntervalMs;
    }

    /** A handler for one new connection; it goes in front of the KV API's handler. */
    public ChannelHandler newHandler() {
        return new UiHandler(this);
    }

    UiAssets assets() {
        return assets;
    }

    EventHub hub() {
        return hub;
    }

    MemberOrigins origins() {
        return origins;
    }

    EventCoalescer coalescer() {
        return coalescer;
    }

    int queueCapacity() {
        return queueCapacity;
    }

    long drainIntervalMs() {
        return drainIntervalMs;
    }
}
