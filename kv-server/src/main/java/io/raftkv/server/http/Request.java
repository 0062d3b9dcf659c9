package io.raftkv.server.http;

import java.util.List;
import java.util.Map;

/**
 * An HTTP request as {@link KvApi} sees it: decoded path, query parameters and body.
 *
 * @param method    upper-case method name
 * @param rawUri    the URI as received (path and query, still encoded), used verbatim when forwarding
 * @param path      the decoded path
 * @param params    decoded query parameters
 * @param body      the body bytes (empty for none)
 * @param forwarded the id of the server that forwarded this request to us, or null if it came from a client
 */
public record Request(String method, String rawUri, String path, Map<String, List<String>> params, byte[] body,
                      String forwarded) {

    /** The first value of query parameter {@code name}, or null. */
    public String param(String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    public boolean isForwarded() {
        return forwarded != null;
    }
}
