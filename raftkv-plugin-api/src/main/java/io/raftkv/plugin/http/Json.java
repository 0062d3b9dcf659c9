package io.raftkv.plugin.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one Jackson mapper of the server, its plugins and the clients (thread-safe once configured). */
public final class Json {
    /**
     * Strict parsing: trailing tokens after the document are an error (a request body is one JSON value), and
     * nesting is bounded so that a hostile body cannot blow the stack.
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64)
                .maxStringLength(16 << 20)
                .build());
    }

    private Json() {
    }

    /**
     * A request body that must be one JSON value.
     *
     * @throws IllegalArgumentException for an empty body or malformed JSON (answer 400 with its message)
     */
    public static JsonNode parseBody(byte[] body) {
        if (body.length == 0) {
            throw new IllegalArgumentException("empty body: expected JSON");
        }
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new IllegalArgumentException("empty body: expected JSON");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("unreadable JSON: " + e.getMessage());
        }
    }

    /** {@code s}, cut to 64 characters for an error message. */
    public static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
