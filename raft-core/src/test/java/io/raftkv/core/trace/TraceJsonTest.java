package io.raftkv.core.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.raftkv.core.Role;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.ConflictHint;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every event type encodes as one line of valid JSON with the schema's fields (docs/events.md). */
class TraceJsonTest {
    private static final JsonFactory JSON = new JsonFactory();

    /** Parses one flat-ish JSON object into top-level field name -> text of scalar values. */
    static Map<String, String> fields(String line) throws IOException {
        assertTrue(!line.contains("\n"), "one line: " + line);
        Map<String, String> out = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(line)) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken());
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (v == JsonToken.START_ARRAY || v == JsonToken.START_OBJECT) {
                    p.skipChildren();
                    out.put(name, v == JsonToken.START_ARRAY ? "[...]" : "{...}");
                } else {
                    out.put(name, v == JsonToken.VALUE_NULL ? null : p.getText());
                }
            }
            assertEquals(null, p.nextToken(), "nothing after the object");
        }
        return out;
    }

    private static Map<String, String> encode(TraceEvent e) throws IOException {
        return fields(TraceJson.line(new TraceRecord(1234, "n1", e)));
    }

    @Test
    void eachTypeHasItsFields() throws IOException {
        assertEquals(Map.of("t", "1234", "type", "state", "node", "n1", "role", "pre-candidate", "term", "3"),
                without(encode(new TraceEvent.State(Role.PRE_CANDIDATE, 3, null)), "leader"));
        Map<String, String> vote = encode(new TraceEvent.Vote("n2", 4, false, false, TraceEvent.VoteReason.LOG_BEHIND, "d"));
        assertEquals("log-behind", vote.get("reason"));
        assertEquals("false", vote.get("granted"));
        assertEquals("n2", vote.get("candidate"));
        Map<String, String> app = encode(new TraceEvent.Message(TraceEvent.Direction.SEND, new AppendEntriesRequest(
                "n1", "n2", 3, 4, 2, List.of(LogEntry.noop(5, 3), LogEntry.noop(6, 3)), 4, 9), null, 0));
        assertEquals("send", app.get("type"));
        assertEquals("App", app.get("msg"));
        assertEquals("5", app.get("first"));
        assertEquals("6", app.get("last"));
        assertEquals("4", app.get("prevIndex"));
        Map<String, String> hb = encode(new TraceEvent.Message(TraceEvent.Direction.RECV, new AppendEntriesRequest(
                "n1", "n2", 3, 6, 3, List.of(), 6, 10), null, 0));
        assertTrue(!hb.containsKey("first"), "a heartbeat carries no index range");
        Map<String, String> drop = encode(new TraceEvent.Message(TraceEvent.Direction.DROP,
                new VoteResponse("n2", "n1", 3, true, true), "lost", 17));
        assertEquals("PreVoteResp", drop.get("msg"));
        assertEquals("lost", drop.get("reason"));
        assertEquals("17", drop.get("id"));
        assertEquals("true", drop.get("granted"));
        assertEquals("AppResp", encode(new TraceEvent.Message(TraceEvent.Direction.RECV,
                AppendEntriesResponse.reject("n2", "n1", 3, 4, new ConflictHint(2, 3), 3, 1), null, 0)).get("msg"));
        assertEquals("Snap", encode(new TraceEvent.Message(TraceEvent.Direction.SEND, new InstallSnapshotRequest(
                "n1", "n2", 3, 10, 2, Configuration.ofVoterIds("n1", "n2"), 0, new byte[5], true), null, 0)).get("msg"));
        assertEquals("PreVote", encode(new TraceEvent.Message(TraceEvent.Direction.SEND,
                new VoteRequest("n1", "n2", 3, 5, 2, true, false), null, 0)).get("msg"));
        assertEquals("[...]", encode(new TraceEvent.View(Role.LEADER, 3, "n1", "n1", 5, 5, 6, 0,
                List.of(new TraceEvent.TermRun(1, 6, 3)), List.of(Member.voter("n1", "")))).get("log"));
        assertEquals("add-learner n4", encode(new TraceEvent.Config(7, List.of(Member.learner("n4", "")),
                "add-learner n4")).get("change"));
        assertEquals("installed", encode(new TraceEvent.Snapshot(TraceEvent.SnapshotOrigin.INSTALLED, 9, 2, -1))
                .get("origin"));
        assertEquals("[...]", encode(new TraceEvent.Network(List.of(List.of("n1", "n2")), "healthy")).get("blocked"));
        for (TraceEvent e : List.<TraceEvent>of(new TraceEvent.Persist(3, null), new TraceEvent.Append(1, 2, 3),
                new TraceEvent.Truncate(2, 3), new TraceEvent.Commit(4), new TraceEvent.Apply(4),
                new TraceEvent.Transfer(null), new TraceEvent.Down("crash", 3), new TraceEvent.Fault("#1 crash n2"),
                new TraceEvent.Violation("two leaders"), new TraceEvent.Messages(TraceEvent.Direction.SEND, "App", "n1",
                        "n2", 3, 40, 5, 90))) {
            assertEquals(e.type(), encode(e).get("type"));
        }
    }

    /** Strings the schema carries (reasons, fault texts, ids) survive any characters: escaped, still one line. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void anyStringIsEscaped(long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 200; i++) {
            StringBuilder s = new StringBuilder();
            int n = random.nextInt(30);
            for (int k = 0; k < n; k++) {
                s.append((char) (random.nextBoolean() ? random.nextInt(0x20) : random.nextInt(0x20, 0xD7FF)));
            }
            String text = s.toString();
            assertEquals(text, encode(new TraceEvent.Fault(text)).get("text"), "seed " + seed);
        }
    }

    @Test
    void metaLineNamesTheSchemaVersionAndClock() throws IOException {
        Map<String, String> meta = fields(TraceJson.meta("simulator", "sim", Map.of("seed", 42L, "nodes",
                List.of("n1", "n2"))));
        assertEquals("meta", meta.get("type"));
        assertEquals(String.valueOf(TraceJson.SCHEMA_VERSION), meta.get("version"));
        assertEquals("sim", meta.get("clock"));
        assertEquals("42", meta.get("seed"));
    }

    @Test
    void configurationChangesAreNamed() {
        Configuration three = Configuration.ofVoterIds("n1", "n2", "n3");
        assertEquals("initial", TraceEmitter.describeChange(null, three));
        Configuration withLearner = three.with(Member.learner("n4", ""));
        assertEquals("add-learner n4", TraceEmitter.describeChange(three, withLearner));
        assertEquals("promote n4", TraceEmitter.describeChange(withLearner, withLearner.with(Member.voter("n4", ""))));
        assertEquals("remove n3", TraceEmitter.describeChange(three, three.without("n3")));
    }

    private static Map<String, String> without(Map<String, String> m, String key) {
        Map<String, String> out = new LinkedHashMap<>(m);
        out.remove(key);
        return out;
    }
}
