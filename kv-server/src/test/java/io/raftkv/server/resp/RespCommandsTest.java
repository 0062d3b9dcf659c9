package io.raftkv.server.resp;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.server.OutcomeUnknownException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's side of the command layer without a network, over the kv plugin's table: dispatch (arity, unknown
 * commands), the connection commands, MULTI's queue, INFO and COMMAND, and Raft's failures, with Redis's reply types
 * and error words (RedisDifferentialTest checks the same replies against a real redis-server where one is
 * installed), and raftkv's own answers where it differs on purpose (WATCH, transactions all or nothing). The KV
 * table's own commands (strings, counters, SCAN, limits, FLUSHDB, expiry, KEYS) are kv-plugin's
 * {@code KvRespCommandsTest}. Each script runs on a fresh store; a line is {@code command => expected reply}.
 */
class RespCommandsTest {

    static Stream<Map.Entry<String, String>> scripts() {
        return SCRIPTS.entrySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void script(Map.Entry<String, String> script) {
        RespTestClient c = new RespTestClient();
        int n = 0;
        for (String line : script.getValue().strip().split("\n")) {
            n++;
            String[] parts = line.split("=>", 2);
            String command = parts[0].strip();
            String expected = parts[1].strip();
            // Text blocks drop trailing spaces: compare without them (Redis's unknown-command error ends with one).
            assertEquals(expected, c.run(command).stripTrailing(), script.getKey() + " line " + n + ": " + command);
        }
    }

    private static final Map<String, String> SCRIPTS = new java.util.LinkedHashMap<>();

    static {
        SCRIPTS.put("dispatch", """
                get                          => -ERR wrong number of arguments for 'get' command
                get a b                      => -ERR wrong number of arguments for 'get' command
                set k                        => -ERR wrong number of arguments for 'set' command
                mset a                       => -ERR wrong number of arguments for 'mset' command
                del                          => -ERR wrong number of arguments for 'del' command
                mget                         => -ERR wrong number of arguments for 'mget' command
                foo a b                      => -ERR unknown command 'foo', with args beginning with: 'a' 'b' 
                foo                          => -ERR unknown command 'foo', with args beginning with: 
                GET k                        => (nil)
                set k v                      => +OK
                get k                        => "v"
                """);
        SCRIPTS.put("connection", """
                ping                         => +PONG
                ping hi                      => "hi"
                ping a b                     => -ERR wrong number of arguments for 'ping' command
                echo hey                     => "hey"
                echo                         => -ERR wrong number of arguments for 'echo' command
                select 0                     => +OK
                select 1                     => -ERR DB index is out of range
                select x                     => -ERR value is not an integer or out of range
                client setname app           => +OK
                client getname               => "app"
                client setname a␣b         => -ERR Client names cannot contain spaces, newlines or special characters.
                client id                    => :1
                client setinfo lib-name jedis => +OK
                client foo                   => -ERR unknown subcommand 'foo'. Try CLIENT HELP.
                hello 3                      => -NOPROTO sorry, this protocol version is not supported
                hello x                      => -ERR Protocol version is not an integer or out of range
                auth pw                      => -ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?
                config get appendfsync       => ["appendfsync", "always"]
                config get nothing           => []
                config set save x            => -ERR CONFIG SET is not supported by raftkv: settings are flags of 'raftkv serve' (see --help)
                raftkv.readlevel             => "linearizable"
                raftkv.readlevel stale       => +OK
                raftkv.readlevel             => "stale"
                raftkv.readlevel fast        => -ERR invalid read level 'fast': use linearizable, lease or stale
                reset                        => +RESET
                raftkv.readlevel             => "linearizable"
                command count                => :%d
                quit                         => +OK
                """.formatted(RespServer.commandCount(new LocalBackend().table(false))));
        SCRIPTS.put("transactions", """
                exec                         => -ERR EXEC without MULTI
                discard                      => -ERR DISCARD without MULTI
                multi                        => +OK
                multi                        => -ERR MULTI calls can not be nested
                set a 1                      => +QUEUED
                incrby a 5                   => +QUEUED
                get a                        => +QUEUED
                mget a b                     => +QUEUED
                exec                         => [+OK, :6, "6", ["6", (nil)]]
                multi                        => +OK
                exec                         => []
                multi                        => +OK
                set t 1                      => +QUEUED
                discard                      => +OK
                get t                        => (nil)
                multi                        => +OK
                set t 1                      => +QUEUED
                incr                         => -ERR wrong number of arguments for 'incr' command
                exec                         => -EXECABORT Transaction discarded because of previous errors.
                get t                        => (nil)
                multi                        => +OK
                set t 1                      => +QUEUED
                nosuch x                     => -ERR unknown command 'nosuch', with args beginning with: 'x' 
                exec                         => -EXECABORT Transaction discarded because of previous errors.
                set s text                   => +OK
                multi                        => +OK
                set t 1                      => +QUEUED
                incr s                       => +QUEUED
                exec                         => -EXECABORT Transaction discarded, nothing applied: command 2 failed: ERR value is not an integer or out of range
                get t                        => (nil)
                watch a                      => -ERR WATCH is not supported by raftkv: a MULTI/EXEC transaction is applied as one log entry, all or nothing, so there is nothing to watch
                multi                        => +OK
                watch a                      => -ERR WATCH inside MULTI is not allowed
                ping                         => +QUEUED
                set w 1                      => +QUEUED
                echo e                       => +QUEUED
                exec                         => [+PONG, +OK, "e"]
                multi                        => +OK
                ping                         => +QUEUED
                exec                         => [+PONG]
                multi                        => +OK
                client id                    => -ERR CLIENT inside MULTI is not supported by raftkv: a transaction holds data commands only
                exec                         => -EXECABORT Transaction discarded because of previous errors.
                unwatch                      => +OK
                """);
    }

    @Test
    void infoReportsRaftAndKeyspace() {
        RespTestClient c = new RespTestClient();
        c.run("set a 1");
        String info = c.run("info");
        for (String expected : List.of("# Server", "redis_version:7.0.0", "# Replication", "role:master",
                "raftkv_role:leader", "raftkv_term:3", "raftkv_leader:n1", "raftkv_commit_index:7",
                "raftkv_members:n1=voter", "# Keyspace", "db0:keys=1,expires=0,avg_ttl=0")) {
            assertTrue(info.contains(expected), expected + " in " + info);
        }
        String replication = c.run("info replication");
        assertTrue(replication.contains("raftkv_term") && !replication.contains("# Server"), replication);
        String hello = c.run("hello 2");
        assertTrue(hello.startsWith("[\"server\", \"raftkv\", \"version\", \"7.0.0\", \"proto\", :2"), hello);
        assertTrue(c.run("command docs get").startsWith("[\"get\", [\"summary\""), c.run("command docs get"));
        assertTrue(c.run("command info get").startsWith("[[\"get\", :2, [+readonly, +fast], :1, :1, :1"),
                c.run("command info get"));
    }

    @Test
    void raftFailuresBecomeErrorsThatSayWhetherTheWriteHappened() {
        LocalBackend backend = new LocalBackend();
        RespTestClient c = new RespTestClient(backend, false);
        backend.status = new io.raftkv.core.server.RaftStatus("n2", io.raftkv.core.Role.FOLLOWER, 9, null, 5, 5, 5,
                List.of(), 0, true);
        backend.failWith(() -> new NotLeaderException(null));
        String down = c.run("set a 1");
        assertTrue(down.startsWith("-CLUSTERDOWN no leader: n2 knows no leader in term 9 (no leader took the write"),
                down);
        assertTrue(down.endsWith("not applied, retry"), down);
        assertTrue(c.run("get a").startsWith("-CLUSTERDOWN no leader: n2 knows no leader in term 9 (no leader"
                + " confirmed the read"), c.run("get a"));
        backend.failWith(() -> new OutcomeUnknownException("forwarded to leader n1, which did not answer in time", null));
        String unknown = c.run("incr a");
        assertTrue(unknown.startsWith("-OUTCOMEUNKNOWN the write may or may not have been applied: ")
                && unknown.contains("forwarded to leader n1") && unknown.endsWith("read before retrying"), unknown);
        backend.failWith(() -> new java.util.concurrent.TimeoutException("no answer within 5000 ms"));
        assertTrue(c.run("set a 1").startsWith("-OUTCOMEUNKNOWN timed out"), c.run("set a 1"));
        assertTrue(c.run("get a").startsWith("-TRYAGAIN timed out"), c.run("get a"));
        backend.failWith(() -> new io.raftkv.core.server.OverloadedException("n2: 4096 proposals pending"));
        assertTrue(c.run("set a 1").startsWith("-TRYAGAIN overloaded"), c.run("set a 1"));
        backend.failWith(() -> new io.raftkv.core.server.DiskFullException("n2", new io.raftkv.core.server.DiskAlarm
                .NoSpace("log", java.nio.file.Path.of("/data/n2/log"), 1 << 20, 256L << 20, false)));
        String full = c.run("set a 1");
        assertTrue(full.startsWith("-MISCONF n2 refuses writes: ") && full.contains("/data/n2/log")
                && full.endsWith("not applied, retry on another node or once space is freed"), full);
        backend.failWith(() -> new io.raftkv.core.server.DiskStalledException("n2", new io.raftkv.core.server.DiskAlarm
                .Stalled("log", java.nio.file.Path.of("/data/n2/log"), "sync", java.time.Duration.ofSeconds(3))));
        String stalled = c.run("get a");
        assertTrue(stalled.startsWith("-TRYAGAIN n2 cannot serve this now: its disk is stalled: ")
                && stalled.endsWith("retry on another node"), stalled);
    }
}
