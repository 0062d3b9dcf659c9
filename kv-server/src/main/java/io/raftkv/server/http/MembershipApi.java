package io.raftkv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.core.NotLeaderException;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.plugin.http.Json;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;
import io.raftkv.server.ServerConfig;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * {@code POST /join}, {@code /remove}, {@code /transfer-leader}: single-server membership changes (thesis §4.1)
 * and leadership transfer (§3.10); {@code POST /reconfigure}: any number of changes at once by joint consensus
 * (Raft §6). A follower forwards them to the leader's HTTP API; the leader validates them against the configuration
 * in effect and proposes them through {@link RaftServer}.
 *
 * <p>A joining server is added as a <b>learner</b> (§4.2.1): it receives the log without counting for quorums, so
 * a new, empty server cannot cost availability while it catches up; the leader promotes it to voter once its match
 * index is within {@code promoteLagEntries} of the leader's log (core option {@code autoPromoteLearners}).
 */
public final class MembershipApi {
    private final RaftServer raft;
    private final NodeApi api;
    private final BiConsumer<String, String> learnHttp;
    private final Duration requestTimeout;
    private final Duration transferWait;
    private final Executor completions;

    /**
     * @param api          for forwarding to the leader exactly like writes
     * @param learnHttp    told the {@code "http"} address a joining member announces
     * @param transferWait how long {@code /transfer-leader} waits for another server to lead (2 election timeouts)
     */
    public MembershipApi(RaftServer raft, NodeApi api, BiConsumer<String, String> learnHttp, Duration requestTimeout,
                         Duration transferWait, Executor completions) {
        this.raft = raft;
        this.api = api;
        this.learnHttp = learnHttp;
        this.requestTimeout = requestTimeout;
        this.transferWait = transferWait;
        this.completions = completions;
    }

