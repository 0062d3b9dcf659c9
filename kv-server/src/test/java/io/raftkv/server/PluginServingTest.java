package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.session.SessionOptions;
import io.raftkv.plugin.PluginContext;
import io.raftkv.plugin.PluginInstance;
import io.raftkv.plugin.StateMachinePlugin;
import io.raftkv.plugin.http.Json;
import io.raftkv.plugin.resp.RespSettings;
import io.raftkv.server.plugin.Plugins;
import io.raftkv.server.resp.RespOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.exceptions.JedisDataException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server runs whichever state machine plugin it is told to, found with ServiceLoader: a plugin without routes
 * (this module's test {@link CounterPlugin}) is served by the generic API, the SQL plugin by its own rqlite routes;
 * the server's routes stay the same for all; unknown plugins and a data directory of another plugin are refused. The
 * RESP front door serves a plugin's own command table the same way ({@link CounterPlugin}'s), and refuses a plugin
 * without one.
 */
@Timeout(120)
class PluginServingTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    static HttpResponse<String> send(String method, String url, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aPluginWithoutRoutesIsServedByTheGenericApiOnEveryNode() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, "counter")) {
            String leader = c.awaitLeader(WAIT);
            String follower = c.configs.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            String other = c.configs.keySet().stream().filter(id -> !id.equals(leader) && !id.equals(follower))
                    .findFirst().orElseThrow();

            // Commands go through any node (a follower hands them to the leader); the result is the machine's own.
            HttpResponse<String> added = send("POST", "http://" + c.http(follower) + "/command", "add 5");
            assertEquals(200, added.statusCode(), added.body());
            assertEquals("5", added.body());
            assertEquals("text/plain; charset=utf-8", added.headers().firstValue("content-type").orElse(""));
            assertEquals("7", send("POST", "http://" + c.http(leader) + "/command", "add 2").body());
            // A deterministic failure is the state machine's result: 200, as every server computed it.
            HttpResponse<String> bad = send("POST", "http://" + c.http(other) + "/command", "multiply 3");
            assertEquals(200, bad.statusCode());
            assertTrue(bad.body().startsWith("error:"), bad.body());

            // Reads at every level through any node: GET with the query as text, or POST with it as the body.
            assertEquals("7", send("GET", "http://" + c.http(other) + "/query?q=total&level=linearizable", null).body());
            assertEquals("7", send("POST", "http://" + c.http(follower) + "/query?level=lease", "total").body());
            TestCluster.await(WAIT, "a stale read on " + other + " to catch up", () -> {
                try {
                    return send("POST", "http://" + c.http(other) + "/query?level=stale", "total").body().equals("7");
                } catch (Exception e) {
                    return false;
                }
            });

