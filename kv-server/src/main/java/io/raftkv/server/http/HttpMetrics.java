package io.raftkv.server.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;

/**
 * {@code kv.http.requests{route, method, status}}: a timer per route template (never per key: a tag per key
 * would make one time series per key), counting requests and their latency. (Forwarding is counted by
 * {@link LeaderForwarder} as {@code kv.http.forwarded{result}}.)
 */
final class HttpMetrics {
    private final MeterRegistry registry;
    /**
     * The timers already registered: building a meter id and looking it up in the registry cost more per request
     * than recording does. Bounded by routes x methods x statuses.
     */
    private final java.util.concurrent.ConcurrentMap<Key, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();

    private record Key(String route, String method, int status) {
    }

    HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void record(String route, String method, int status, long startNanos) {
        Timer timer = timers.computeIfAbsent(new Key(route, method, status), k -> Timer.builder("kv.http.requests")
                .description("HTTP requests by route template, method and status")
                .tag("route", k.route())
                .tag("method", k.method())
                .tag("status", Integer.toString(k.status()))
                .publishPercentileHistogram(false)
                .register(registry));
        timer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }
}
