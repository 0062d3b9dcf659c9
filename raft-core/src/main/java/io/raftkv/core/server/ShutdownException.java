package io.raftkv.core.server;

/**
 * The server is shutting down or has stopped (normally, or after a fatal storage or state-machine error, which
 * is the cause). The request was not proposed.
 */
public final class ShutdownException extends RaftException {
    public ShutdownException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean safeToRetry() {
        return true;
    }
}
