package io.raftkv.core.server;

/**
 * The server refused the request at once because its bound on pending proposals (count or bytes) or pending
 * reads was reached. Nothing was proposed; back off and retry. This is the backpressure of docs/design.md §3: an
 * immediate error instead of an unbounded queue.
 */
public final class OverloadedException extends RaftException {
    public OverloadedException(String message) {
        super(message, null);
    }

    @Override
    public boolean safeToRetry() {
        return true;
    }
}
