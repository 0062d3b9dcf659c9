package io.raftkv.server.resp;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.raftkv.server.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Differential test of the RESP front door against the real thing: the same commands, in the same order, to a
 * {@code redis-server} (Debian's, started here without persistence) and to raftkv's RESP layer (a
 * {@link RespServer} over a state machine, no Raft); every reply must be the same, errors word for word. The
 * commands are those where raftkv means to answer exactly as Redis does; its deliberate differences (expiry, KEYS,
 * WATCH, all-or-nothing EXEC, SELECT of other databases, HELLO 3) are in {@link RespCommandsTest}. Skipped, loudly,
 * without {@code redis-server}.
 */
class RedisDifferentialTest {
    private static Process redis;
    private static RespServer raftkv;
    private static EventLoopGroup loops;
    private static int redisPort;

    @BeforeAll
    static void start() throws Exception {
        Path server = Path.of(System.getProperty("redis.server", "/usr/bin/redis-server"));
        if (!Files.isExecutable(server)) {
            String banner = "\n" + "!".repeat(100) + "\n!!! RedisDifferentialTest SKIPPED: no " + server
                    + " -- install Debian's redis-server to compare raftkv's replies with Redis's\n" + "!".repeat(100);
            System.err.println(banner);
            Assumptions.abort("redis-server not installed");
        }
        redisPort = Ports.free();
        redis = new ProcessBuilder(server.toString(), "--port", Integer.toString(redisPort), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", Files.createTempDirectory("redis")
                .toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        LocalBackend backend = new LocalBackend();
        raftkv = RespServer.start("diff", backend, backend.table(true), RespOptions.at("127.0.0.1:0"), loops,
                new SimpleMeterRegistry(), Duration.ofSeconds(5));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Connection c = new Connection(new HostAndPort("127.0.0.1", redisPort))) {
                c.connect();
                break;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("redis-server did not start on " + redisPort, e);
                }
                Thread.sleep(50);
            }
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (raftkv != null) {
            raftkv.close();
        }
        if (loops != null) {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
        if (redis != null) {
            redis.destroyForcibly();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static final String COMMANDS = """
            set k v
            get k
            set k w nx
            set k x xx get
            set n 1 nx get
            set n 2 nx get
            set q 1 xx
            setnx k y
            setnx new y
            getset k z
            getset none z
            append k 123
            append fresh abc
            get k
            strlen k
            strlen missing
            type k
            type missing
            ttl k
            ttl missing
            pttl k
            pttl missing
            persist k
            incr c
            incrby c 10
            decr c
            decrby c 20
            incrby c -5
            get c
            set big 9223372036854775807
            incr big
            set small -9223372036854775808
            decr small
            decrby c -9223372036854775808
            incrby c 9223372036854775808
            incrby c x
            incrby c 1.5
            incrby c +1
            set s hello
            incr s
            set z 007
            incr z
            set sp 1␣
            incr sp
            set neg -0
            incr neg
            mset a 1 b 2 c 3
            mget a b x c
            exists a b x a
            del a x a
            del a
            unlink b c
            mset a 1 b
            mset a
            del
            mget
            get
            get a b
            set k
            set k v nx xx
            set k v foo
            set k v ex
            set k v px
            foo a b
            foo
            ping
            ping hi
            ping a b
            echo hey
            echo
            select 0
            select x
            client setname app
            client getname
            client setname a␣b
            client foo
            hello x
            auth pw
            exec
            discard
            multi
            multi
            set a 1
            incrby a 5
            get a
            mget a nothing
            exec
            multi
            exec
            multi
            set t 1
            discard
            get t
            multi
            set t 1
            incr
            exec
            get t
            multi
            set t 1
            nosuch x
            exec
            multi
            ping
            set w 1
            echo e
            exec
            unwatch
            scan x
            scan 0 count 0
            scan 0 count x
            scan 0 match
            scan 0 foo 1
            config get nothing
            flushdb now
            flushdb
            dbsize
            get k
            """;

    @Test
    void everyReplyIsRedissOwn() {
        try (Connection toRedis = new Connection(new HostAndPort("127.0.0.1", redisPort));
             Connection toRaftkv = new Connection(new HostAndPort("127.0.0.1", raftkv.localAddress().getPort()))) {
            toRedis.connect();
            toRaftkv.connect();
            assertEquals("OK", reply(toRedis, List.of("flushall")));
            for (String line : COMMANDS.strip().split("\n")) {
                List<String> words = new ArrayList<>();
                for (String w : line.strip().split(" ")) {
                    words.add(w.replace('\u2423', ' '));
                }
                assertEquals(reply(toRedis, words), reply(toRaftkv, words), line);
            }
        }
    }

    /** The reply as text: values as strings, integers as numbers, arrays as lists, errors as "-message". */
    private static Object reply(Connection c, List<String> words) {
        ProtocolCommand command = () -> words.get(0).getBytes(StandardCharsets.UTF_8);
        byte[][] args = new byte[words.size() - 1][];
        for (int i = 1; i < words.size(); i++) {
            args[i - 1] = words.get(i).getBytes(StandardCharsets.UTF_8);
        }
        c.sendCommand(command, args);
        try {
            return text(c.getOne());
        } catch (JedisDataException e) {
            return "-" + e.getMessage();
        }
    }

    private static Object text(Object o) {
        if (o instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        if (o instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object e : list) {
                out.add(e instanceof JedisDataException d ? "-" + d.getMessage() : text(e));
            }
            return out;
        }
        return o;
    }
}
