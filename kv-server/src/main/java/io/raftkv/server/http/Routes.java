package io.raftkv.server.http;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The routes of docs/design.md §7 (each with its answers in kv-server/README.md). A route is matched on the path
 * first: a known path with a method it does not serve is 405 (with Allow), an unknown path is 404.
 *
 * <pre>
 * GET    /key/{key}?level=...   KvApi.get          PUT  /key/{key}   KvApi.put
 * DELETE /key/{key}             KvApi.delete       POST /key         KvApi.batch
 * POST   /cas/{key}             KvApi.cas          POST /join, /remove, /reconfigure, /transfer-leader  MembershipApi
 * GET    /status, /digest, /metrics                POST /snapshot    SnapshotApi
 * </pre>
 */
final class Routes {
    /** What a request resolved to: the route template (the metrics tag) and the handler's answer. */
    record Routed(String route, CompletableFuture<Reply> reply) {
    }

    private final KvApi api;

    Routes(KvApi api) {
        this.api = api;
    }

    Routed route(Request req) {
        String path = req.path();
        String m = req.method();
        if (path.startsWith("/key/")) {
            String key = path.substring("/key/".length());
            return switch (m) {
                case "GET" -> new Routed("/key/{key}", api.get(req, key));
                case "PUT" -> new Routed("/key/{key}", api.put(req, key));
                case "DELETE" -> new Routed("/key/{key}", api.delete(req, key));
                default -> notAllowed("/key/{key}", Set.of("GET", "PUT", "DELETE"));
            };
        }
        if (path.equals("/key") || path.equals("/key/")) {
            return m.equals("POST") ? new Routed("/key", api.batch(req)) : notAllowed("/key", Set.of("POST"));
        }
        if (path.startsWith("/cas/")) {
            String key = path.substring("/cas/".length());
            return m.equals("POST") ? new Routed("/cas/{key}", api.cas(req, key)) : notAllowed("/cas/{key}", Set.of("POST"));
        }
        return switch (path) {
            case "/status" -> m.equals("GET") ? done("/status", api.status()) : notAllowed("/status", Set.of("GET"));
            case "/metrics" -> m.equals("GET") ? done("/metrics", api.metrics()) : notAllowed("/metrics", Set.of("GET"));
            case "/digest" -> m.equals("GET") ? new Routed("/digest", api.digest(req)) : notAllowed("/digest", Set.of("GET"));
            case "/join" -> m.equals("POST") ? new Routed("/join", api.membership().join(req))
                    : notAllowed("/join", Set.of("POST"));
            case "/remove" -> m.equals("POST") ? new Routed("/remove", api.membership().remove(req))
                    : notAllowed("/remove", Set.of("POST"));
            case "/reconfigure" -> m.equals("POST") ? new Routed("/reconfigure", api.membership().reconfigure(req))
                    : notAllowed("/reconfigure", Set.of("POST"));
            case "/snapshot" -> m.equals("POST") ? new Routed("/snapshot", api.snapshots().take(req))
                    : notAllowed("/snapshot", Set.of("POST"));
            case "/transfer-leader" -> m.equals("POST")
                    ? new Routed("/transfer-leader", api.membership().transferLeader(req))
                    : notAllowed("/transfer-leader", Set.of("POST"));
            default -> done("unmatched", Reply.error(404, "no route " + abbreviate(path)));
        };
    }

    private static Routed done(String route, Reply r) {
        return new Routed(route, CompletableFuture.completedFuture(r));
    }

    private static Routed notAllowed(String route, Set<String> allowed) {
        return done(route, Reply.error(405, "method not allowed; use " + String.join(", ", allowed.stream().sorted().toList())));
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
