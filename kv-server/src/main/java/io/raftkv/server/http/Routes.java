package io.raftkv.server.http;

import io.raftkv.plugin.http.HttpRoutes;
import io.raftkv.plugin.http.Json;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;
import io.raftkv.plugin.http.Routed;

/**
 * The routes of docs/design.md §7 (each with its answers in kv-server/README.md). The server's own come first and
 * are the same whatever the state machine; then the state machine plugin's ({@link HttpRoutes}: the KV store's
 * {@code /key} and {@code /cas}, the SQL database's {@code /db/...}, or the {@link GenericApi}). A route is matched
 * on the path first: a known path with a method it does not serve is 405, an unknown path is 404.
 *
 * <pre>
 * GET  /status, /digest, /metrics      NodeApi        POST /snapshot    SnapshotApi
 * POST /join, /remove, /reconfigure, /transfer-leader                    MembershipApi
 * POST /session, /session/{id}/keepalive, DELETE /session/{id}        SessionApi
 * anything else                        the plugin's routes, or 404
 * </pre>
 */
final class Routes {
    private final NodeApi api;
    private final HttpRoutes plugin;

    Routes(NodeApi api, HttpRoutes plugin) {
        this.api = api;
        this.plugin = plugin;
    }

    Routed route(Request req) {
        String path = req.path();
        String m = req.method();
        if (path.startsWith("/session/")) {
            String rest = path.substring("/session/".length());
            if (rest.endsWith("/keepalive")) {
                String id = rest.substring(0, rest.length() - "/keepalive".length());
                return m.equals("POST") ? new Routed("/session/{id}/keepalive", api.sessions().keepAlive(req, id))
                        : Routed.notAllowed("/session/{id}/keepalive", "POST");
            }
            return m.equals("DELETE") ? new Routed("/session/{id}", api.sessions().close(req, rest))
                    : Routed.notAllowed("/session/{id}", "DELETE");
        }
        Routed own = switch (path) {
            case "/session" -> m.equals("POST") ? new Routed("/session", api.sessions().open(req))
                    : Routed.notAllowed("/session", "POST");
            case "/status" -> m.equals("GET") ? Routed.done("/status", api.status()) : Routed.notAllowed("/status", "GET");
            case "/metrics" -> m.equals("GET") ? Routed.done("/metrics", api.metrics()) : Routed.notAllowed("/metrics", "GET");
            case "/digest" -> m.equals("GET") ? new Routed("/digest", api.digest(req)) : Routed.notAllowed("/digest", "GET");
            case "/join" -> m.equals("POST") ? new Routed("/join", api.membership().join(req))
                    : Routed.notAllowed("/join", "POST");
            case "/remove" -> m.equals("POST") ? new Routed("/remove", api.membership().remove(req))
                    : Routed.notAllowed("/remove", "POST");
            case "/reconfigure" -> m.equals("POST") ? new Routed("/reconfigure", api.membership().reconfigure(req))
                    : Routed.notAllowed("/reconfigure", "POST");
            case "/snapshot" -> m.equals("POST") ? new Routed("/snapshot", api.snapshots().take(req))
                    : Routed.notAllowed("/snapshot", "POST");
            case "/transfer-leader" -> m.equals("POST")
                    ? new Routed("/transfer-leader", api.membership().transferLeader(req))
                    : Routed.notAllowed("/transfer-leader", "POST");
            default -> null;
        };
        if (own != null) {
            return own;
        }
        Routed theirs = plugin.route(req);
        return theirs != null ? theirs : Routed.done("unmatched", Reply.error(404, "no route " + Json.abbreviate(path)));
    }
}
