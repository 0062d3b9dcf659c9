package io.raftkv.core.trace;

/**
 * A {@link TraceEvent} stamped by its sink: when ({@code t}, in the unit the stream's or file's {@code meta} line
 * names: epoch milliseconds live, simulated time units in a simulator run) and where ({@code node}: the server's id,
 * or null for the simulator's network and fault events).
 */
public record TraceRecord(long t, String node, TraceEvent event) {
}
