package io.raftkv.log;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.util.function.Supplier;

/** The {@code raft.log.*} meters of one log. Variants are tags, never part of a meter name. */
final class LogMetrics {
    final Timer fsync;
    final DistributionSummary syncBatchEntries;
    final Counter appendedBytes;
    final Counter appendedEntries;
    final Counter suffixTruncations;
    final Counter prefixCompactions;
    final Counter resets;
    final Counter tailCuts;
    final Counter preallocatedReady;
    final Counter preallocatedMissed;
    final Counter spaceAllocations;
    final Counter noSpace;
    private final MeterRegistry registry;
    private final Gauge segments;

    LogMetrics(MeterRegistry registry, Tags tags, Supplier<Number> segments) {
        fsync = Timer.builder("raft.log.fsync").description("fdatasync of the current segment").tags(tags)
                .register(registry);
        syncBatchEntries = DistributionSummary.builder("raft.log.sync.batch").baseUnit("entries")
                .description("entries made durable by one sync (group commit)").tags(tags).register(registry);
        appendedBytes = Counter.builder("raft.log.appended").baseUnit("bytes").tags(tags).register(registry);
        appendedEntries = Counter.builder("raft.log.appended.entries").tags(tags).register(registry);
        suffixTruncations = truncations(registry, tags, "suffix");
        prefixCompactions = truncations(registry, tags, "prefix");
        resets = truncations(registry, tags, "reset");
        tailCuts = Counter.builder("raft.log.recovery.tail.cuts")
                .description("torn or corrupt tails cut off when the log was opened").tags(tags).register(registry);
        preallocatedReady = preallocated(registry, tags, "ready");
        preallocatedMissed = preallocated(registry, tags, "missed");
        spaceAllocations = Counter.builder("raft.log.space.allocations")
                .description("regions of segment files allocated ahead of Chronicle's memory-mapped writes").tags(tags)
                .register(registry);
        noSpace = Counter.builder("raft.log.space.refused")
                .description("writes refused because the file system had no space for them (nothing written)")
                .tags(tags).register(registry);
        this.registry = registry;
        this.segments = Gauge.builder("raft.log.segments", segments).tags(tags).register(registry);
    }

    /** Unregisters the gauge, which refers to the (closed) log; a reopened log registers a new one. */
    void close() {
        registry.remove(segments);
    }

    /** Rolls that found a zero-filled segment file ready ({@code ready}) or had to create a sparse one. */
    private static Counter preallocated(MeterRegistry registry, Tags tags, String result) {
        return Counter.builder("raft.log.segments.preallocated").description("rolls, by whether a preallocated file was ready")
                .tags(tags).tag("result", result).register(registry);
    }

    private static Counter truncations(MeterRegistry registry, Tags tags, String kind) {
        return Counter.builder("raft.log.truncations").tags(tags).tag("kind", kind).register(registry);
    }
}
