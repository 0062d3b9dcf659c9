package io.raftkv.sql.plugin;

import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.plugin.PluginContext;
import io.raftkv.plugin.PluginHost;
import io.raftkv.plugin.PluginInstance;
import io.raftkv.plugin.StateDigest;
import io.raftkv.plugin.StateMachinePlugin;
import io.raftkv.plugin.http.HttpRoutes;
import io.raftkv.plugin.http.Routed;
import io.raftkv.sql.LeaderStamp;
import io.raftkv.sql.SqlCodec;
import io.raftkv.sql.SqlQuery;
import io.raftkv.sql.SqlResult;
import io.raftkv.sql.SqlStateMachine;
import io.raftkv.sql.http.SqlHttpApi;
import io.raftkv.sql.http.SqlNode;

import java.io.IOException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --state-machine sql}: a replicated SQLite database behind rqlite's HTTP API ({@code POST /db/execute},
 * {@code GET|POST /db/query}; {@link SqlHttpApi}). Unlike the KV store the database is a file that outlives the
 * process: it lives in the plugin's directory ({@code DATA/sql/state.db}), records the index it holds, and Raft
 * replays only the entries after it at start.
 *
 * <p>Writes are taken by any server: the one that receives a request checks and stamps it ({@link LeaderStamp}:
 * its clock's time and a random seed become part of the command) and proposes it; a follower hands it to the leader
 * over the Raft transport. Reads at every level are served where they arrive.
 */
public final class SqlPlugin implements StateMachinePlugin {
    public static final String NAME = "sql";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a replicated SQLite database: /db/execute, /db/query (rqlite's API)";
    }

    @Override
    public List<String> exampleRequests(List<String> http) {
        String first = http.get(0);
        String second = http.get(Math.min(1, http.size() - 1));
        return List.of(
                "curl -s -X POST http://" + first + "/db/execute -d '[\"CREATE TABLE foo (id INTEGER PRIMARY KEY,"
                        + " name TEXT)\"]'",
                "curl -s -X POST http://" + first + "/db/execute -d '[[\"INSERT INTO foo(name) VALUES(?)\", \"fiona\"]]'",
                "curl -s -G http://" + second + "/db/query --data-urlencode 'q=SELECT * FROM foo'"
                        + " --data-urlencode level=linearizable");
    }

    @Override
    public PluginInstance open(PluginContext context) throws IOException {
        return new Instance(SqlStateMachine.open(context.directory()));
    }

    private record Instance(SqlStateMachine database) implements PluginInstance {
        @Override
        public StateMachine stateMachine() {
            return database;
        }

        @Override
        public HttpRoutes httpRoutes(PluginHost host) {
            SqlHttpApi api = new SqlHttpApi(SqlNode.of(host), new LeaderStamp(), host.requestTimeout(),
                    host.executor());
            return request -> SqlHttpApi.handles(request.path())
                    ? new Routed(request.path(), api.handle(request.method(), request.path(), request.params(),
                            request.body(), request.loop() != null ? request.loop() : host.executor()))
                    : null;
        }

        @Override
        public StateDigest digest() {
            return DIGEST;
        }

        /** The database persists itself and starts ahead of the log: an in-memory session table would miss entries. */
        @Override
        public boolean clientSessions() {
            return false;
        }

        @Override
        public void close() {
            database.close(); // after Raft stopped: no apply, query or snapshot copy uses it any more
        }
    }

    /** {@code GET /digest}: the SHA-256 of the database's canonical dump, and the index it holds. */
    private static final StateDigest DIGEST = new StateDigest() {
        @Override
        public byte[] query() {
            return SqlCodec.encodeQuery(SqlQuery.Digest.INSTANCE);
        }

        @Override
        public Map<String, Object> describe(byte[] answer) {
            SqlResult result = SqlCodec.decodeResult(answer);
            if (!(result instanceof SqlResult.StateDigest d)) {
                throw new IllegalArgumentException("not a digest: " + result);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("digest", HexFormat.of().formatHex(d.digest()));
            body.put("appliedIndex", d.appliedIndex());
            return body;
        }
    };
}
