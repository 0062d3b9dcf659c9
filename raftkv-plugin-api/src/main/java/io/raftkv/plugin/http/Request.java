package io.raftkv.plugin.http;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * An HTTP request as the server's routes and a plugin's routes see it: decoded path, query parameters, the
 * {@code Raftkv-*} headers and the body. Free of any HTTP server's types, so that plugins need not depend on Netty.
 *
 * @param method    upper-case method name
 * @param rawUri    the URI as received (path and query, still encoded), used verbatim when forwarding
 * @param path      the decoded path
 * @param params    decoded query parameters
 * @param headers   the request's {@code Raftkv-*} headers (names lower-cased, first value of each), e.g. client
 *                  session headers; other headers are not kept
 * @param body      the body bytes (empty for none)
 * @param forwarded the id of the server that forwarded this request to us, or null if it came from a client
 * @param loop      the event loop of the connection the request arrived on (an {@link Executor} here, to keep this
 *                  type free of Netty), or null (tests, internal callers). Its answer is built there and a
 *                  forwarded copy travels on a connection of the same loop, so a request crosses threads only to
 *                  reach the raft thread and to come back: on a busy machine every extra hand-off is a wake-up
 *                  that may wait for a core.
 */
public record Request(String method, String rawUri, String path, Map<String, List<String>> params,
                      Map<String, String> headers, byte[] body, String forwarded, Executor loop) {

    /** Header names starting with this (lower-cased) are kept in {@link #headers}. */
    public static final String HEADER_PREFIX = "raftkv-";

    public Request {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    /** A request without {@code Raftkv-*} headers. */
    public Request(String method, String rawUri, String path, Map<String, List<String>> params, byte[] body,
                   String forwarded, Executor loop) {
        this(method, rawUri, path, params, Map.of(), body, forwarded, loop);
    }

    /** A request not tied to a connection's event loop: answers are built on the HTTP server's shared loops. */
    public Request(String method, String rawUri, String path, Map<String, List<String>> params, byte[] body,
                   String forwarded) {
        this(method, rawUri, path, params, Map.of(), body, forwarded, null);
    }

    /** The value of header {@code name} (case-insensitive; only {@code Raftkv-*} headers are kept), or null. */
    public String header(String name) {
        return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    /** The first value of query parameter {@code name}, or null. */
    public String param(String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    public boolean isForwarded() {
        return forwarded != null;
    }
}