    /**
     * {@code POST /join {"id":"n4","addr":"host:raftPort","http":"host:httpPort"}} ({@code http} optional): adds the
     * server as a learner. 200 {"id","index","voter"} once the configuration entry is applied here (also when it is
     * already a member at the same address: joining is idempotent, so a joiner may retry after a timeout); 409 if
     * the id or the Raft address is taken by another member; 400 bad input; 503 another change pending, retry.
     */
    public CompletableFuture<Reply> join(Request req) {
        JsonNode body;
        try {
            body = Json.parseBody(req.body());
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        String id = text(body, "id");
        String addr = text(body, "addr");
        String http = text(body, "http");
        if (!body.isObject() || id == null || id.isBlank() || addr == null
                || (body.has("http") && http == null)) {
            return done(Reply.error(400, "join needs {\"id\": string, \"addr\": \"host:raftPort\""
                    + " [, \"http\": \"host:httpPort\"]}"));
        }
        try {
            ServerConfig.parseHostPort(addr, "addr");
            if (http != null) {
                ServerConfig.parseHostPort(http, "http");
            }
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        if (http != null) {
            learnHttp.accept(id, http); // before forwarding: this server may forward to the new member later
        }
        Optional<CompletableFuture<Reply>> forwarded = api.forwardIfFollower(req, true);
        if (forwarded.isPresent()) {
            return forwarded.get();
        }
        RaftStatus s = raft.status();
        // Only the leader's configuration is authoritative; elsewhere the proposal fails and is forwarded.
        for (RaftStatus.MemberStatus m : s.isLeader() ? s.members() : java.util.List.<RaftStatus.MemberStatus>of()) {
            if (m.id().equals(id)) {
                return done(addr.equals(m.address())
                        ? joined(id, m.voter(), s)
                        : Reply.error(409, id + " is already a member with address " + m.address()));
            }
            if (addr.equals(m.address())) {
                return done(Reply.error(409, "address " + addr + " already belongs to member " + m.id()));
            }
        }
        return change(req, new MembershipChange.AddLearner(id, addr), () -> joined(id, false, raft.status()));
    }

    /**
     * {@code POST /remove {"id":"n4"}}: 200 {"removed","index"}; 404 not a member; 409 the last voter; 503 another
     * change pending. Removing the leader itself is allowed: it steps down once the entry commits (thesis §4.2.2).
     */
    public CompletableFuture<Reply> remove(Request req) {
        JsonNode body;
        try {
            body = Json.parseBody(req.body());
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        String id = text(body, "id");
        if (!body.isObject() || id == null || id.isBlank()) {
            return done(Reply.error(400, "remove needs {\"id\": string}"));
        }
        Optional<CompletableFuture<Reply>> forwarded = api.forwardIfFollower(req, true);
        if (forwarded.isPresent()) {
            return forwarded.get();
        }
        RaftStatus s = raft.status();
        if (s.isLeader() && s.members().stream().noneMatch(m -> m.id().equals(id))) {
            return done(Reply.error(404, id + " is not a member"));
        }
        if (s.isLeader() && s.members().stream().allMatch(m -> m.id().equals(id) || !m.voter())) {
            return done(Reply.error(409, "cannot remove " + id + ": it is the last voter"));
        }
        return change(req, new MembershipChange.Remove(id), () -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("removed", id);
            out.put("index", raft.status().appliedIndex());
            return Reply.json(200, out);
        });
    }

    /**
     * {@code POST /reconfigure {"voters":["n1","n3","n4"],"learners":["n5"]}} ({@code learners} optional): moves the
     * cluster to exactly these voters and learners in one step by joint consensus (Raft §6) — e.g. swap two servers
     * for two others without passing through a smaller configuration. Every named server must already be a member
     * (a new one joins as a learner with {@code /join} first and catches up; naming it a voter here promotes it);
     * members not named are removed, the leader included (it steps down once C_new is committed). 200
     * {"voters","learners","members","index"} once C_new is committed and applied here, or at once if the
     * configuration already is the one asked for (so a retry after a timeout is safe); 400 bad input, no voter, a
     * server named twice or not a member; 409 another membership change is still in progress; 503 the leader cannot
     * take it right now (no entry of its term committed yet, a transfer, a learner to promote still catching up),
     * retry; 504 outcome unknown (leadership lost, or C_new not applied within the request timeout).
     */
    public CompletableFuture<Reply> reconfigure(Request req) {
        Set<String> voters = new TreeSet<>();
        Set<String> learners = new TreeSet<>();
        try {
            JsonNode body = Json.parseBody(req.body());
            if (!body.isObject()) {
                throw new IllegalArgumentException("reconfigure needs {\"voters\": [id, ...], \"learners\": [id, ...]}");
            }
            body.fieldNames().forEachRemaining(f -> {
                if (!f.equals("voters") && !f.equals("learners")) {
                    // Members not named are removed: a misspelt field must not silently drop servers.
                    throw new IllegalArgumentException("unknown field \"" + f + "\"; expected voters and learners");
                }
            });
            readIds(body, "voters", voters);
            readIds(body, "learners", learners);
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        if (voters.isEmpty()) {
            return done(Reply.error(400, "the new configuration needs at least one voter"));
        }
        for (String id : voters) {
            if (learners.contains(id)) {
                return done(Reply.error(400, id + " is named both as a voter and as a learner"));
            }
        }
        Optional<CompletableFuture<Reply>> forwarded = api.forwardIfFollower(req, true);
        if (forwarded.isPresent()) {
            return forwarded.get();
        }
        RaftStatus s = raft.status();
        if (s.isLeader()) {
            Set<String> unknown = new TreeSet<>(voters);
            unknown.addAll(learners);
            s.members().forEach(m -> unknown.remove(m.id()));
            if (!unknown.isEmpty()) {
                return done(Reply.error(400, "not members: " + unknown + "; add them with /join first (they join as"
                        + " learners and catch up, then /reconfigure can make them voters)"));
            }
            if (s.joint() == null && configurationIs(s, voters, learners)) {
                return done(reconfigured(s.members(), s.appliedIndex()));
            }
        }
        return raft.reconfigure(voters, learners)
                .orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .handleAsync((configuration, error) -> {
                    if (error == null) {
                        return done(reconfigured(memberStatuses(configuration), raft.status().appliedIndex()));
                    }
                    Throwable cause = unwrap(error);
                    if (cause instanceof NotLeaderException) {
                        return api.forwardOrUnavailable(req, true);
                    }
                    if (cause instanceof ProposalRejectedException r) {
                        return done(switch (r.reason()) {
                            case CHANGE_IN_PROGRESS -> Reply.error(409, r.getMessage());
                            case INVALID -> Reply.error(400, r.getMessage());
                            case RETRY_LATER -> Reply.error(503, r.getMessage() + "; retry");
                        });
                    }
                    return done(ErrorReplies.of(cause, true));
                }, completions)
                .thenCompose(f -> f);
    }

    private static void readIds(JsonNode body, String field, Set<String> into) {
        JsonNode list = body.get(field);
        if (list == null || list.isNull()) {
            return;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException("\"" + field + "\" must be an array of server ids");
        }
        for (JsonNode id : list) {
            if (!id.isTextual() || id.textValue().isBlank()) {
                throw new IllegalArgumentException("\"" + field + "\" must hold non-empty server ids, got " + id);
            }
            if (!into.add(id.textValue())) {
                throw new IllegalArgumentException(id.textValue() + " is listed twice in \"" + field + "\"");
            }
        }
    }

    /** True if the members are exactly {@code voters} as voters and {@code learners} as learners. */
    private static boolean configurationIs(RaftStatus s, Set<String> voters, Set<String> learners) {
        return s.members().size() == voters.size() + learners.size()
                && s.members().stream().allMatch(m -> m.voter() ? voters.contains(m.id()) : learners.contains(m.id()));
    }

    private static List<RaftStatus.MemberStatus> memberStatuses(Configuration configuration) {
        return configuration.members().stream()
                .map(m -> new RaftStatus.MemberStatus(m.id(), m.address(), m.voter(), null)).toList();
    }

    private static Reply reconfigured(List<RaftStatus.MemberStatus> members, long index) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("voters", members.stream().filter(RaftStatus.MemberStatus::voter).map(RaftStatus.MemberStatus::id).toList());
        out.put("learners", members.stream().filter(m -> !m.voter()).map(RaftStatus.MemberStatus::id).toList());
        out.put("members", memberList(members));
        out.put("index", index);
        return Reply.json(200, out);
    }

    /**
     * {@code POST /transfer-leader {"id":"n2"}} (or {@code {}} / no body: the most caught-up voter): asks the leader
     * to hand over (§3.10) and waits until another server leads. 200 {"leader","term"}; 504 if no other server took
     * over within two election timeouts (the leader abandons the transfer and keeps leading); 404 unknown target.
     */
    public CompletableFuture<Reply> transferLeader(Request req) {
        String target = null;
        if (req.body().length > 0) {
            JsonNode body;
            try {
                body = Json.parseBody(req.body());
            } catch (IllegalArgumentException e) {
                return done(Reply.error(400, e.getMessage()));
            }
            if (!body.isObject() || (body.has("id") && !body.get("id").isTextual() && !body.get("id").isNull())) {
                return done(Reply.error(400, "transfer-leader takes {\"id\": string} or {}"));
            }
            target = text(body, "id");
        }
        Optional<CompletableFuture<Reply>> forwarded = api.forwardIfFollower(req, true);
        if (forwarded.isPresent()) {
            return forwarded.get();
        }
        RaftStatus s = raft.status();
        String self = raft.id();
        if (target != null && s.isLeader()) {
            String t = target;
            Optional<RaftStatus.MemberStatus> m = s.members().stream().filter(x -> x.id().equals(t)).findFirst();
            if (m.isEmpty() || !m.get().voter()) {
                return done(Reply.error(404, target + " is not a voting member"));
            }
            if (target.equals(self)) {
                return done(leaderReply(self, s.term()));
            }
        }
        String wanted = target;
        return raft.transferLeadership(target)
                .thenCompose(v -> awaitNewLeader(self, wanted, System.nanoTime() + transferWait.toNanos()))
                .exceptionallyCompose(error -> {
                    Throwable cause = unwrap(error);
                    if (cause instanceof NotLeaderException) {
                        return api.forwardOrUnavailable(req, true);
                    }
                    return done(cause instanceof ProposalRejectedException
                            ? Reply.error(503, cause.getMessage() + "; retry")
                            : ErrorReplies.of(cause, false));
                });
    }

    private CompletableFuture<Reply> awaitNewLeader(String self, String target, long deadline) {
        RaftStatus s = raft.status();
        String leader = s.leaderId();
        if (leader != null && !leader.equals(self) && (target == null || leader.equals(target))) {
            return done(leaderReply(leader, s.term()));
        }
        if (System.nanoTime() - deadline >= 0) {
            return done(Reply.error(504, "leadership did not move within " + transferWait.toMillis()
                    + " ms; leader is " + (leader == null ? "unknown" : leader) + "; retry"));
        }
        Executor later = CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS, completions);
        return CompletableFuture.supplyAsync(() -> null, later).thenCompose(v -> awaitNewLeader(self, target, deadline));
    }

    private CompletableFuture<Reply> change(Request req, MembershipChange change,
                                            java.util.function.Supplier<Reply> onApplied) {
        return raft.changeMembership(change)
                .orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .handleAsync((v, error) -> {
                    if (error == null) {
                        return done(onApplied.get());
                    }
                    Throwable cause = unwrap(error);
                    if (cause instanceof NotLeaderException) {
                        return api.forwardOrUnavailable(req, true);
                    }
                    if (cause instanceof ProposalRejectedException) {
                        // Another change pending, no entry of the leader's term committed yet, a transfer in
                        // progress, or (a race with another request) the change no longer applies: all transient.
                        return done(Reply.error(503, cause.getMessage() + "; retry"));
                    }
                    return done(ErrorReplies.of(cause, true));
                }, completions)
                .thenCompose(f -> f);
    }

    /**
     * The join answer. {@code index}: the leader's last log index after the change was applied, so at or after
     * the configuration entry ({@link RaftServer#changeMembership} does not report the entry's own index).
     * {@code members}: the configuration, so the new server can reach the leader before its own log holds a
     * configuration (its transport only dials the members of the configuration in effect, which is empty).
     */
    private static Reply joined(String id, boolean voter, RaftStatus s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("index", s.lastLogIndex());
        out.put("voter", voter);
        out.put("members", memberList(s.members()));
        return Reply.json(200, out);
    }

    private static List<Map<String, Object>> memberList(List<RaftStatus.MemberStatus> members) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (RaftStatus.MemberStatus m : members) {
            Map<String, Object> mm = new LinkedHashMap<>();
            mm.put("id", m.id());
            mm.put("addr", m.address());
            mm.put("voter", m.voter());
            out.add(mm);
        }
        return out;
    }

    private static Reply leaderReply(String leader, long term) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("leader", leader);
        out.put("term", term);
        return Reply.json(200, out);
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        return n != null && n.isTextual() ? n.textValue() : null;
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }
}
