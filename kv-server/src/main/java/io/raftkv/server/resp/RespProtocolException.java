package io.raftkv.server.resp;

/** Input that breaks the protocol or a limit: answered with {@code -ERR Protocol error: ...}, then the connection closes. */
final class RespProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String reason;

    /** @param reason the metric tag ({@code kv.resp.protocol.errors{reason}}) */
    RespProtocolException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    String reason() {
        return reason;
    }
}
