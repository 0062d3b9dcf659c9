package io.raftkv.kv.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.kv.KvCodec;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvQuery;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.plugin.PluginHost;
import io.raftkv.plugin.http.HttpRoutes;
import io.raftkv.plugin.http.Json;
import io.raftkv.plugin.http.ReadLevels;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;
import io.raftkv.plugin.http.Routed;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The KV store's HTTP routes (docs/design.md §7; every answer in kv-server/README.md), free of Netty: each method
 * takes a {@link Request} and completes with a {@link Reply}.
 *
 * <pre>
 * GET    /key/{key}?level=...   get          PUT  /key/{key}   put
 * DELETE /key/{key}             delete       POST /key         batch
 * POST   /cas/{key}             cas
 * </pre>
 *
 * <p><b>Life of a write.</b> Parse and validate (400, 413 without touching the log) → {@link PluginHost#write}, on
 * any server: a follower hands the command to the leader over the Raft transport and completes it from its own
 * apply → the state machine's result becomes 204 / 200 / 409 / 413; a failure becomes 503 (not applied) or 504
 * (outcome unknown).
 *
 * <p><b>Reads.</b> Every level is served by the server that received the request. {@code stale}: from the local
 * state machine at once. {@code linearizable} (ReadIndex, thesis §6.4): the read index comes from the leader (one
 * request for all reads of a loop turn), then this server answers once it has applied up to it. {@code lease}
 * (§6.4.1): the leader answers at once while its lease holds; a follower takes the ReadIndex path.
 */
public final class KvRoutes implements HttpRoutes {
    private final PluginHost host;
    private final KvStateMachine stateMachine;

    public KvRoutes(PluginHost host, KvStateMachine stateMachine) {
        this.host = host;
        this.stateMachine = stateMachine;
    }

    @Override
    public Routed route(Request req) {
        String path = req.path();
        String m = req.method();
        if (path.startsWith("/key/")) {
            String key = path.substring("/key/".length());
            return switch (m) {
                case "GET" -> new Routed("/key/{key}", get(req, key));
                case "PUT" -> new Routed("/key/{key}", put(req, key));
                case "DELETE" -> new Routed("/key/{key}", delete(req, key));
                default -> Routed.notAllowed("/key/{key}", "GET", "PUT", "DELETE");
            };
        }
        if (path.equals("/key") || path.equals("/key/")) {
            return m.equals("POST") ? new Routed("/key", batch(req)) : Routed.notAllowed("/key", "POST");
        }
        if (path.startsWith("/cas/")) {
            String key = path.substring("/cas/".length());
            return m.equals("POST") ? new Routed("/cas/{key}", cas(req, key)) : Routed.notAllowed("/cas/{key}", "POST");
        }
        return null;
    }

    /** {@code GET /key/{key}?level=linearizable|lease|stale}: 200 {"key":"value"} or 404. */
    public CompletableFuture<Reply> get(Request req, String key) {
        ReadLevel level;
        try {
            level = ReadLevels.parse(req.param("level"), ReadLevel.LINEARIZABLE);
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        byte[] keyBytes = utf8(key);
        Reply bad = checkKey(keyBytes);
        if (bad != null) {
            return done(bad);
        }
        // Served here at every level: a linearizable read on a follower asks the leader for a read index (thesis
        // §6.4), waits until this server has applied it and answers from its own state; a lease read on a
        // follower does the same (only a leader can hold a lease, §6.4.1).
        return host.read(req, KvCodec.encodeQuery(new KvQuery.Get(keyBytes)), level, decoded(result -> {
            if (result instanceof KvResult.Found f) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put(key, new String(f.value(), StandardCharsets.UTF_8));
                return Reply.json(200, body);
            }
            if (result instanceof KvResult.NotFound) {
                return Reply.error(404, "key not found");
            }
            return resultReply(result);
        }));
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
            body = Json.parseBody(req.body());
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
                return done(Reply.error(400, "value of key '" + Json.abbreviate(e.getKey()) + "' must be a string"));
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
            body = Json.parseBody(req.body());
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
        return host.write(req, KvCodec.encodeCommand(command), decoded(KvRoutes::resultReply));
    }

    /** Decodes the state machine's answer before {@code onResult} sees it; an undecodable one is a 500. */
    private static Function<byte[], Reply> decoded(Function<KvResult, Reply> onResult) {
        return bytes -> {
            KvResult result;
            try {
                result = KvCodec.decodeResult(bytes);
            } catch (RuntimeException e) {
                return Reply.error(500, "undecodable result from the state machine: " + e.getMessage());
            }
            return onResult.apply(result);
        };
    }

    /** Maps a state machine result to HTTP. */
    private static Reply resultReply(KvResult result) {
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

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }
}
