package io.raftkv.server.resp;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.server.OutcomeUnknownException;
import io.raftkv.kv.KvLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command layer without a network: every command of the RESP front door, with Redis's reply types and error
 * words (RedisDifferentialTest checks the same replies against a real redis-server where one is installed), and
 * raftkv's own answers where it differs on purpose (expiry, KEYS, WATCH, FLUSHDB, transactions all or nothing).
 * Each script runs on a fresh store; a line is {@code command => expected reply}.
 */
class RespCommandsTest {

    static Stream<Map.Entry<String, String>> scripts() {
        return SCRIPTS.entrySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void script(Map.Entry<String, String> script) {
        RespTestClient c = new RespTestClient(new LocalBackend(new KvLimits(64, 128, 10)), script.getKey().equals("flush enabled"));
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
        SCRIPTS.put("strings", """
                get k                        => (nil)
                set k v                      => +OK
                get k                        => "v"
                set k w nx                   => (nil)
                set k w xx                   => +OK
                set k x xx get               => "w"
                set n 1 nx get               => (nil)
                set n 2 nx get               => "1"
                get n                        => "1"
                set q 1 xx                   => (nil)
                get q                        => (nil)
                SET K V                      => +OK
                get K                        => "V"
                setnx k y                    => :0
                setnx new y                  => :1
                getset k z                   => "x"
                getset none z                => (nil)
                append k 123                 => :4
                append fresh abc             => :3
                get k                        => "z123"
                strlen k                     => :4
                strlen missing               => :0
                type k                       => +string
                type missing                 => +none
                ttl k                        => :-1
                ttl missing                  => :-2
                pttl k                       => :-1
                persist k                    => :0
                """);
        SCRIPTS.put("counters", """
                incr c                       => :1
                incrby c 10                  => :11
                decr c                       => :10
                decrby c 20                  => :-10
                get c                        => "-10"
                incrby c -5                  => :-15
                set big 9223372036854775807  => +OK
                incr big                     => -ERR increment or decrement would overflow
                set small -9223372036854775808 => +OK
                decr small                   => -ERR increment or decrement would overflow
                decrby c -9223372036854775808 => -ERR decrement would overflow
                incrby c 9223372036854775808 => -ERR value is not an integer or out of range
                incrby c x                   => -ERR value is not an integer or out of range
                incrby c 1.5                 => -ERR value is not an integer or out of range
                incrby c +1                  => -ERR value is not an integer or out of range
                set s hello                  => +OK
                incr s                       => -ERR value is not an integer or out of range
                set z 007                    => +OK
                incr z                       => -ERR value is not an integer or out of range
                set sp 1␣                  => +OK
                incr sp                      => -ERR value is not an integer or out of range
                get s                        => "hello"
                """);
        SCRIPTS.put("multi-key", """
                mset a 1 b 2 c 3             => +OK
                mget a b x c                 => ["1", "2", (nil), "3"]
                exists a b x a               => :3
                del a x a                    => :1
                del a                        => :0
                unlink b c                   => :2
                dbsize                       => :0
                mset a 1 b                   => -ERR wrong number of arguments for 'mset' command
                mset a                       => -ERR wrong number of arguments for 'mset' command
                del                          => -ERR wrong number of arguments for 'del' command
                mget                         => -ERR wrong number of arguments for 'mget' command
                """);
        SCRIPTS.put("syntax", """
                get                          => -ERR wrong number of arguments for 'get' command
                get a b                      => -ERR wrong number of arguments for 'get' command
                set k                        => -ERR wrong number of arguments for 'set' command
                set k v nx xx                => -ERR syntax error
                set k v foo                  => -ERR syntax error
                set k v ex                   => -ERR syntax error
                set k v ex 10                => -ERR raftkv does not support key expiry (EX, PX, EXAT, PXAT, KEEPTTL, EXPIRE, SETEX, ...): keys live until they are deleted
                set k v keepttl              => -ERR raftkv does not support key expiry (EX, PX, EXAT, PXAT, KEEPTTL, EXPIRE, SETEX, ...): keys live until they are deleted
                expire k 10                  => -ERR raftkv does not support key expiry (EX, PX, EXAT, PXAT, KEEPTTL, EXPIRE, SETEX, ...): keys live until they are deleted
                setex k 10 v                 => -ERR raftkv does not support key expiry (EX, PX, EXAT, PXAT, KEEPTTL, EXPIRE, SETEX, ...): keys live until they are deleted
                keys *                       => -ERR KEYS is not supported by raftkv: it would walk every key in one reply; use SCAN with MATCH and COUNT
                foo a b                      => -ERR unknown command 'foo', with args beginning with: 'a' 'b' 
                foo                          => -ERR unknown command 'foo', with args beginning with: 
                get                          => -ERR wrong number of arguments for 'get' command
                """);
        SCRIPTS.put("limits", """
                set %s v => -ERR key too large: 65 bytes > limit 64 bytes
                set k %s => -ERR string exceeds maximum allowed size: 129 bytes > value limit 128 bytes
                set k %s => +OK
                append k vv                  => -ERR string exceeds maximum allowed size: 130 bytes > value limit 128 bytes
                del a b c d e f g h i j k    => -ERR too many keys or commands at once: 11 > limit 10
                strlen k                     => :128
                """.formatted("k".repeat(65), "v".repeat(129), "v".repeat(128)));
        SCRIPTS.put("scan", """
                mset k1 a k2 b k3 c x1 d     => +OK
                scan x                       => -ERR invalid cursor
                scan 0 count 0               => -ERR syntax error
                scan 0 count x               => -ERR value is not an integer or out of range
                scan 0 match                 => -ERR syntax error
                scan 0 foo 1                 => -ERR syntax error
                scan 0 type hash             => ["0", []]
                dbsize                       => :4
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
                """.formatted(RespServer.commandCount()));
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
        SCRIPTS.put("flush enabled", """
                set a 1                      => +OK
                flushdb                      => +OK
                dbsize                       => :0
                flushall sync                => +OK
                flushdb now                  => -ERR syntax error
                """);
        SCRIPTS.put("flush refused", """
                set a 1                      => +OK
                flushdb                      => -ERR FLUSHDB is disabled on this server: start it with --resp-allow-flushdb to let clients clear the whole store
                dbsize                       => :1
                """);
    }

    @Test
    void scanWalksEveryKeyAndMatchFilters() {
        RespTestClient c = new RespTestClient();
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            c.run("set key:" + i + " v");
            all.add("key:" + i);
        }
        c.run("set other v");
        List<String> seen = new ArrayList<>();
        String cursor = "0";
        int steps = 0;
        do {
            RespReply.Array page = (RespReply.Array) c.reply(words("scan " + cursor + " match key:* count 7"));
            cursor = new String(((RespReply.Bulk) page.elements().get(0)).bytes(), StandardCharsets.UTF_8);
            for (RespReply k : ((RespReply.Array) page.elements().get(1)).elements()) {
                seen.add(new String(((RespReply.Bulk) k).bytes(), StandardCharsets.UTF_8));
            }
            steps++;
        } while (!cursor.equals("0"));
        assertEquals(all.stream().sorted().toList(), seen.stream().sorted().toList());
        assertTrue(steps >= 101 / 7, "COUNT bounds each step: " + steps + " steps");
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

    static List<byte[]> words(String line) {
        List<byte[]> out = new ArrayList<>();
        for (String w : line.split(" ")) {
            out.add(w.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }
}
