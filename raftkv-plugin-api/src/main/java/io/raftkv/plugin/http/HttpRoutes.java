package io.raftkv.plugin.http;

/**
 * A plugin's own HTTP routes (see {@code PluginInstance.httpRoutes}). The server matches its own routes first,
 * then asks these; a request neither knows is a 404.
 *
 * <pre>{@code
 * HttpRoutes routes = request -> switch (request.path()) {
 *     case "/balance" -> request.method().equals("GET") ? new Routed("/balance", balance(request))
 *                                                       : Routed.notAllowed("/balance", "GET");
 *     default -> null; // not ours: 404
 * };
 * }</pre>
 *
 * Called on the HTTP server's event loops, for many connections at once: never block.
 */
@FunctionalInterface
public interface HttpRoutes {

    /**
     * Answers {@code request} if its path is one of this plugin's: the route's template (the
     * {@code kv_http_requests} metric's {@code route} tag, e.g. {@code /key/{key}}: never a value that grows with
     * the data) and the answer. A known path with a method it does not serve is answered 405 here
     * ({@link Routed#notAllowed}). Returns null for a path that is not this plugin's.
     */
    Routed route(Request request);
}
