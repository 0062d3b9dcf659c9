package io.raftkv.server.http;

import io.raftkv.core.server.ReadLevel;
import io.raftkv.plugin.PluginHost;
import io.raftkv.plugin.http.HttpRoutes;
import io.raftkv.plugin.http.ReadLevels;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;
import io.raftkv.plugin.http.Routed;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * The front door of a state machine whose plugin brings no routes of its own: its commands and queries as they
 * are, in bytes (or whatever text its plugin's media type says, e.g. JSON).
 *
 * <pre>
 * POST /command                      body: the command        200 the state machine's result
 * POST /query?level=linearizable     body: the query          200 the answer (level: linearizable, lease, stale)
 * GET  /query?q=TEXT&amp;level=...       the query as UTF-8 text (for text queries from a shell)
 * </pre>
 *
 * Any server takes commands and serves every read level, through {@link PluginHost}: 503 not applied (retry), 504
 * outcome unknown (the command may or may not have been applied: read back, or use a client session, before
 * retrying one that is not idempotent), 400 an empty command or query or a bad {@code level}. A result is always
 * 200: a deterministic failure (insufficient funds, say) is part of the state machine's result, which every server
 * computed alike.
 */
public final class GenericApi implements HttpRoutes {
    public static final String COMMAND = "/command";
    public static final String QUERY = "/query";

    private final PluginHost host;
    private final String mediaType;

    /** @param mediaType the Content-Type of results and answers (the plugin's {@code mediaType()}) */
    public GenericApi(PluginHost host, String mediaType) {
        this.host = host;
        this.mediaType = mediaType;
    }

    @Override
    public Routed route(Request req) {
        return switch (req.path()) {
            case COMMAND -> req.method().equals("POST") ? new Routed(COMMAND, command(req))
                    : Routed.notAllowed(COMMAND, "POST");
            case QUERY -> req.method().equals("POST") || req.method().equals("GET") ? new Routed(QUERY, query(req))
                    : Routed.notAllowed(QUERY, "GET", "POST");
            default -> null;
        };
    }

    /** {@code POST /command}: proposes the body. */
    public CompletableFuture<Reply> command(Request req) {
        if (req.body().length == 0) {
            return done(Reply.error(400, "empty body: POST the command"));
        }
        return host.write(req, req.body(), result -> new Reply(200, mediaType, result));
    }

    /** {@code POST /query} (body) or {@code GET /query?q=} (text): runs the query at {@code level}. */
    public CompletableFuture<Reply> query(Request req) {
        ReadLevel level;
        try {
            level = ReadLevels.parse(req.param("level"), ReadLevel.LINEARIZABLE);
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        String text = req.param("q");
        byte[] query = req.method().equals("GET")
                ? (text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8)) : req.body();
        if (query.length == 0) {
            return done(Reply.error(400, req.method().equals("GET") ? "no query: give ?q=" : "empty body: POST the query"));
        }
        return host.read(req, query, level, answer -> new Reply(200, mediaType, answer));
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }
}
