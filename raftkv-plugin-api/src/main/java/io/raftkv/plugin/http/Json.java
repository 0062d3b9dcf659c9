package io.raftkv.plugin.http;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one Jackson mapper of the server and the client (thread-safe once configured). */
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
}
