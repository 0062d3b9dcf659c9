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

    HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void record(String route, String method, int status, long startNanos) {
        Timer.builder("kv.http.requests")
                .description("HTTP requests by route template, method and status")
                .tag("route", route)
                .tag("method", method)
                .tag("status", Integer.toString(status))
                .publishPercentileHistogram(false)
                .register(registry)
                .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }
}
