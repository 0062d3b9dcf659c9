package io.raftkv.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.core.NotLeaderException;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.kv.KvCodec;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvQuery;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.plugin.http.Json;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The KV store's HTTP API (docs/design.md §7), free of Netty: each method takes a {@link Request} and completes with
 * a {@link Reply}. Routing lives in {@link Routes}; the status codes a client can rely on live in
 * {@link ErrorReplies}.
 *
 * <p><b>Life of a write.</b> Parse and validate (400, 413 without touching the log) → propose to the local
 * {@link RaftServer}, on any server: a follower hands the command to the leader over the Raft transport and
 * completes it from its own apply → the state machine's result becomes 204 / 200 / 409 / 413; a failure becomes
 * 503 (not applied) or 504 (outcome unknown).
 *
 * <p><b>Reads.</b> Every level is served by the server that received the request. {@code stale}: from the local
 * state machine at once. {@code linearizable} (ReadIndex, thesis §6.4): the read index comes from the leader (one
 * request for all reads of a loop turn), then this server answers once it has applied up to it. {@code lease}
 * (§6.4.1): the leader answers at once while its lease holds; a follower takes the ReadIndex path.
 *
 * <p>Only the membership routes still pass a follower's request on to the leader's HTTP API
 * ({@link LeaderForwarder}).
 */
public final class KvApi {
    private final RaftServer raft;
    private final KvStateMachine stateMachine;
    private final LeaderForwarder forwarder;
    private final Function<String, Optional<String>> httpAddressOf;
    private final Duration requestTimeout;
    private final Supplier<String> metricsScrape;
    private final Executor completions;
    private final long caughtUpLag;
    private final MembershipApi membership;
    private final SnapshotApi snapshots;

    /**
     * @param completions where answers are built: RaftServer completes its futures on the raft and apply
     *                    threads, which must not spend their time decoding results and encoding JSON
     * @param learnHttp    told the HTTP address a joining member announces ({@code POST /join})
     * @param transferWait how long {@code /transfer-leader} waits for another leader
     * @param caughtUpLag  a member is reported {@code caughtUp} when its match index is within this many entries
     *                     of the leader's last index (the core's {@code promoteLagEntries})
     */
    public KvApi(RaftServer raft, KvStateMachine stateMachine, LeaderForwarder forwarder,
                 Function<String, Optional<String>> httpAddressOf, Duration requestTimeout,
                 Supplier<String> metricsScrape, Executor completions, BiConsumer<String, String> learnHttp,
                 Duration transferWait, long caughtUpLag) {
        this.caughtUpLag = caughtUpLag;
        this.membership = new MembershipApi(raft, this, learnHttp, requestTimeout, transferWait, completions);
        this.snapshots = new SnapshotApi(raft, completions);
        this.completions = completions;
        this.raft = raft;
        this.stateMachine = stateMachine;
        this.forwarder = forwarder;
        this.httpAddressOf = httpAddressOf;
        this.requestTimeout = requestTimeout;
        this.metricsScrape = metricsScrape;
        if (UNSAFE_LOCAL_LINEARIZABLE_READS) {
            // Never silent: a JAVA_TOOL_OPTIONS left over from a test run must not quietly break linearizability.
            org.slf4j.LoggerFactory.getLogger(KvApi.class).warn("{}: UNSAFE -Draftkv.unsafe.localLinearizableReads"
                    + " is set: linearizable reads are served from local state WITHOUT ReadIndex (a deliberate bug"
                    + " for raft-fault's mutation test)", raft.id());
        }
    }

    // ------------------------------------------------------------------------------------------- keys

    /** {@code GET /key/{key}?level=linearizable|lease|stale}: 200 {"key":"value"} or 404. */
    public CompletableFuture<Reply> get(Request req, String key) {
        ReadLevel level;
        try {
            level = readLevel(req.param("level"));
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        byte[] keyBytes = utf8(key);
        Reply bad = checkKey(keyBytes);
        if (bad != null) {
            return done(bad);
        }
        return read(req, level, new KvQuery.Get(keyBytes), result -> {
            if (result instanceof KvResult.Found f) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put(key, new String(f.value(), StandardCharsets.UTF_8));
                return Reply.json(200, body);
            }
            if (result instanceof KvResult.NotFound) {
                return Reply.error(404, "key not found");
            }
            return resultReply(result);
        });
    }

    /** {@code PUT /key/{key}}, body = the value's bytes: 204. */
    public CompletableFuture<Reply> put(Request req, String key) {
        return write(req, new KvCommand.Put(utf8(key), req.body()));
    }

    /** {@code DELETE /key/{key}}: 204 (also when the key was absent). */
    public CompletableFuture<Reply> delete(Request req, String key) {
        return write(req, new KvCommand.Delete(utf8(key)));
    }

