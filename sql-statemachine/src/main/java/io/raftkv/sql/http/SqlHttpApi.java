package io.raftkv.sql.http;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.server.NotCommittedException;
import io.raftkv.core.server.OutcomeUnknownException;
import io.raftkv.core.server.OverloadedException;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.core.server.ShutdownException;
import io.raftkv.plugin.http.Reply;
import io.raftkv.sql.LeaderStamp;
import io.raftkv.sql.SqlCodec;
import io.raftkv.sql.SqlCodecException;
import io.raftkv.sql.SqlCommand;
import io.raftkv.sql.SqlQuery;
import io.raftkv.sql.SqlResult;
import io.raftkv.sql.SqlStatement;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * rqlite's HTTP API over a raftkv node, free of any HTTP server: the server's router hands it the method, the
 * request URI and the body; it answers a status and JSON. See the module README for the table.
 *
 * <ul>
 *   <li>{@code POST /db/execute[?transaction][&timings][&pretty]}: a JSON array of statements (SQL strings, or
 *       {@code [sql, values…]} / {@code [sql, {name: value}]}) → 200
 *       {@code {"results":[{"last_insert_id":1,"rows_affected":1} | {"error":"…"}, …]}}. A statement's SQL error
 *       is a result (every server reached it), not a failed request. Statements the state machine would refuse
 *       are answered 400 at once, and nothing is proposed ({@link LeaderStamp}).</li>
 *   <li>{@code GET /db/query?q=…[&q=…]&level=…} or {@code POST /db/query} with a body like execute's → 200
 *       {@code {"results":[{"columns":[…],"types":[…],"values":[[…]]} | {"error":"…"}]}}, all statements in one read
 *       transaction.</li>
 * </ul>
 * Read levels map onto raftkv's: {@code none} → {@link ReadLevel#STALE} (this server's state, as is),
 * {@code weak} (the default, as in rqlite) → {@link ReadLevel#LEASE} (the leader's lease, thesis §6.4.1),
 * {@code linearizable} → {@link ReadLevel#LINEARIZABLE} (ReadIndex, thesis §6.4), and {@code strong} →
 * {@link ReadLevel#LINEARIZABLE} too: rqlite's strong sends the read through the log, which ReadIndex makes
 * unnecessary for linearizability.
 *
 * <p>Failures say what a client may conclude: 503 the write certainly did not happen (no leader here, overloaded,
 * shutting down) — retry; 504 its outcome is unknown (leadership lost or timed out after proposing) — read back
 * before retrying a non-idempotent write; 400 the request is malformed or refused; 404 unknown path; 405 wrong
 * method; 500 a bug.
 */
public final class SqlHttpApi {
    public static final String EXECUTE = "/db/execute";
    public static final String QUERY = "/db/query";

    private final SqlNode node;
    private final LeaderStamp stamp;
    private final Duration timeout;
    private final Executor completions;

    /**
     * @param node        propose and read through the node's Raft server
     * @param stamp       the leader-side check and stamp of writes ({@code new LeaderStamp()} in production)
     * @param timeout     how long a request may wait for its write to apply or its read to be served
     * @param completions where answers are decoded and turned into JSON: RaftServer completes its futures on its
     *                    raft and apply threads, which must not spend their time on that (the server's HTTP
     *                    executor; {@code Runnable::run} in tests)
     */
    public SqlHttpApi(SqlNode node, LeaderStamp stamp, Duration timeout, Executor completions) {
        this.node = Objects.requireNonNull(node, "node");
        this.stamp = Objects.requireNonNull(stamp, "stamp");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.completions = Objects.requireNonNull(completions, "completions");
    }

    /** True for the paths this API answers (for the server's router). */
    public static boolean handles(String path) {
        return path.equals(EXECUTE) || path.equals(QUERY);
    }

    /**
     * Answers one request.
     *
     * @param method HTTP method
     * @param uri    the request target, path and query string ({@code /db/query?q=SELECT%201&level=none})
     * @param body   the request body (empty for none)
     */
    public CompletableFuture<Reply> handle(String method, String uri, byte[] body) {
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (java.net.URISyntaxException e) {
            return done(error(400, "bad request target: " + e.getMessage()));
        }
        return handle(method, parsed.getRawPath(), parameters(parsed.getRawQuery()), body);
    }

    /** Answers one request whose query string is already split ({@code name → values}, decoded). */
    public CompletableFuture<Reply> handle(String method, String path, Map<String, List<String>> params, byte[] body) {
        return handle(method, path, params, body, completions);
    }

    /**
     * Answers one request, building the answer on {@code completions} (the server passes the event loop of the
     * request's connection, so the answer needs no further hand-off).
     */
    public CompletableFuture<Reply> handle(String method, String path, Map<String, List<String>> params, byte[] body,
                                           Executor completions) {
        Objects.requireNonNull(completions, "completions");
        Options options = new Options(flag(params, "pretty"), flag(params, "timings"), System.nanoTime(), completions);
        return switch (path) {
            case EXECUTE -> method.equals("POST") ? execute(params, body, options)
                    : done(error(405, "use POST for " + EXECUTE));
            case QUERY -> method.equals("GET") || method.equals("POST") ? query(method, params, body, options)
                    : done(error(405, "use GET or POST for " + QUERY));
            default -> done(error(404, "no such endpoint: " + path));
        };
    }

    private record Options(boolean pretty, boolean timings, long startNanos, Executor completions) {
    }

    private CompletableFuture<Reply> execute(Map<String, List<String>> params, byte[] body, Options options) {
        SqlCommand command;
        try {
            command = stamp.stamp(SqlJson.statements(body), flag(params, "transaction"));
        } catch (SqlJson.BadRequest e) {
            return done(error(400, e.getMessage()));
        } catch (LeaderStamp.RefusedException e) {
            return done(refused(e.refusals()));
        }
        return answer(node.propose(SqlCodec.encodeCommand(command)), true, options);
    }

    private CompletableFuture<Reply> query(String method, Map<String, List<String>> params, byte[] body, Options options) {
        ReadLevel level;
        List<SqlStatement> statements = new ArrayList<>();
        try {
            level = level(params.getOrDefault("level", List.of()));
            if (method.equals("POST") && body.length > 0) {
                statements.addAll(SqlJson.statements(body));
            }
            for (String q : params.getOrDefault("q", List.of())) {
                statements.add(SqlStatement.of(q));
            }
        } catch (SqlJson.BadRequest e) {
            return done(error(400, e.getMessage()));
        }
        if (statements.isEmpty()) {
            return done(error(400, "no query: give ?q=SQL, or POST a JSON array of statements"));
        }
        List<LeaderStamp.Refusal> refusals = LeaderStamp.checkQuery(statements);
        if (!refusals.isEmpty()) {
            return done(refused(refusals));
        }
        return answer(node.read(SqlCodec.encodeQuery(new SqlQuery.Read(statements)), level), false, options);
    }

    /** rqlite's read consistency levels, mapped onto raftkv's (see the class comment). */
    static ReadLevel level(List<String> values) throws SqlJson.BadRequest {
        if (values.isEmpty()) {
            return ReadLevel.LEASE;
        }
        String v = values.get(values.size() - 1).toLowerCase(Locale.ROOT);
        return switch (v) {
            case "none" -> ReadLevel.STALE;
            case "weak", "" -> ReadLevel.LEASE;
            case "linearizable", "strong" -> ReadLevel.LINEARIZABLE;
            default -> throw new SqlJson.BadRequest("unknown level " + v + ": use none, weak, linearizable or strong");
        };
    }

    private CompletableFuture<Reply> answer(CompletableFuture<byte[]> pending, boolean write, Options options) {
        return pending.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handleAsync((bytes, failure) -> {
            if (failure != null) {
                return failed(unwrap(failure), write);
            }
            SqlResult result;
            try {
                result = SqlCodec.decodeResult(bytes);
            } catch (SqlCodecException e) {
                return error(500, "the state machine answered bytes that are not a result: " + e.getMessage());
            }
            if (!(result instanceof SqlResult.Results results)) {
                // We encoded the request ourselves: the state machine calling it invalid is a bug.
                return error(500, "the state machine could not take the request: " + result);
            }
            Map<String, Object> json = new LinkedHashMap<>();
            List<Map<String, Object>> out = new ArrayList<>();
            for (SqlResult.StatementResult r : results.results()) {
                out.add(SqlJson.result(r));
            }
            json.put("results", out);
            if (options.timings()) {
                json.put("time", (System.nanoTime() - options.startNanos()) / 1e9);
            }
            return new Reply(200, Reply.JSON, SqlJson.write(json, options.pretty()));
        }, options.completions());
    }

    /** How a failed proposal or read becomes a status: what the client may conclude (see the class comment). */
    static Reply failed(Throwable cause, boolean write) {
        if (cause instanceof NotLeaderException e) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", "not the leader; send the request to the leader");
            body.put("leader", e.leaderId());
            return new Reply(503, Reply.JSON, SqlJson.write(body, false));
        }
        if (cause instanceof OutcomeUnknownException) {
            return error(504, cause.getMessage());
        }
        if (cause instanceof TimeoutException) {
            return write ? error(504, "timed out waiting for the write to be applied; it may or may not take effect")
                    : error(503, "timed out waiting for the read; retry");
        }
        if (cause instanceof OverloadedException || cause instanceof NotCommittedException
                || cause instanceof ShutdownException || cause instanceof ProposalRejectedException) {
            return error(503, cause.getMessage());
        }
        return error(500, "internal error: " + cause);
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static Reply refused(List<LeaderStamp.Refusal> refusals) {
        StringBuilder sb = new StringBuilder();
        for (LeaderStamp.Refusal r : refusals) {
            sb.append(sb.length() == 0 ? "" : "; ").append(r);
        }
        return error(400, sb.toString());
    }

    static Reply error(int status, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        return new Reply(status, Reply.JSON, SqlJson.write(body, false));
    }

    private static CompletableFuture<Reply> done(Reply reply) {
        return CompletableFuture.completedFuture(reply);
    }

    /** rqlite's flags are present or not ({@code ?pretty}); {@code =false} or {@code =0} turns one off. */
    private static boolean flag(Map<String, List<String>> params, String name) {
        List<String> v = params.get(name);
        if (v == null) {
            return false;
        }
        String last = v.isEmpty() ? "" : v.get(v.size() - 1).toLowerCase(Locale.ROOT);
        return !(last.equals("false") || last.equals("0"));
    }

    /** Splits and decodes a raw query string; a name without {@code =} has the value "". */
    static Map<String, List<String>> parameters(String rawQuery) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return out;
    }
}
