package io.raftkv.sql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.core.Role;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftServerOptions;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemorySnapshotStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.core.transport.LocalNetwork;
import io.raftkv.plugin.http.Reply;
import io.raftkv.sql.http.SqlHttpApi;
import io.raftkv.sql.http.SqlNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Three {@link RaftServer}s in one JVM (in-memory log and snapshot stores, a LocalNetwork), each with its SQL
 * database on disk, driven through the HTTP API: writes through the leader, a linearizable read through a
 * follower, a server stopped while the others write and compact past it — it restarts from its own database
 * (ahead of its snapshot store, behind the cluster) and catches up by InstallSnapshot — and the leader
 * restarted. At the end every database has the same digest at the same index.
 */
class SqlClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Answers are built off the raft and apply threads, as the server will. */
    private static final java.util.concurrent.Executor COMPLETIONS = java.util.concurrent.ForkJoinPool.commonPool();

    @TempDir
    Path dir;
    private final LocalNetwork network = new LocalNetwork();
    private final Map<String, InMemoryLogStore> logs = new LinkedHashMap<>();
    private final Map<String, InMemoryStableStore> stables = new LinkedHashMap<>();
    private final Map<String, InMemorySnapshotStore> snapshots = new LinkedHashMap<>();
    private final Map<String, SqlStateMachine> databases = new LinkedHashMap<>();
    private final Map<String, RaftServer> servers = new LinkedHashMap<>();
    private final Configuration configuration = Configuration.ofVoters(List.of(Member.voter("n1", ""),
            Member.voter("n2", ""), Member.voter("n3", "")));
    private int starts;

    private void start(String id) throws Exception {
        logs.computeIfAbsent(id, k -> new InMemoryLogStore());
        stables.computeIfAbsent(id, k -> new InMemoryStableStore());
        snapshots.computeIfAbsent(id, k -> new InMemorySnapshotStore());
        SqlStateMachine sm = SqlStateMachine.open(dir.resolve(id));
        databases.put(id, sm);
        RaftServer server = RaftServer.builder(id)
                .serverOptions(RaftServerOptions.defaults().withTickInterval(Duration.ofMillis(20))
                        .withSnapshots(25, 5).withShutdownTimeout(Duration.ofSeconds(10)))
                .logStore(logs.get(id)).stableStore(stables.get(id)).snapshotStore(snapshots.get(id))
                .stateMachine(sm).transport(network.transport(id)).bootstrap(configuration)
                .random(new Random(31L * starts++))
                .build();
        servers.put(id, server);
        server.start();
    }

    private void stop(String id) {
        servers.get(id).close();
        databases.get(id).close();
    }

    @AfterEach
    void closeAll() {
        for (String id : servers.keySet()) {
            stop(id);
        }
    }

    private RaftServer awaitLeader() throws InterruptedException {
        RaftServer[] leader = new RaftServer[1];
        await(() -> {
            for (RaftServer s : servers.values()) {
                if (s.isRunning() && s.status().role() == Role.LEADER) {
                    leader[0] = s;
                    return true;
                }
            }
            return false;
        }, "a leader");
        return leader[0];
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** POSTs to the leader's API, retrying while leadership moves. */
    private JsonNode execute(String body) throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            RaftServer leader = awaitLeader();
            Reply r = api(leader).handle("POST", "/db/execute", body.getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
            if (r.status() == 200) {
                return JSON.readTree(r.body());
            }
            assertEquals(503, r.status(), r.bodyText());
            Thread.sleep(50);
        }
        throw new AssertionError("no leader took " + body);
    }

    private static SqlHttpApi api(RaftServer server) {
        return new SqlHttpApi(SqlNode.of(server), new LeaderStamp(), Duration.ofSeconds(10), COMPLETIONS);
    }

    private void insert(int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            JsonNode r = execute("[[\"INSERT INTO t(n, at, r) VALUES (?, CURRENT_TIMESTAMP, random())\", " + i + "]]");
            assertTrue(r.get("results").get(0).has("last_insert_id"), r.toString());
        }
    }

    private void awaitSameDigest() throws InterruptedException {
        await(() -> {
            long index = -1;
            for (SqlStateMachine sm : databases.values()) {
                long i = sm.lastAppliedIndex();
                if (index >= 0 && i != index) {
                    return false;
                }
                index = i;
            }
            return true;
        }, "every server at one applied index");
        List<SqlResult> digests = new ArrayList<>();
        for (SqlStateMachine sm : databases.values()) {
            digests.add(sm.query(SqlQuery.Digest.INSTANCE));
        }
        for (SqlResult d : digests) {
            assertEquals(digests.get(0), d, "State Machine Safety (§5.4.3): the same database everywhere");
        }
    }

    @Test
    void writesReadsRestartsAndSnapshotInstalls() throws Exception {
        for (String id : List.of("n1", "n2", "n3")) {
            start(id);
        }
        execute("[\"CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, at TEXT, r INTEGER)\"]");
        insert(0, 30);

        RaftServer leader = awaitLeader();
        RaftServer follower = servers.values().stream().filter(s -> s != leader).findFirst().orElseThrow();
        Reply read = api(follower).handle("GET", "/db/query?q=SELECT%20count(*)%20FROM%20t&level=linearizable",
                new byte[0]).get(30, TimeUnit.SECONDS);
        assertEquals("[[30]]", JSON.readTree(read.body()).get("results").get(0).get("values").toString(),
                "a linearizable read on a follower sees every acknowledged write");

        // A follower goes down; the others write on and compact their logs past it.
        String down = follower.id();
        long downAt = databases.get(down).lastAppliedIndex();
        stop(down);
        servers.remove(down);
        insert(30, 100);
        // Snapshots are written in the background: wait for one well past the stopped server's position.
        await(() -> snapshots.get(leader.id()).latest().map(m -> m.lastIncludedIndex() > downAt + 30).orElse(false),
                "a snapshot on " + leader.id() + " past index " + (downAt + 30));
        start(down); // its database is where it stopped; the leader's log no longer reaches back there
        assertTrue(databases.get(down).lastAppliedIndex() >= downAt, "the database kept its index across the restart");
        awaitSameDigest();
        assertTrue(snapshots.get(down).latest().orElseThrow().lastIncludedIndex() > downAt + 5,
                "caught up through the leader's snapshot");

        // The leader restarts from its own database too.
        String old = awaitLeader().id();
        stop(old);
        servers.remove(old);
        insert(100, 110);
        start(old);
        insert(110, 115);
        awaitSameDigest();
        JsonNode count = JSON.readTree(api(awaitLeader()).handle("GET", "/db/query?q=SELECT%20count(*),%20count(DISTINCT%20r)%20FROM%20t",
                new byte[0]).get(30, TimeUnit.SECONDS).body());
        assertEquals("[[115,115]]", count.get("results").get(0).get("values").toString(),
                "every insert applied once, each with its own random()");
    }
}
