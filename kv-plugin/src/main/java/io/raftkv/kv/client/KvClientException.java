package io.raftkv.kv.client;

/**
 * A request that did not succeed. {@link #status()} is the HTTP status (0 if no server answered); for writes,
 * {@link #outcomeUnknown()} says the write may or may not have been applied (HTTP 504, or a connection that broke
 * after the request was sent).
 */
public final class KvClientException extends RuntimeException {
    private final int status;
    private final boolean outcomeUnknown;

    public KvClientException(int status, String message, boolean outcomeUnknown, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.outcomeUnknown = outcomeUnknown;
    }

    public int status() {
        return status;
    }

    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
