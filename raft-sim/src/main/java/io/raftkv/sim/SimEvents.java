package io.raftkv.sim;

import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.trace.TraceEmitter;
import io.raftkv.core.trace.TraceEvent;
import io.raftkv.core.trace.TraceJson;
import io.raftkv.core.trace.TraceRecord;
import io.raftkv.core.trace.TraceSink;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The events of one run in the live stream's schema ({@link TraceEvent}, docs/events.md), stamped with simulated
 * time: what {@code Simulate --seed S --events FILE} writes and the cluster view replays. Each message gets an
 * {@code id} when it is sent that its receipt or drop repeats, so that a replay can draw it in flight. Off (and
 * free) unless asked for; the run is the same either way.
 */
final class SimEvents {
    /** A run that records more events than this stops recording (and says so in the meta line). */
    static final int MAX_EVENTS = 2_000_000;

    private final Simulation sim;
    private final boolean on;
    private final List<TraceRecord> records = new ArrayList<>();
    private final IdentityHashMap<RaftMessage, Long> ids = new IdentityHashMap<>();
    private long nextId = 1;
    private boolean truncated;

    SimEvents(Simulation sim, boolean on) {
        this.sim = sim;
        this.on = on;
    }

    boolean on() {
        return on;
    }

    /** The emitter of node {@code nodeId} (or of the network and the faults, for null). */
    TraceEmitter emitter(String nodeId) {
        return new TraceEmitter(new TraceSink() {
            @Override
            public boolean enabled() {
                return on;
            }

            @Override
            public void emit(TraceEvent event) {
                record(nodeId, event);
            }
        });
    }

    private void record(String nodeId, TraceEvent event) {
        if (records.size() >= MAX_EVENTS) {
            truncated = true;
            return;
        }
        records.add(new TraceRecord(sim.now(), nodeId, event));
    }

    /** {@code from} sent {@code m}; {@code dropReason} non-null if the network lost it at once. */
    void sent(String from, RaftMessage m, String dropReason) {
        if (!on) {
            return;
        }
        long id = nextId++;
        ids.put(m, id);
        record(from, new TraceEvent.Message(TraceEvent.Direction.SEND, m, null, id));
        if (dropReason != null) {
            record(null, new TraceEvent.Message(TraceEvent.Direction.DROP, m, dropReason, id));
        }
    }

    void received(String at, RaftMessage m) {
        if (on) {
            record(at, new TraceEvent.Message(TraceEvent.Direction.RECV, m, null, ids.getOrDefault(m, 0L)));
        }
    }

    void droppedInFlight(RaftMessage m, String reason) {
        if (on) {
            record(null, new TraceEvent.Message(TraceEvent.Direction.DROP, m, reason, ids.getOrDefault(m, 0L)));
        }
    }

    /** A fault fired (its text as the trace shows it), and the network as it left it. */
    void fault(String text, SimNetwork network) {
        if (on) {
            record(null, new TraceEvent.Fault(text));
            record(null, new TraceEvent.Network(network.blockedLinks(),
                    network.quality().equals(NetworkQuality.HEALTHY) ? "healthy" : network.quality().toString()));
        }
    }

    void violation(String text) {
        if (on) {
            record(null, new TraceEvent.Violation(text));
        }
    }

    int size() {
        return records.size();
    }

    /** Writes the meta line and every event, one JSON object per line. */
    void writeTo(Path file, Schedule schedule, SimResult result) throws IOException {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("unitsPerTick", Simulation.TICK);
        meta.put("seed", schedule.seed());
        meta.put("nodes", Simulation.ids(schedule.nodes() + schedule.spares()));
        meta.put("faultTicks", schedule.faultTicks());
        meta.put("replay", schedule.replayArguments());
        if (result.failed()) {
            meta.put("violation", result.violation().getMessage());
        }
        if (truncated) {
            meta.put("truncatedAt", MAX_EVENTS);
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(TraceJson.meta("simulator", "sim", meta));
            w.write('\n');
            for (TraceRecord r : records) {
                w.write(TraceJson.line(r));
                w.write('\n');
            }
        }
    }
}