    /** {@code POST /key}, body {"k1":"v1",...}: an atomic batch of puts (hraftd's write), 204. */
    public CompletableFuture<Reply> batch(Request req) {
        JsonNode body;
        try {
            body = parseJson(req.body());
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        if (!body.isObject()) {
            return done(Reply.error(400, "body must be a JSON object of string keys to string values"));
        }
        List<KvCommand.Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                return done(Reply.error(400, "value of key '" + abbreviate(e.getKey()) + "' must be a string"));
            }
            entries.add(new KvCommand.Entry(utf8(e.getKey()), utf8(e.getValue().textValue())));
        }
        if (entries.isEmpty()) {
            return done(Reply.noContent()); // nothing to write; no need to spend a log entry on it
        }
        return write(req, new KvCommand.PutBatch(entries));
    }

    /**
     * {@code POST /cas/{key}}, body {"expect": "old"|null, "value": "new"|null}: 200 {"swapped":true} if the key
     * held {@code expect} (null: was absent) and now holds {@code value} (null: deleted); else 409
     * {"current": value-or-null}. Both fields are required so that a typo cannot turn into "expect absent".
     */
    public CompletableFuture<Reply> cas(Request req, String key) {
        JsonNode body;
        try {
            body = parseJson(req.body());
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        if (!body.isObject() || !body.has("expect") || !body.has("value")) {
            return done(Reply.error(400, "body must be {\"expect\": string|null, \"value\": string|null}"));
        }
        JsonNode expect = body.get("expect");
        JsonNode value = body.get("value");
        if (!(expect.isNull() || expect.isTextual()) || !(value.isNull() || value.isTextual())) {
            return done(Reply.error(400, "\"expect\" and \"value\" must be strings or null"));
        }
        return write(req, new KvCommand.CompareAndSet(utf8(key),
                expect.isNull() ? null : utf8(expect.textValue()),
                value.isNull() ? null : utf8(value.textValue())))
                // A swap answers 200 with a body (not 204) so that "swapped" and "409 current" read alike.
                .thenApply(r -> r.status() == 204 ? Reply.json(200, Map.of("swapped", true)) : r);
    }

    // ------------------------------------------------------------------------------------------- cluster

    /** {@code GET /status}: this server's view of the cluster. */
    public Reply status() {
        RaftStatus s = raft.status();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", s.id());
        body.put("role", roleName(s));
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
        body.put("running", s.running());
        body.put("keys", stateMachine.size());
        return Reply.json(200, body);
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
     * {@code GET /digest?level=...}: an order-independent digest of the whole state with the index it was taken
     * at. Two servers converged iff they report the same digest at the same {@code appliedIndex}. Stale by
     * default, because the point is to compare each server's own state.
     */
    public CompletableFuture<Reply> digest(Request req) {
        ReadLevel level;
        try {
            String p = req.param("level");
            level = p == null ? ReadLevel.STALE : readLevel(p);
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        // Digest is answered locally even at stronger levels: forwarding would report the leader's digest.
        return local(req, raft.read(KvCodec.encodeQuery(new KvQuery.Digest()), level), false, result -> {
            if (result instanceof KvResult.StateDigest d) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("id", raft.id());
                body.put("digest", HexFormat.of().formatHex(d.digest()));
                body.put("keys", d.size());
                body.put("appliedIndex", d.lastAppliedIndex());
                return Reply.json(200, body);
            }
            return resultReply(result);
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

    /** Join, remove, transfer-leader: see {@link MembershipApi}. */
    public MembershipApi membership() {
        return membership;
    }

    // ------------------------------------------------------------------------------------------- plumbing

    private CompletableFuture<Reply> write(Request req, KvCommand command) {
        Optional<KvResult.TooLarge> tooLarge = stateMachine.validate(command);
        if (tooLarge.isPresent()) {
            return done(resultReply(tooLarge.get()));
        }
        if (command instanceof KvCommand.Put p) {
            Reply bad = checkKey(p.key());
            if (bad != null) {
                return done(bad);
            }
        } else if (command instanceof KvCommand.Delete d) {
            Reply bad = checkKey(d.key());
            if (bad != null) {
                return done(bad);
            }
        } else if (command instanceof KvCommand.CompareAndSet c) {
            Reply bad = checkKey(c.key());
            if (bad != null) {
                return done(bad);
            }
        } else if (command instanceof KvCommand.PutBatch b) {
            for (KvCommand.Entry e : b.entries()) {
                Reply bad = checkKey(e.key());
                if (bad != null) {
                    return done(bad);
                }
            }
        }
        // Any server takes the write: a follower hands it to the leader over the Raft transport (one message for
        // everything that arrived in a loop turn) and answers from its own apply of the entry.
        return local(req, raft.propose(KvCodec.encodeCommand(command)), true, this::resultReply);
    }

    /**
     * UNSAFE, a deliberate bug for raft-fault's mutation test only (never a feature): with
     * {@code -Draftkv.unsafe.localLinearizableReads=true} a "linearizable" read is answered from the local state
     * machine without ReadIndex (thesis §6.4), so a deposed leader or a lagging follower serves stale values.
     */
    private static final boolean UNSAFE_LOCAL_LINEARIZABLE_READS =
            Boolean.getBoolean("raftkv.unsafe.localLinearizableReads");

    private CompletableFuture<Reply> read(Request req, ReadLevel requested, KvQuery query,
                                          Function<KvResult, Reply> onResult) {
        ReadLevel level = UNSAFE_LOCAL_LINEARIZABLE_READS && requested == ReadLevel.LINEARIZABLE
                ? ReadLevel.STALE : requested;
        // Served here at every level: a linearizable read on a follower asks the leader for a read index (thesis
        // §6.4), waits until this server has applied it and answers from its own state; a lease read on a
        // follower does the same (only a leader can hold a lease, §6.4.1).
        return local(req, raft.read(KvCodec.encodeQuery(query), level), false, onResult);
    }

    /**
     * Turns the raft server's answer into a reply, on the request's own event loop when it has one (the raft and
     * apply threads that complete {@code future} must not spend their time decoding and encoding JSON).
     */
    private CompletableFuture<Reply> local(Request req, CompletableFuture<byte[]> future, boolean isWrite,
                                           Function<KvResult, Reply> onResult) {
        if (!(req.loop() instanceof io.netty.channel.EventLoop loop)) {
            // Not from a client connection (tests, tools): time out with CompletableFuture's own scheduler.
            return future.orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .handleAsync((bytes, error) -> toReply(bytes, error, isWrite, onResult), completions);
        }
        // The request's own event loop keeps its deadline and builds its answer: no timer thread to wake and no
        // hand-off beyond the one that brings the result back to the loop.
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        io.netty.util.concurrent.ScheduledFuture<?> timer = loop.schedule(() -> {
            // Completing the server's future frees the request's place in the pending bound at once.
            future.completeExceptionally(new java.util.concurrent.TimeoutException("no answer within "
                    + requestTimeout.toMillis() + " ms"));
        }, requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        future.whenComplete((bytes, error) -> {
            if (loop.inEventLoop()) {
                timer.cancel(false);
                reply.complete(toReply(bytes, error, isWrite, onResult));
            } else {
                loop.execute(() -> {
                    timer.cancel(false);
                    reply.complete(toReply(bytes, error, isWrite, onResult));
                });
            }
        });
        return reply;
    }

    private static Reply toReply(byte[] bytes, Throwable error, boolean isWrite, Function<KvResult, Reply> onResult) {
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            return ErrorReplies.of(cause, isWrite);
        }
        KvResult result;
        try {
            result = KvCodec.decodeResult(bytes);
        } catch (RuntimeException e) {
            return Reply.error(500, "undecodable result from the state machine: " + e.getMessage());
        }
        return onResult.apply(result);
    }

    /** If another server is known to lead, forward there (unless this request was already forwarded once). */
    Optional<CompletableFuture<Reply>> forwardIfFollower(Request req, boolean isWrite) {
        RaftStatus s = raft.status();
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

    /** Maps a state machine result to HTTP. */
    private Reply resultReply(KvResult result) {
        if (result instanceof KvResult.Ok) {
            return Reply.noContent();
        }
        if (result instanceof KvResult.CasFailed c) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", "compare-and-set failed: current value differs from \"expect\"");
            body.put("current", c.current() == null ? null : new String(c.current(), StandardCharsets.UTF_8));
            return Reply.json(409, body);
        }
        if (result instanceof KvResult.TooLarge t) {
            String what = switch (t.limit()) {
                case KEY_BYTES -> "key";
                case VALUE_BYTES -> "value";
                case BATCH_ENTRIES -> "batch";
            };
            String unit = t.limit() == KvResult.Limit.BATCH_ENTRIES ? " entries" : " bytes";
            return Reply.error(413, what + " too large: " + t.actual() + unit + " > limit " + t.max() + unit);
        }
        if (result instanceof KvResult.Invalid i) {
            return Reply.error(400, i.reason());
        }
        return Reply.error(500, "unexpected result " + result);
    }

    private static Reply checkKey(byte[] key) {
        return key.length == 0 ? Reply.error(400, "key must not be empty") : null;
    }

    static ReadLevel readLevel(String p) {
        if (p == null || p.isEmpty()) {
            return ReadLevel.LINEARIZABLE;
        }
        return switch (p.toLowerCase(Locale.ROOT)) {
            case "linearizable" -> ReadLevel.LINEARIZABLE;
            case "lease" -> ReadLevel.LEASE;
            case "stale" -> ReadLevel.STALE;
            default -> throw new IllegalArgumentException("invalid level '" + abbreviate(p)
                    + "': use linearizable, lease or stale");
        };
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

    static JsonNode parseJson(byte[] body) {
        if (body.length == 0) {
            throw new IllegalArgumentException("empty body: expected JSON");
        }
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new IllegalArgumentException("empty body: expected JSON");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("unreadable JSON: " + e.getMessage());
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }
}
