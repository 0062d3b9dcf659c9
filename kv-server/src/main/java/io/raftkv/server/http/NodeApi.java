package io.raftkv.server.http;

import io.raftkv.core.server.DiskAlarm;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.core.session.SessionStateMachine;
import io.raftkv.plugin.PluginInstance;
import io.raftkv.plugin.StateDigest;
import io.raftkv.plugin.http.ReadLevels;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The server's own HTTP API, whatever state machine it runs (docs/design.md §7), free of Netty: {@code /status},
 * {@code /metrics}, {@code /digest}, and through {@link MembershipApi} and {@link SnapshotApi} the membership routes
 * and {@code /snapshot}. Routing lives in {@link Routes}; the status codes a client can rely on live in
 * {@link ErrorReplies}. What the state machine adds (its routes, its digest, its status fields) comes from its
 * plugin ({@link PluginInstance}); {@link #host()} is how any front door proposes and reads.
 *
 * <p>Only the membership routes pass a follower's request on to the leader's HTTP API ({@link LeaderForwarder}):
 * writes and reads are served by the server that received them, through Raft.
 */
public final class NodeApi {
    private final RaftServer raft;
    private final String stateMachineName;
    private final PluginInstance plugin;
    private final NodeHost host;
    private final LeaderForwarder forwarder;
    private final Function<String, Optional<String>> httpAddressOf;
    private final Supplier<String> metricsScrape;
    private final long caughtUpLag;
    private final MembershipApi membership;
    private final SnapshotApi snapshots;
    private final SessionApi sessions;

    /**
     * @param stateMachineName the plugin's name, reported in {@code /status}
     * @param completions      where answers are built: RaftServer completes its futures on the raft and apply
     *                         threads, which must not spend their time decoding results and encoding JSON
     * @param learnHttp        told the HTTP address a joining member announces ({@code POST /join})
     * @param transferWait     how long {@code /transfer-leader} waits for another leader
     * @param caughtUpLag      a member is reported {@code caughtUp} when its match index is within this many entries
     *                         of the leader's last index (the core's {@code promoteLagEntries})
     * @param sessions         the client sessions' table around the plugin's state machine (what the raft server
     *                         applies to), or null if the plugin keeps none ({@link PluginInstance#clientSessions})
     */
    public NodeApi(RaftServer raft, String stateMachineName, PluginInstance plugin, LeaderForwarder forwarder,
                   Function<String, Optional<String>> httpAddressOf, Duration requestTimeout,
                   Supplier<String> metricsScrape, Executor completions, BiConsumer<String, String> learnHttp,
                   Duration transferWait, long caughtUpLag, SessionStateMachine sessions) {
        this.raft = raft;
        this.stateMachineName = stateMachineName;
        this.plugin = plugin;
        this.sessions = new SessionApi(raft, sessions, requestTimeout, completions, java.time.Clock.systemUTC());
        this.host = new NodeHost(raft, requestTimeout, completions, this.sessions);
        this.forwarder = forwarder;
        this.httpAddressOf = httpAddressOf;
        this.metricsScrape = metricsScrape;
        this.caughtUpLag = caughtUpLag;
        this.membership = new MembershipApi(raft, this, learnHttp, requestTimeout, transferWait, completions);
        this.snapshots = new SnapshotApi(raft, completions);
    }

    /** How front doors propose and read through this server. */
    public NodeHost host() {
        return host;
    }

    /**
     * {@code GET /status}: this server's view of the cluster. 200, or 503 while the server cannot serve at all
     * (stopped after a fatal error, or stuck on a stalled disk), with the same body and an {@code error}: a health
     * check on {@code /status} then fails for the right reason.
     */
    public Reply status() {
        RaftStatus s = raft.status();
        List<DiskAlarm> alarms = raft.diskAlarms();
        boolean stalled = alarms.stream().anyMatch(a -> a instanceof DiskAlarm.Stalled);
        String reason = !s.running() ? raft.failure().map(t -> "stopped after a fatal error: "
                + (t.getMessage() == null ? t.toString() : t.getMessage()))
                .orElse("stopped") : stalled ? alarms.get(0).message() : null;
        Map<String, Object> body = new LinkedHashMap<>();
        if (reason != null) {
            body.put("error", reason);
        }
        body.put("id", s.id());
        // A stalled server's last published role is stale: it is silent and another server may lead already.
        body.put("role", stalled ? "stalled" : roleName(s));
        if (stalled) {
            body.put("lastRole", roleName(s));
        }
        body.put("term", s.term());
        body.put("leader", s.leaderId());
        body.put("leaderHttp", s.leaderId() == null ? null : httpAddressOf.apply(s.leaderId()).orElse(null));
        body.put("commitIndex", s.commitIndex());
        body.put("appliedIndex", s.appliedIndex());
        body.put("lastLogIndex", s.lastLogIndex());
        List<Map<String, Object>> members = new ArrayList<>();
        for (RaftStatus.MemberStatus m : s.members()) {
            Map<String, Object> mm = new LinkedHashMap<>();
            mm.put("id", m.id());
            mm.put("raft", m.address());
            mm.put("http", httpAddressOf.apply(m.id()).orElse(null));
            mm.put("role", m.voter() ? "voter" : "learner");
            mm.put("voter", m.voter());
            if (m.matchIndex() != null) { // known only on the leader (§5.3 matchIndex)
                mm.put("matchIndex", m.matchIndex());
                mm.put("caughtUp", m.matchIndex() >= s.lastLogIndex() - caughtUpLag);
            }
            if (m.nextIndex() != null) { // the leader's §5.3 nextIndex for that follower
                mm.put("nextIndex", m.nextIndex());
            }
            members.add(mm);
        }
        body.put("members", members);
        if (s.joint() != null) { // a joint-consensus change (Raft §6) is under way: majorities of both count
            Map<String, Object> joint = new LinkedHashMap<>();
            joint.put("old", s.joint().oldVoters());
            joint.put("new", s.joint().newVoters());
            body.put("joint", joint);
        }
        body.put("snapshot", snapshotStatus(s));
        body.put("sessions", sessions.sessionCount());
        body.put("running", s.running());
        body.put("alarms", alarms.stream().map(ErrorReplies::alarmJson).toList());
        body.put("stateMachine", stateMachineName);
        body.putAll(plugin.status());
        return Reply.json(reason == null ? 200 : 503, body);
    }

    /**
     * The newest snapshot held here: {@code lastIncludedIndex} (what the log was compacted to), and, once there is
     * one, its {@code index}, {@code term}, {@code bytes}, {@code takenAt} (when it became durable), {@code millis}
     * (capture to durable, or first chunk to durable when installed) and {@code origin} (taken here, installed
     * from the leader, loaded at start).
     */
    private static Map<String, Object> snapshotStatus(RaftStatus s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("lastIncludedIndex", s.lastSnapshotIndex());
        io.raftkv.core.server.SnapshotInfo info = s.lastSnapshot();
        if (info != null) {
            out.put("index", info.index());
            out.put("term", info.term());
            out.put("bytes", info.bytes());
            out.put("takenAt", info.completedAt() == null ? null : info.completedAt().toString());
            out.put("millis", info.duration() == null ? null : info.duration().toMillis());
            out.put("origin", info.origin().lowerName());
        }
        return out;
    }

    /**
     * {@code GET /digest?level=...}: a digest of the whole state with the index it was taken at, as the plugin
     * computes it ({@link StateDigest}); 404 for a state machine that has none. Two servers converged iff they
     * report the same digest at the same {@code appliedIndex}. Stale by default, because the point is to compare
     * each server's own state.
     */
    public CompletableFuture<Reply> digest(Request req) {
        StateDigest digest = plugin.digest();
        if (digest == null) {
            return done(Reply.error(404, "the " + stateMachineName + " state machine has no digest"));
        }
        ReadLevel level;
        try {
            level = ReadLevels.parse(req.param("level"), ReadLevel.STALE);
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        // Answered locally even at stronger levels: forwarding would report the leader's digest.
        return host.answer(req, raft.read(digest.query(), level), false, answer -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("id", raft.id());
            body.putAll(digest.describe(answer));
            return Reply.json(200, body);
        });
    }

    /** {@code GET /metrics}: Prometheus text exposition of every meter of this process. */
    public Reply metrics() {
        return Reply.text(200, Reply.PROMETHEUS, metricsScrape.get());
    }

    /** {@code POST /snapshot}: see {@link SnapshotApi}. */
    public SnapshotApi snapshots() {
        return snapshots;
    }

    /** {@code POST /session}, keep-alive, close: see {@link SessionApi}. */
    public SessionApi sessions() {
        return sessions;
    }

    /** Join, remove, reconfigure, transfer-leader: see {@link MembershipApi}. */
    public MembershipApi membership() {
        return membership;
    }

    /** If another server is known to lead, forward there (unless this request was already forwarded once). */
    Optional<CompletableFuture<Reply>> forwardIfFollower(Request req, boolean isWrite) {
        RaftStatus s = raft.status();
        if (!s.running()) {
            return Optional.empty(); // a stopped server forwards nothing: it answers 503 with why it stopped
        }
        if (s.isLeader() || s.leaderId() == null || s.leaderId().equals(raft.id()) || req.isForwarded()) {
            return Optional.empty(); // leader, or no better idea: let the local server decide
        }
        return Optional.of(forwardTo(s.leaderId(), req, isWrite));
    }

    CompletableFuture<Reply> forwardOrUnavailable(Request req, boolean isWrite) {
        String leader = raft.status().leaderId();
        if (req.isForwarded()) {
            return done(Reply.error(503, "not leader (forwarded by " + req.forwarded() + "; leader is "
                    + (leader == null ? "unknown" : leader) + "); retry"));
        }
        if (leader == null || leader.equals(raft.id())) {
            return done(Reply.error(503, "no leader known; retry"));
        }
        return forwardTo(leader, req, isWrite);
    }

    private CompletableFuture<Reply> forwardTo(String leader, Request req, boolean isWrite) {
        Optional<String> http = httpAddressOf.apply(leader);
        if (http.isEmpty()) {
            return done(Reply.error(503, "leader " + leader + " has no known HTTP address (see --http-peers)"));
        }
        return forwarder.forward(leader, http.get(), req, isWrite);
    }

    private static String roleName(RaftStatus s) {
        if (s.role() == null) {
            return "stopped";
        }
        for (RaftStatus.MemberStatus m : s.members()) {
            if (m.id().equals(s.id()) && !m.voter()) {
                return "learner";
            }
        }
        return switch (s.role()) {
            case LEADER -> "leader";
            case FOLLOWER -> "follower";
            // Pre-vote (thesis §9.6) is the first step of candidacy; clients only need to know "electing".
            case CANDIDATE, PRE_CANDIDATE -> "candidate";
        };
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }
}
