package io.raftkv.transport.netty;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs at most one line per key per interval, and says how many were suppressed. A peer (or an attacker) that
 * sends garbage in a loop must not fill the disk with log lines. Keys must come from a small fixed set (reject
 * reasons, peer ids), never from input.
 */
final class RateLimitedLogger {
    private final Logger log;
    private final long intervalNanos;
    private final ConcurrentMap<String, Window> windows = new ConcurrentHashMap<>();

    RateLimitedLogger(Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
    }

    void warn(String key, String format, Object... args) {
        Window w = windows.computeIfAbsent(key, k -> new Window());
        long now = System.nanoTime();
        long last = w.lastLogNanos.get();
        if (last != 0 && now - last < intervalNanos) {
            w.suppressed.incrementAndGet();
            return;
        }
        if (!w.lastLogNanos.compareAndSet(last, now == 0 ? 1 : now)) {
            w.suppressed.incrementAndGet();
            return;
        }
        long suppressed = w.suppressed.getAndSet(0);
        if (suppressed > 0) {
            log.warn(format + " (" + suppressed + " similar suppressed)", args);
        } else {
            log.warn(format, args);
        }
    }

    private static final class Window {
        final AtomicLong lastLogNanos = new AtomicLong();
        final AtomicLong suppressed = new AtomicLong();
    }
}
