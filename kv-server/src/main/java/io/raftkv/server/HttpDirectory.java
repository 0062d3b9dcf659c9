package io.raftkv.server;

import io.raftkv.core.server.RaftStatus;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Where each member serves HTTP, so that a follower can forward writes to the leader. Raft replicates only Raft
 * addresses (the configuration entries, thesis §4.1), so HTTP addresses are learned locally, in this order:
 * <ol>
 *   <li>this server's own {@code --http};</li>
 *   <li>{@code --http-peers} overrides;</li>
 *   <li>the {@code "http"} field of a {@code POST /join} this server saw (it received it, or a follower forwarded
 *       it here); kept in memory only, so other servers and restarts fall back to rule 4;</li>
 *   <li>the member's Raft address (from {@code --peers} or from the configuration in effect) with its port shifted
 *       by this server's {@code httpPort - raftPort}: with a uniform layout (the demo's 700x/800x) every server can
 *       find every other, including members added later.</li>
 * </ol>
 */
public final class HttpDirectory {
    private final ServerConfig config;
    private final Map<String, String> learned = new ConcurrentHashMap<>();
    private volatile Supplier<List<RaftStatus.MemberStatus>> members = List::of;

    public HttpDirectory(ServerConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Source of the configuration in effect (set once Raft runs). */
    public void membersFrom(Supplier<List<RaftStatus.MemberStatus>> source) {
        this.members = Objects.requireNonNull(source, "source");
    }

    /** Remembers the HTTP address a joining member announced. */
    public void learn(String memberId, String httpAddress) {
        ServerConfig.parseHostPort(httpAddress, "http of " + memberId);
        learned.put(memberId, httpAddress);
    }

    /** The HTTP host:port of {@code memberId}, if it can be known (see the class comment). */
    public Optional<String> httpAddressOf(String memberId) {
        if (memberId.equals(config.id()) || config.httpPeers().containsKey(memberId)) {
            return config.httpAddressOf(memberId);
        }
        String fromJoin = learned.get(memberId);
        if (fromJoin != null) {
            return Optional.of(fromJoin);
        }
        Optional<String> fromPeers = config.httpAddressOf(memberId);
        if (fromPeers.isPresent()) {
            return fromPeers;
        }
        for (RaftStatus.MemberStatus m : members.get()) {
            if (m.id().equals(memberId) && m.address() != null) {
                return config.httpAddressForRaft(m.address());
            }
        }
        return Optional.empty();
    }
}
