package io.raftkv.sql.http;

/**
 * An HTTP answer, free of any HTTP server: the status, the Content-Type (null for no body) and the body.
 */
public record HttpReply(int status, String contentType, byte[] body) {
    public static final String JSON = "application/json";

    public String bodyText() {
        return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }
}
