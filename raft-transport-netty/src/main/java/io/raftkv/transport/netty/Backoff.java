package io.raftkv.transport.netty;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential reconnect backoff with a cap and "equal jitter": the n-th delay is drawn from
 * [d/2, d] with d = min(max, min * 2^n). The jitter keeps nodes that lost a peer at the same moment from
 * reconnecting in lock step. Not thread-safe: used only on the peer's event loop.
 */
final class Backoff {
    private final long minMillis;
    private final long maxMillis;
    private int attempts;

    Backoff(Duration min, Duration max) {
        this.minMillis = Math.max(1, min.toMillis());
        this.maxMillis = Math.max(minMillis, max.toMillis());
    }

    /** The delay before the next attempt; grows with each call until {@link #reset()}. */
    long nextDelayMillis() {
        long ceiling = attempts >= 30 ? maxMillis : Math.min(maxMillis, minMillis << attempts);
        attempts++;
        long half = ceiling / 2;
        return half + ThreadLocalRandom.current().nextLong(ceiling - half + 1);
    }

    /** Called once a connection is established and handshaken. */
    void reset() {
        attempts = 0;
    }
}
