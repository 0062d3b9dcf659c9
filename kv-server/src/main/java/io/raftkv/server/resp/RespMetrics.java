package io.raftkv.server.resp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.raftkv.plugin.resp.RespReply;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The RESP front door's meters, in {@code /metrics} with the rest:
 * <ul>
 *   <li>{@code kv.resp.commands{command, outcome}}: a timer per command name (commands of the tables only, else
 *       {@code unknown}: a tag per name a client makes up would grow without bound) and outcome ({@code ok}, or the
 *       error code in lower case: {@code err}, {@code clusterdown}, {@code tryagain}, {@code outcomeunknown},
 *       {@code misconf}, {@code execabort}, {@code noproto}), from the command's arrival to its answer;</li>
 *   <li>{@code kv.resp.protocol.errors{reason}}: connections closed for bad input ({@code malformed},
 *       {@code bulk_too_large}, {@code array_too_large}, {@code command_too_large}, {@code incomplete},
 *       {@code too_many_connections});</li>
 *   <li>{@code kv.resp.connections}: open connections.</li>
 * </ul>
 */
final class RespMetrics {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> protocolErrors = new ConcurrentHashMap<>();

    RespMetrics(MeterRegistry registry, IntSupplier connections) {
        this.registry = registry;
        Gauge.builder("kv.resp.connections", connections::getAsInt).description("open RESP connections")
                .register(registry);
    }

    void command(String command, RespReply reply, long startNanos) {
        String outcome = reply instanceof RespReply.Error e ? e.code().toLowerCase(Locale.ROOT) : "ok";
        timers.computeIfAbsent(command + '|' + outcome, k -> Timer.builder("kv.resp.commands")
                        .description("RESP commands by name and outcome, from arrival to answer")
                        .tag("command", command)
                        .tag("outcome", outcome)
                        .register(registry))
                .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    void protocolError(String reason) {
        protocolErrors.computeIfAbsent(reason, r -> Counter.builder("kv.resp.protocol.errors")
                .description("RESP connections closed for bad input, by reason").tag("reason", r)
                .register(registry)).increment();
    }
}
