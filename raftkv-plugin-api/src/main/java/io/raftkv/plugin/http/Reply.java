package io.raftkv.plugin.http;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An HTTP answer, independent of any HTTP server, so that routes (the server's and a plugin's) can be read and
 * tested without one.
 *
 * @param status      HTTP status code
 * @param contentType value of Content-Type, or null for an empty body
 * @param body        the body bytes (empty for none)
 */
public record Reply(int status, String contentType, byte[] body) {
    public static final String JSON = "application/json";
    public static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    public static Reply noContent() {
        return new Reply(204, null, new byte[0]);
    }

    public static Reply json(int status, Object value) {
        try {
            return new Reply(status, JSON, Json.MAPPER.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            // Only maps, lists, strings and numbers are passed in: this is a bug, not a client error.
            throw new IllegalStateException("cannot encode reply " + value, e);
        }
    }

    /** The error body every non-2xx answer carries: {@code {"error": "..."}}. */
    public static Reply error(int status, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        return json(status, body);
    }

    /** The body as UTF-8 text (for logs, tests and error messages). */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    public static Reply text(int status, String contentType, String text) {
        return new Reply(status, contentType, text.getBytes(StandardCharsets.UTF_8));
    }
}
