package io.raftkv.plugin.http;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * What a request was routed to: the route's template (the metrics tag, e.g. {@code /key/{key}}) and the answer.
 *
 * @param route template of the route, never a value from the request
 * @param reply completes with the answer; never exceptionally (the server answers 500 if it does)
 */
public record Routed(String route, CompletableFuture<Reply> reply) {

    /** An answer that is ready now. */
    public static Routed done(String route, Reply reply) {
        return new Routed(route, CompletableFuture.completedFuture(reply));
    }

    /** 405 for a known path with another method: {@code {"error":"method not allowed; use GET, PUT"}}. */
    public static Routed notAllowed(String route, String... allowed) {
        String[] sorted = allowed.clone();
        Arrays.sort(sorted);
        return done(route, Reply.error(405, "method not allowed; use " + String.join(", ", sorted)));
    }
}