            String n1 = "http://" + c.http("n1");
            assertError(400, send("POST", n1 + "/command", ""));
            // A body that looks like a session frame (tag 0xFE) would close or expire other clients' sessions.
            HttpResponse<String> forged = HTTP.send(HttpRequest.newBuilder(URI.create(n1 + "/command"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[]{(byte) 0xFE, 3, 0, 0, 0, 0, 0, 0, 0, 1}))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertError(400, forged);
            assertTrue(forged.body().contains("0xFE"), forged.body());
            assertError(400, send("POST", n1 + "/query?level=bogus", "total"));
            assertError(400, send("GET", n1 + "/query", null));
            assertError(405, send("GET", n1 + "/command", null));
            assertError(405, send("DELETE", n1 + "/query", null));
            assertError(404, send("GET", n1 + "/key/x", null)); // the KV routes belong to the kv plugin only
            assertError(404, send("GET", n1 + "/digest", null)); // this plugin has no digest

            JsonNode status = Json.MAPPER.readTree(send("GET", n1 + "/status", null).body());
            assertEquals("counter", status.get("stateMachine").asText());
            assertEquals(3, status.get("members").size());
        }
    }

    @Test
    void theSqlPluginServesRqlitesApiThroughEveryNode() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, "sql")) {
            c.awaitLeader(WAIT);
            String n1 = "http://" + c.http("n1");
            String n2 = "http://" + c.http("n2");
            String n3 = "http://" + c.http("n3");
            HttpResponse<String> created = send("POST", n1 + "/db/execute",
                    "[\"CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT, at TEXT DEFAULT CURRENT_TIMESTAMP)\"]");
            assertEquals(200, created.statusCode(), created.body());
            HttpResponse<String> inserted = send("POST", n2 + "/db/execute?transaction",
                    "[[\"INSERT INTO foo(name) VALUES(?)\", \"fiona\"], [\"INSERT INTO foo(name) VALUES(:n)\", {\"n\": \"sinead\"}]]");
            assertEquals(200, inserted.statusCode(), inserted.body());
            assertEquals(2, Json.MAPPER.readTree(inserted.body()).get("results").get(1).get("last_insert_id").asLong());

            HttpResponse<String> rows = send("GET", n3 + "/db/query?level=strong&q="
                    + URLEncoder.encode("SELECT name FROM foo ORDER BY id", StandardCharsets.UTF_8), null);
            assertEquals(200, rows.statusCode(), rows.body());
            assertEquals("[[\"fiona\"],[\"sinead\"]]",
                    Json.MAPPER.readTree(rows.body()).get("results").get(0).get("values").toString());
            assertError(400, send("POST", n3 + "/db/execute", "[\"BEGIN\"]")); // refused before it reaches the log
            assertError(405, send("GET", n3 + "/db/execute", null));

            JsonNode digest = converged(c);
            assertTrue(digest.get("appliedIndex").asLong() >= 3, digest.toString());
            assertEquals("sql", Json.MAPPER.readTree(send("GET", n1 + "/status", null).body())
                    .get("stateMachine").asText());
        }
    }

    /** Every node reports the same SQL digest at the same applied index. */
    private static JsonNode converged(TestCluster c) {
        JsonNode[] first = new JsonNode[1];
        TestCluster.await(WAIT, "equal digests at equal indexes", () -> {
            JsonNode seen = null;
            for (String id : c.nodes.keySet()) {
                JsonNode d;
                try {
                    d = Json.MAPPER.readTree(send("GET", "http://" + c.http(id) + "/digest", null).body());
                } catch (Exception e) {
                    return false;
                }
                if (seen != null && (!seen.get("digest").equals(d.get("digest"))
                        || !seen.get("appliedIndex").equals(d.get("appliedIndex")))) {
                    return false;
                }
                seen = d;
            }
            first[0] = seen;
            return true;
        });
        return first[0];
    }

    @Test
    void theRespFrontDoorServesAPluginsOwnCommandTable() throws Exception {
        try (ServerNode node = ServerNode.start(singleNode("counter"), null, SessionOptions.defaults(),
                RespOptions.at("127.0.0.1:0"));
             Connection redis = new Connection(new HostAndPort("127.0.0.1", node.respAddress().getPort()))) {
            TestCluster.await(WAIT, "n1 to lead", () -> node.raft().status().isLeader());
            redis.connect();
            assertEquals(5L, call(redis, "add", "5")); // proposed through Raft, answered from the counter's result
            assertEquals(7L, call(redis, "ADD", "2"));
            assertEquals(7L, call(redis, "total"));
            assertEquals("-ERR value is not an integer or out of range", call(redis, "add", "x"));
            assertEquals("-ERR wrong number of arguments for 'add' command", call(redis, "add"));
            // The KV store's commands belong to the kv plugin only.
            assertEquals("-ERR unknown command 'get', with args beginning with: 'k' ", call(redis, "get", "k"));
            // A table that throws fails that command alone: the connection and the server's own commands go on.
            assertTrue(((String) call(redis, "boom")).startsWith("-ERR internal error: "), "boom");
            assertEquals("PONG", call(redis, "ping"));
            assertEquals("OK", call(redis, "multi"));
            assertEquals("QUEUED", call(redis, "add", "1"));
            assertEquals("-EXECABORT the counter has no transactions", call(redis, "exec"));
            assertEquals(7L, call(redis, "total"));
            // COMMAND lists the connection commands and the plugin's; INFO has no keyspace lines of the KV store's.
            List<?> names = (List<?>) call(redis, "command", "list");
            assertTrue(names.containsAll(List.of("add", "total", "ping", "multi")) && !names.contains("get"),
                    names.toString());
            assertEquals(List.of("add", List.of("summary", "Adds n to the total; returns the new total.", "since",
                    "1.0.0", "group", "counter")), call(redis, "command", "docs", "add"));
            assertEquals("# Keyspace\r\n", call(redis, "info", "keyspace")); // the table has no keyspace lines
            assertEquals("7", send("POST", "http://" + node.config().httpAddress() + "/query", "total").body());
        }
    }

    @Test
    void respWithAPluginWithoutRespCommandsIsRefusedAtStartInOneLine() throws Exception {
        ServerConfig sql = singleNode("sql");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> ServerNode.start(sql,
                null, SessionOptions.defaults(), RespOptions.at("127.0.0.1:0")).close());
        assertEquals("plugin 'sql' has no RESP commands: serve it without --resp", refused.getMessage());
        // The refusal closed what it had opened: the data directory serves the same plugin without --resp.
        ServerNode.start(sql).close();

        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.execute("serve", "--id", "n1", "--data", sql.dataDir().toString(), "--raft",
                    sql.raftAddress(), "--http", sql.httpAddress(), "--peers", "n1=" + sql.raftAddress(),
                    "--state-machine", "sql", "--resp", "127.0.0.1:0");
        } finally {
            System.setErr(oldErr);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, text);
        assertTrue(text.lines().anyMatch(l -> l.equals("raftkv: cannot start n1: plugin 'sql' has no RESP commands:"
                + " serve it without --resp")), text);
    }

    @Test
    void theDemoServesRespForExactlyThePluginsWithRespCommands() throws Exception {
        // demo decides from the plugin's RESP examples, before any node opens it: they must agree with the instances.
        for (StateMachinePlugin plugin : Plugins.available().values()) {
            try (PluginInstance instance = plugin.open(new PluginContext("n1", dir.resolve(plugin.name()),
                    new SimpleMeterRegistry()))) {
                boolean hasTable = instance.respCommands(RespSettings.defaults()) != null;
                List<String> examples = plugin.exampleRespRequests(List.of("127.0.0.1:6381", "127.0.0.1:6382"));
                assertEquals(hasTable, !examples.isEmpty(), plugin.name() + ": " + examples);
            }
        }
    }

    /** A one-server cluster of {@code plugin} in this test's directory. */
    private ServerConfig singleNode(String plugin) {
        String raft = "127.0.0.1:" + Ports.free();
        String http = "127.0.0.1:" + Ports.free();
        return ServerConfig.of("n1", dir.resolve("n1"), raft, http, Map.of("n1", raft), Map.of("n1", http))
                .withStateMachine(plugin);
    }

    /** One command's reply: a number, text, a list of replies, or an error as {@code "-message"}. */
    private static Object call(Connection c, String name, String... args) {
        c.sendCommand(() -> name.getBytes(StandardCharsets.UTF_8), args);
        try {
            return text(c.getOne());
        } catch (JedisDataException e) {
            return "-" + e.getMessage();
        }
    }

    private static Object text(Object reply) {
        if (reply instanceof List<?> list) {
            return list.stream().map(PluginServingTest::text).toList();
        }
        return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply;
    }

    @Test
    void aDataDirectoryKeepsThePluginItWasFirstStartedWith() throws Exception {
        try (TestCluster c = new TestCluster(dir, 1, "counter")) {
            c.awaitLeader(WAIT);
        }
        ServerConfig asKv = ServerConfig.of("n1", dir.resolve("n1"), "127.0.0.1:" + Ports.free(),
                "127.0.0.1:" + Ports.free(), java.util.Map.of(), java.util.Map.of());
        IOException refused = assertThrows(IOException.class, () -> ServerNode.start(asKv).close());
        assertTrue(refused.getMessage().contains("belongs to the 'counter' state machine"), refused.getMessage());
        // The refusal left the directory usable by its own plugin.
        ServerNode.start(asKv.withStateMachine("counter")).close();
    }

    @Test
    void anUnknownPluginIsAUsageErrorNamingTheOnesThereAre() {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.execute("serve", "--id", "n1", "--data", dir.toString(), "--raft", "127.0.0.1:1",
                    "--http", "127.0.0.1:2", "--peers", "n1=127.0.0.1:1", "--state-machine", "ledgr");
        } finally {
            System.setErr(oldErr);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, text);
        assertEquals(1, text.strip().lines().count(), text);
        for (String known : List.of("'ledgr'", "counter", "kv", "sql")) {
            assertTrue(text.contains(known), text);
        }
    }

    private static void assertError(int status, HttpResponse<String> r) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(Json.MAPPER.readTree(r.body()).hasNonNull("error"), r.body());
    }
}
