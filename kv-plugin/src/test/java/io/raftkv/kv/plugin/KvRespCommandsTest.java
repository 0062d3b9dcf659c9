package io.raftkv.kv.plugin;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.kv.KvLimits;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.plugin.PluginContext;
import io.raftkv.plugin.resp.RespAction;
import io.raftkv.plugin.resp.RespArgs;
import io.raftkv.plugin.resp.RespCommandSpec;
import io.raftkv.plugin.resp.RespCommandTable;
import io.raftkv.plugin.resp.RespReply;
import io.raftkv.plugin.resp.RespSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The KV store's RESP command table on its own, without a server or Raft: each command planned by the table (after
 * the arity check the server makes), its proposal applied to a {@link KvStateMachine} or its query answered by it, and
 * the result turned into the reply. Redis's reply types and error words (kv-server's RedisDifferentialTest checks the
 * same replies against a real redis-server), and raftkv's own answers where it differs on purpose (expiry, KEYS,
 * FLUSHDB, transactions all or nothing). Each script runs on a fresh store with small limits (64-byte keys, 128-byte
 * values, 10 keys at once); a line is {@code command => expected reply}.
 */
class KvRespCommandsTest {

    static Stream<Map.Entry<String, String>> scripts() {
        return SCRIPTS.entrySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void script(Map.Entry<String, String> script) {
        Harness c = new Harness(script.getKey().equals("flush enabled"));
        int n = 0;
        for (String line : script.getValue().strip().split("\n")) {
            n++;
            String[] parts = line.split("=>", 2);
            String command = parts[0].strip();
            assertEquals(parts[1].strip(), c.run(command), script.getKey() + " line " + n + ": " + command);
        }
    }

    private static final Map<String, String> SCRIPTS = new LinkedHashMap<>();

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
        Harness c = new Harness(false);
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
            RespReply.Array page = (RespReply.Array) c.reply(Harness.words("scan " + cursor + " match key:* count 7"));
            cursor = text(page.elements().get(0));
            for (RespReply k : ((RespReply.Array) page.elements().get(1)).elements()) {
                seen.add(text(k));
            }
            steps++;
        } while (!cursor.equals("0"));
        assertEquals(all.stream().sorted().toList(), seen.stream().sorted().toList());
        assertTrue(steps >= 101 / 7, "COUNT bounds each step: " + steps + " steps");
    }

    @Test
    void aTransactionIsOneEntryAllOrNothing() {
        Harness c = new Harness(false);
        assertEquals("[+OK, :6, \"6\", [\"6\", (nil)]]", c.exec("set a 1", "incrby a 5", "get a", "mget a b"));
        assertEquals(1, c.proposals, "one log entry for the whole transaction");
        c.run("set s text");
        assertEquals("-EXECABORT Transaction discarded, nothing applied: command 2 failed: ERR value is not an integer"
                + " or out of range", c.exec("set t 1", "incr s"));
        assertEquals("(nil)", c.run("get t"));
        // Refused before anything is proposed: a SCAN (its page would not be one state's), a batch over the limit.
        int proposed = c.proposals;
        assertEquals("-EXECABORT Transaction discarded: SCAN inside MULTI is not supported by raftkv",
                c.exec("set t 1", "scan 0"));
        String[] eleven = new String[11];
        Arrays.fill(eleven, "set t 1");
        assertEquals("-EXECABORT Transaction discarded: ERR too many keys or commands at once: 11 > limit 10",
                c.exec(eleven));
        assertEquals(proposed, c.proposals);
        // Replies known at planning time (PERSIST) keep their places in EXEC's array.
        assertEquals("[:0, +OK]", c.exec("persist t", "set t 2"));
    }

    @Test
    void commandsAreLowerCaseUniqueAndInfoCountsTheKeys() {
        Harness c = new Harness(false);
        Set<String> names = new HashSet<>();
        for (RespCommandSpec spec : c.table.commands()) {
            assertEquals(spec.name().toLowerCase(Locale.ROOT), spec.name());
            assertTrue(names.add(spec.name()), "twice: " + spec.name());
            assertTrue(!spec.summary().isEmpty() && !spec.group().isEmpty(), spec.name());
        }
        assertTrue(names.containsAll(List.of("get", "set", "mget", "mset", "incr", "del", "scan", "flushdb")), names
                .toString());
        c.run("mset a 1 b 2");
        assertEquals(List.of("db0:keys=2,expires=0,avg_ttl=0"), c.table.keyspaceInfo());
    }

    @Test
    void thePluginOffersItsTableAndPassesTheDestructiveCommandsSwitch() throws Exception {
        PluginContext context = new PluginContext("n1", Path.of("unused"), new SimpleMeterRegistry());
        try (var kv = new KvPlugin().open(context)) {
            RespCommandTable refused = kv.respCommands(RespSettings.defaults());
            RespCommandTable allowed = kv.respCommands(new RespSettings(true));
            RespCommandSpec flushdb = refused.commands().stream().filter(s -> s.name().equals("flushdb")).findFirst()
                    .orElseThrow();
            List<byte[]> args = Harness.words("flushdb");
            assertTrue(refused.plan(flushdb, args) instanceof RespAction.Now n && n.reply().isError(), "refused");
            assertTrue(allowed.plan(flushdb, args) instanceof RespAction.Propose, "proposed");
        }
    }

    private static String text(RespReply bulk) {
        return new String(((RespReply.Bulk) bulk).bytes(), StandardCharsets.UTF_8);
    }

    /**
     * The table as the server drives it, minus Raft: the arity check, then the table's plan; a proposal applied to
     * the store at the next index, a query answered by it, the result through the action's {@code onResult}.
     */
    private static final class Harness {
        final KvStateMachine kv = new KvStateMachine(new KvLimits(64, 128, 10));
        final RespCommandTable table;
        private final Map<String, RespCommandSpec> specs = new LinkedHashMap<>();
        private long index;
        int proposals;

        Harness(boolean allowFlush) {
            table = new KvRespCommands(kv.limits(), kv::size, allowFlush);
            table.commands().forEach(s -> specs.put(s.name(), s));
        }

        /** Words separated by spaces ("set k v"; \u2423 is a space inside a word). */
        static List<byte[]> words(String line) {
            return Arrays.stream(line.split(" ")).map(w -> w.replace('\u2423', ' ').getBytes(StandardCharsets.UTF_8))
                    .toList();
        }

        String run(String line) {
            return reply(words(line)).toString();
        }

        RespReply reply(List<byte[]> args) {
            RespCommandSpec spec = specs.get(RespArgs.text(args.get(0)).toLowerCase(Locale.ROOT));
            assertNotNull(spec, "not a KV command: " + RespArgs.text(args.get(0)));
            return spec.arityAllows(args.size()) ? run(table.plan(spec, args)) : RespArgs.wrongArity(spec.name());
        }

        String exec(String... lines) {
            return run(table.transaction(Arrays.stream(lines).map(Harness::words).toList())).toString();
        }

        private RespReply run(RespAction action) {
            if (action instanceof RespAction.Now now) {
                return now.reply();
            }
            if (action instanceof RespAction.Propose p) {
                proposals++;
                return p.onResult().apply(kv.apply(++index, p.command()));
            }
            RespAction.Query q = (RespAction.Query) action;
            return q.onResult().apply(kv.query(q.query()));
        }
    }
}
