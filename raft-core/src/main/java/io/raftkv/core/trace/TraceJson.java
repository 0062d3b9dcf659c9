package io.raftkv.core.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.raftkv.core.Role;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.InstallSnapshotResponse;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import io.raftkv.core.message.ReadIndexResponse;
import io.raftkv.core.message.ForwardRequest;
import io.raftkv.core.message.ForwardResponse;
import io.raftkv.core.message.TimeoutNow;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The NDJSON encoding of {@link TraceRecord}s: one JSON object per line, {@code {"t":..,"type":..,"node":..,...}}.
 * The schema, field by field, is docs/events.md; this class is its only writer (the live stream and the
 * simulator's events file both use it). Thread-safe.
 */
public final class TraceJson {
    /** Version of the schema, in every {@code meta} line. Raised when a field changes meaning or goes away. */
    public static final int SCHEMA_VERSION = 1;

    private static final JsonFactory JSON = new JsonFactory();

    private TraceJson() {
    }

    /** One record as a JSON object, without the line break. */
    public static String line(TraceRecord r) {
        return write(g -> {
            g.writeNumberField("t", r.t());
            g.writeStringField("type", r.event().type());
            if (r.node() != null) {
                g.writeStringField("node", r.node());
            }
            fields(g, r.event());
        });
    }

    /**
     * The {@code meta} line that starts a stream or file: {@code source} ("live" or "simulator"), {@code clock}
     * (what {@code t} counts: "epoch-ms", or "sim" for simulated time units) and whatever else describes the run
     * (strings, numbers, booleans and lists of strings).
     */
    public static String meta(String source, String clock, Map<String, ?> extra) {
        return write(g -> {
            g.writeStringField("type", "meta");
            g.writeNumberField("version", SCHEMA_VERSION);
            g.writeStringField("source", source);
            g.writeStringField("clock", clock);
            for (Map.Entry<String, ?> e : extra.entrySet()) {
                g.writeFieldName(e.getKey());
                value(g, e.getValue());
            }
        });
    }

    /** The short name of a message's kind, as the simulator's trace prints it: App, AppResp, Vote, PreVote, ... */
    public static String kind(RaftMessage m) {
        if (m instanceof AppendEntriesRequest) {
            return "App";
        }
        if (m instanceof AppendEntriesResponse) {
            return "AppResp";
        }
        if (m instanceof VoteRequest v) {
            return v.preVote() ? "PreVote" : "Vote";
        }
        if (m instanceof VoteResponse v) {
            return v.preVote() ? "PreVoteResp" : "VoteResp";
        }
        if (m instanceof InstallSnapshotRequest) {
            return "Snap";
        }
        if (m instanceof InstallSnapshotResponse) {
            return "SnapResp";
        }
        if (m instanceof TimeoutNow) {
            return "TimeoutNow";
        }
        if (m instanceof ReadIndexRequest) {
            return "ReadIndex";
        }
        if (m instanceof ReadIndexResponse) {
            return "ReadIndexResp";
        }
        if (m instanceof ForwardRequest) {
            return "Forward";
        }
        if (m instanceof ForwardResponse) {
            return "ForwardResp";
        }
        return m.getClass().getSimpleName(); // a message type newer than this schema: named, without its fields
    }

    /** The entries a message carries, as {@code [first, last]}, or null if none (heartbeats, every other kind). */
    public static long[] entryRange(RaftMessage m) {
        if (m instanceof AppendEntriesRequest a && !a.entries().isEmpty()) {
            return new long[] {a.prevLogIndex() + 1, a.lastIndex()};
        }
        return null;
    }

    /** The schema's name of a role: leader, follower, candidate, pre-candidate; null for none (stopped). */
    public static String roleName(Role role) {
        return role == null ? null : role.lowerName();
    }

    // ------------------------------------------------------------------------------------------------ fields

    private static void fields(JsonGenerator g, TraceEvent e) throws IOException {
        if (e instanceof TraceEvent.Message m) {
            message(g, m);
        } else if (e instanceof TraceEvent.Messages m) {
            g.writeStringField("msg", m.kind());
            g.writeStringField("from", m.from());
            g.writeStringField("to", m.to());
            g.writeNumberField("term", m.term());
            g.writeNumberField("count", m.count());
            if (m.first() > 0) {
                g.writeNumberField("first", m.first());
                g.writeNumberField("last", m.last());
            }
        } else if (e instanceof TraceEvent.State s) {
            g.writeStringField("role", roleName(s.role()));
            g.writeNumberField("term", s.term());
            g.writeStringField("leader", s.leader());
        } else if (e instanceof TraceEvent.Persist p) {
            g.writeNumberField("term", p.term());
            g.writeStringField("vote", p.vote());
        } else if (e instanceof TraceEvent.Vote v) {
            g.writeStringField("candidate", v.candidate());
            g.writeNumberField("term", v.term());
            g.writeBooleanField("preVote", v.preVote());
            g.writeBooleanField("granted", v.granted());
            g.writeStringField("reason", v.reason().schemaName());
            g.writeStringField("detail", v.detail());
        } else if (e instanceof TraceEvent.Append a) {
            g.writeNumberField("from", a.from());
            g.writeNumberField("to", a.to());
            g.writeNumberField("term", a.term());
        } else if (e instanceof TraceEvent.Truncate tr) {
            g.writeNumberField("from", tr.from());
            g.writeNumberField("to", tr.to());
        } else if (e instanceof TraceEvent.Commit c) {
            g.writeNumberField("index", c.index());
        } else if (e instanceof TraceEvent.Apply a) {
            g.writeNumberField("index", a.index());
        } else if (e instanceof TraceEvent.Snapshot s) {
            g.writeStringField("origin", s.origin().schemaName());
            g.writeNumberField("index", s.index());
            g.writeNumberField("term", s.term());
            if (s.bytes() >= 0) {
                g.writeNumberField("bytes", s.bytes());
            }
        } else if (e instanceof TraceEvent.Config c) {
            g.writeNumberField("index", c.index());
            g.writeStringField("change", c.change());
            members(g, c.members());
        } else if (e instanceof TraceEvent.Transfer t) {
            g.writeStringField("target", t.target());
        } else if (e instanceof TraceEvent.View v) {
            view(g, v);
        } else if (e instanceof TraceEvent.Down d) {
            g.writeStringField("reason", d.reason());
            g.writeNumberField("last", d.lastIndex());
        } else if (e instanceof TraceEvent.Fault f) {
            g.writeStringField("text", f.text());
        } else if (e instanceof TraceEvent.Network n) {
            g.writeArrayFieldStart("blocked");
            for (List<String> link : n.blocked()) {
                g.writeStartArray();
                for (String id : link) {
                    g.writeString(id);
                }
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeStringField("quality", n.quality());
        } else if (e instanceof TraceEvent.Violation v) {
            g.writeStringField("text", v.text());
        } else {
            throw new IllegalArgumentException("unknown trace event " + e);
        }
    }

    private static void view(JsonGenerator g, TraceEvent.View v) throws IOException {
        g.writeStringField("role", roleName(v.role()));
        g.writeNumberField("term", v.term());
        g.writeStringField("vote", v.vote());
        g.writeStringField("leader", v.leader());
        g.writeNumberField("commit", v.commit());
        g.writeNumberField("applied", v.applied());
        g.writeNumberField("last", v.lastIndex());
        g.writeNumberField("snapshot", v.snapshotIndex());
        g.writeArrayFieldStart("log");
        for (TraceEvent.TermRun run : v.log()) {
            g.writeStartArray();
            g.writeNumber(run.from());
            g.writeNumber(run.to());
            g.writeNumber(run.term());
            g.writeEndArray();
        }
        g.writeEndArray();
        members(g, v.members());
    }

    private static void members(JsonGenerator g, List<Member> members) throws IOException {
        g.writeArrayFieldStart("members");
        for (Member m : members) {
            g.writeStartObject();
            g.writeStringField("id", m.id());
            g.writeBooleanField("voter", m.voter());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void message(JsonGenerator g, TraceEvent.Message e) throws IOException {
        RaftMessage m = e.message();
        g.writeStringField("msg", kind(m));
        g.writeStringField("from", m.from());
        g.writeStringField("to", m.to());
        g.writeNumberField("term", m.term());
        if (e.id() != 0) {
            g.writeNumberField("id", e.id());
        }
        if (e.reason() != null) {
            g.writeStringField("reason", e.reason());
        }
        if (m instanceof AppendEntriesRequest a) {
            g.writeNumberField("prevIndex", a.prevLogIndex());
            g.writeNumberField("prevTerm", a.prevLogTerm());
            if (!a.entries().isEmpty()) {
                g.writeNumberField("first", a.prevLogIndex() + 1);
                g.writeNumberField("last", a.lastIndex());
            }
            g.writeNumberField("commit", a.leaderCommit());
            g.writeNumberField("seq", a.seq());
        } else if (m instanceof AppendEntriesResponse r) {
            g.writeBooleanField("ok", r.success());
            if (r.success()) {
                g.writeNumberField("match", r.matchIndex());
            } else {
                g.writeNumberField("conflictIndex", r.conflictIndex());
                g.writeNumberField("conflictTerm", r.conflictTerm());
            }
            g.writeNumberField("lastLog", r.lastLogIndex());
            g.writeNumberField("seq", r.seq());
        } else if (m instanceof VoteRequest v) {
            g.writeNumberField("lastIndex", v.lastLogIndex());
            g.writeNumberField("lastTerm", v.lastLogTerm());
            if (v.transfer()) {
                g.writeBooleanField("transfer", true);
            }
        } else if (m instanceof VoteResponse v) {
            g.writeBooleanField("granted", v.granted());
        } else if (m instanceof InstallSnapshotRequest s) {
            g.writeNumberField("lastIndex", s.lastIncludedIndex());
            g.writeNumberField("lastTerm", s.lastIncludedTerm());
            g.writeNumberField("offset", s.offset());
            g.writeNumberField("bytes", s.data().length);
            g.writeBooleanField("done", s.done());
        } else if (m instanceof InstallSnapshotResponse s) {
            g.writeNumberField("lastIndex", s.lastIncludedIndex());
            g.writeNumberField("next", s.nextOffset());
            g.writeBooleanField("done", s.done());
        } else if (m instanceof ReadIndexRequest r) {
            g.writeNumberField("req", r.requestId());
        } else if (m instanceof ReadIndexResponse r) {
            g.writeNumberField("req", r.requestId());
            g.writeNumberField("index", r.readIndex());
            g.writeBooleanField("ok", r.success());
        } else if (m instanceof ForwardRequest f) {
            g.writeNumberField("batch", f.batchId());
            g.writeNumberField("commands", f.commands().size());
        } else if (m instanceof ForwardResponse f) {
            g.writeNumberField("batch", f.batchId());
            g.writeBooleanField("ok", f.isAccepted());
            if (f.isAccepted()) {
                g.writeNumberField("first", f.firstIndex());
                g.writeNumberField("last", f.firstIndex() + f.count() - 1);
            } else {
                g.writeStringField("reason", f.rejection());
            }
        }
    }

    private static void value(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Number n) {
            if (n instanceof Double || n instanceof Float) {
                g.writeNumber(n.doubleValue());
            } else {
                g.writeNumber(n.longValue());
            }
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof List<?> list) {
            g.writeStartArray();
            for (Object o : list) {
                value(g, o);
            }
            g.writeEndArray();
        } else {
            g.writeString(v.toString());
        }
    }

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private static String write(Body body) {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }
}
