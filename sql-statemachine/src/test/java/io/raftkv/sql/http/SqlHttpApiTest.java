package io.raftkv.sql.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.core.NotLeaderException;
import io.raftkv.core.server.OutcomeUnknownException;
import io.raftkv.core.server.OverloadedException;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.plugin.http.Reply;
import io.raftkv.sql.LeaderStamp;
import io.raftkv.sql.SqlStateMachine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP API against a fake node: a real SQL state machine applied in place of a Raft cluster. */
class SqlHttpApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    SqlStateMachine sm;
    FakeNode node;
    SqlHttpApi api;

    /** Stands in for RaftServer: applies each proposal at the next index, reads at once; records what it saw. */
    static final class FakeNode implements SqlNode {
        final SqlStateMachine sm;
        final List<ReadLevel> levels = new ArrayList<>();
        int proposals;
        Function<byte[], CompletableFuture<byte[]>> failure;

        FakeNode(SqlStateMachine sm) {
            this.sm = sm;
        }

        @Override
        public synchronized CompletableFuture<byte[]> propose(byte[] command) {
            proposals++;
            if (failure != null) {
                return failure.apply(command);
            }
            return CompletableFuture.completedFuture(sm.apply(sm.lastAppliedIndex() + 1, command));
        }

        @Override
        public synchronized CompletableFuture<byte[]> read(byte[] query, ReadLevel level) {
            levels.add(level);
            if (failure != null) {
                return failure.apply(query);
            }
            return CompletableFuture.completedFuture(sm.query(query));
        }
    }

    @BeforeEach
    void open() throws Exception {
        sm = SqlStateMachine.open(dir);
        node = new FakeNode(sm);
        LeaderStamp stamp = new LeaderStamp(Clock.fixed(Instant.parse("2026-12-07T10:15:30.250Z"), ZoneOffset.UTC), () -> 1);
        api = new SqlHttpApi(node, stamp, Duration.ofSeconds(5), Runnable::run);
    }

    @AfterEach
    void close() {
        sm.close();
    }

    private Reply call(String method, String uri, String body) throws Exception {
        return api.handle(method, uri, body.getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
    }

    private JsonNode ok(Reply r) throws Exception {
        assertEquals(200, r.status(), r.bodyText());
        assertEquals(Reply.JSON, r.contentType());
        return JSON.readTree(r.body());
    }

    private static String q(String sql) {
        return URLEncoder.encode(sql, StandardCharsets.UTF_8);
    }

    @Test
    void executeThenQueryAsRqliteDoes() throws Exception {
        JsonNode r = ok(call("POST", "/db/execute", """
                ["CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT, age INTEGER, at TEXT DEFAULT CURRENT_TIMESTAMP)",
                 ["INSERT INTO foo(name, age) VALUES(?, ?)", "fiona", 20],
                 ["INSERT INTO foo(name, age) VALUES(:name, :age)", {"name": "sinead", "age": 24.5}],
                 ["INSERT INTO foo(name, age) VALUES(?, ?)", null, true],
                 "INSERT INTO nosuch VALUES (1)"]
                """));
        assertEquals("{\"last_insert_id\":0,\"rows_affected\":0}", r.get("results").get(0).toString());
        assertEquals("{\"last_insert_id\":1,\"rows_affected\":1}", r.get("results").get(1).toString());
        assertEquals(2, r.get("results").get(2).get("last_insert_id").asInt());
        assertEquals("{\"error\":\"no such table: nosuch\"}", r.get("results").get(4).toString());
        assertFalse(r.has("time"));

        JsonNode rows = ok(call("GET", "/db/query?q=" + q("SELECT id, name, age, at FROM foo ORDER BY id") + "&level=none", ""));
        JsonNode first = rows.get("results").get(0);
        assertEquals("[\"id\",\"name\",\"age\",\"at\"]", first.get("columns").toString());
        assertEquals("[\"integer\",\"text\",\"integer\",\"text\"]", first.get("types").toString());
        assertEquals("[1,\"fiona\",20,\"2026-12-07 10:15:30\"]", first.get("values").get(0).toString());
        assertEquals("[2,\"sinead\",24.5,\"2026-12-07 10:15:30\"]", first.get("values").get(1).toString());
        assertEquals("[3,null,1,\"2026-12-07 10:15:30\"]", first.get("values").get(2).toString());
        assertEquals(List.of(ReadLevel.STALE), node.levels);
    }

    @Test
    void queriesTakeSeveralStatementsLevelsBlobsAndEmptyResults() throws Exception {
        ok(call("POST", "/db/execute", "[\"CREATE TABLE b (v BLOB)\", \"INSERT INTO b VALUES (x'00ff10')\"]"));
        JsonNode r = ok(call("POST", "/db/query?level=strong", "[\"SELECT v FROM b\", [\"SELECT count(*) AS n FROM b WHERE v = ?\", \"x\"], \"SELECT * FROM b WHERE 0\", \"SELECT nope\"]"));
        assertEquals("\"AP8Q\"", r.get("results").get(0).get("values").get(0).get(0).toString(), "blobs are base64");
        assertEquals("[[0]]", r.get("results").get(1).get("values").toString());
        assertFalse(r.get("results").get(2).has("values"), "no rows: no values, as rqlite");
        assertEquals("no such column: nope", r.get("results").get(3).get("error").asText());
        ok(call("GET", "/db/query?q=SELECT%201&q=SELECT%202&level=linearizable", ""));
        ok(call("GET", "/db/query?q=SELECT%201&level=weak", ""));
        ok(call("GET", "/db/query?q=SELECT%201", ""));
        assertEquals(List.of(ReadLevel.LINEARIZABLE, ReadLevel.LINEARIZABLE, ReadLevel.LEASE, ReadLevel.LEASE), node.levels);
    }

    @Test
    void aTransactionIsAllOrNothing() throws Exception {
        ok(call("POST", "/db/execute", "[\"CREATE TABLE a (n TEXT PRIMARY KEY, b INTEGER CHECK (b >= 0))\", \"INSERT INTO a VALUES ('x', 10), ('y', 0)\"]"));
        JsonNode r = ok(call("POST", "/db/execute?transaction", "[\"UPDATE a SET b = b + 20 WHERE n = 'y'\", \"UPDATE a SET b = b - 20 WHERE n = 'x'\"]"));
        assertEquals("CHECK constraint failed: b >= 0", r.get("results").get(1).get("error").asText());
        assertEquals("[[10]]", ok(call("GET", "/db/query?q=" + q("SELECT sum(b) FROM a"), "")).get("results").get(0).get("values").toString());
        r = ok(call("POST", "/db/execute?transaction=true&timings&pretty", "[\"UPDATE a SET b = b + 5 WHERE n = 'y'\", \"UPDATE a SET b = b - 5 WHERE n = 'x'\"]"));
        assertTrue(r.get("time").asDouble() >= 0);
        assertTrue(call("POST", "/db/execute?pretty", "[\"SELECT 1\"]").bodyText().contains("\n"), "pretty prints");
    }

    @Test
    void refusedAndMalformedRequestsAre400sAndProposeNothing() throws Exception {
        for (String body : List.of("[\"BEGIN\"]", "[\"SELECT 1; SELECT 2\"]", "not json", "{\"a\": 1}",
                "[[\"INSERT INTO t VALUES (?)\", {\"x\": [1]}]]", "[[\"INSERT INTO t VALUES (?)\", [1]]]", "[42]", "[]",
                "[[\"INSERT INTO t VALUES (?, ?)\", 1]]")) {
            Reply r = call("POST", "/db/execute", body);
            assertEquals(400, r.status(), body + " -> " + r.bodyText());
            assertTrue(JSON.readTree(r.body()).get("error").asText().length() > 5, r.bodyText());
        }
        assertEquals(0, node.proposals, "nothing reached the log");
        assertTrue(call("POST", "/db/execute", "[\"PRAGMA journal_mode = DELETE\"]").bodyText().contains("statement 1: PRAGMA"));
        assertEquals(400, call("GET", "/db/query?q=SELECT%201&level=eventual", "").status());
        assertEquals(400, call("GET", "/db/query", "").status());
        assertEquals(400, call("GET", "/db/query?q=" + q("PRAGMA writable_schema = 1"), "").status());
        assertEquals(404, call("GET", "/db/nothing", "").status());
        assertEquals(405, call("GET", "/db/execute", "").status());
        assertEquals(405, call("DELETE", "/db/query?q=SELECT%201", "").status());
        assertEquals(400, call("GET", "/db/query?q=%zz", "").status(), "a broken escape");
    }

    @Test
    void failuresSayWhatTheClientMayConclude() throws Exception {
        node.failure = b -> CompletableFuture.failedFuture(new NotLeaderException("n2"));
        Reply r = call("POST", "/db/execute", "[\"SELECT 1\"]");
        assertEquals(503, r.status());
        assertEquals("n2", JSON.readTree(r.body()).get("leader").asText());
        node.failure = b -> CompletableFuture.failedFuture(new OutcomeUnknownException(5, 1, "leadership lost", null));
        assertEquals(504, call("POST", "/db/execute", "[\"SELECT 1\"]").status());
        node.failure = b -> CompletableFuture.failedFuture(new OverloadedException("too many proposals"));
        assertEquals(503, call("POST", "/db/execute", "[\"SELECT 1\"]").status());
        node.failure = b -> CompletableFuture.failedFuture(new IllegalStateException("bug"));
        assertEquals(500, call("GET", "/db/query?q=SELECT%201", "").status());
        node.failure = b -> CompletableFuture.completedFuture(new byte[]{9});
        assertEquals(500, call("GET", "/db/query?q=SELECT%201", "").status());
        // Never answered: a write's outcome is unknown, a read is simply retried.
        api = new SqlHttpApi(node, new LeaderStamp(), Duration.ofMillis(50), Runnable::run);
        node.failure = b -> new CompletableFuture<>();
        assertEquals(504, call("POST", "/db/execute", "[\"SELECT 1\"]").status());
        assertEquals(503, call("GET", "/db/query?q=SELECT%201", "").status());
    }

    @Test
    void everyRoundTripAgreesWithTheStateMachine() throws Exception {
        ok(call("POST", "/db/execute", "[\"CREATE TABLE r (v)\", [\"INSERT INTO r VALUES (?), (?), (?)\", 1.5, \"é😀\", 9223372036854775807]]"));
        JsonNode v = ok(call("GET", "/db/query?q=" + q("SELECT v, typeof(v) FROM r ORDER BY rowid"), "")).get("results").get(0).get("values");
        assertEquals("[[1.5,\"real\"],[\"é😀\",\"text\"],[9223372036854775807,\"integer\"]]", v.toString());
        JsonNode inf = ok(call("GET", "/db/query?q=" + q("SELECT 1e999, -1e999"), "")).get("results").get(0).get("values");
        assertEquals("[[\"Infinity\",\"-Infinity\"]]", inf.toString(), "JSON has no infinity: a string");
    }
}
