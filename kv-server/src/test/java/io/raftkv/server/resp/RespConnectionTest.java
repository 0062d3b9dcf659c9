package io.raftkv.server.resp;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One connection's pipeline (Netty's RESP codec, the limits, {@link RespConnection}) on an {@link EmbeddedChannel}
 * over a {@link LocalBackend}: pipelined batches, reply order, one flush per read, bad input, the incomplete-command
 * timeout, backpressure, QUIT.
 */
class RespConnectionTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LocalBackend backend = new LocalBackend();
    private int flushes;

    private EmbeddedChannel channel(RespOptions options) {
        RespServer.Context context = RespServer.context(backend, backend.table(false), options, Duration.ofSeconds(5),
                () -> 1, () -> 6381);
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes++;
                ctx.flush();
            }
        });
        RespServer.initPipeline(ch.pipeline(), context, new RespMetrics(registry, () -> 1));
        ch.pipeline().fireChannelActive();
        return ch;
    }

    private EmbeddedChannel channel() {
        return channel(RespOptions.at("127.0.0.1:0"));
    }

    private static void send(EmbeddedChannel ch, String bytes) {
        ch.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.UTF_8));
    }

    private static String received(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }

    private static String cmd(String... words) {
        StringBuilder sb = new StringBuilder("*" + words.length + "\r\n");
        for (String w : words) {
            sb.append('$').append(w.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(w).append("\r\n");
        }
        return sb.toString();
    }

    @Test
    void aPipelineOfWritesIsOneBatchAndItsRepliesOneFlush() {
        EmbeddedChannel ch = channel();
        StringBuilder pipeline = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            pipeline.append(cmd("SET", "key:" + i, "v" + i));
        }
        int before = flushes;
        send(ch, pipeline.toString());
        assertEquals("+OK\r\n".repeat(16), received(ch));
        assertEquals(List.of(16), backend.proposeBatches, "16 SETs of one read: one proposeAll");
        assertEquals(1, flushes - before, "one flush for the whole batch");
        send(ch, cmd("MGET", "key:0", "key:15") + cmd("GET", "key:3") + cmd("EXISTS", "key:1", "nope"));
        assertEquals("*2\r\n$2\r\nv0\r\n$3\r\nv15\r\n$2\r\nv3\r\n:1\r\n", received(ch));
        assertEquals(List.of(3), backend.readBatches, "consecutive reads of one read: one readAll");
    }

    @Test
    void aReadAfterAWriteInOnePipelineSeesTheWriteAndWaitsForIt() {
        EmbeddedChannel ch = channel();
        backend.hold();
        send(ch, cmd("SET", "a", "1") + cmd("INCR", "a") + cmd("GET", "a") + cmd("INCR", "a") + cmd("PING"));
        assertEquals("", received(ch), "nothing is written before the whole batch is answered");
        assertEquals(List.of(2), backend.proposeBatches);
        assertTrue(backend.readBatches.isEmpty(), "the GET waits for the writes before it");
        backend.release();
        ch.runPendingTasks();
        assertEquals("+OK\r\n:2\r\n$1\r\n2\r\n:3\r\n+PONG\r\n", received(ch));
        assertEquals(List.of(2, 1), backend.proposeBatches, "the INCR after the GET waited for it");
    }

    @Test
    void inlineCommandsWork() {
        EmbeddedChannel ch = channel();
        send(ch, "SET k v\r\nGET k\r\n\r\nPING\r\n");
        assertEquals("+OK\r\n$1\r\nv\r\n+PONG\r\n", received(ch));
    }

    @Test
    void quitAnswersWhatCameBeforeThenCloses() {
        EmbeddedChannel ch = channel();
        send(ch, cmd("PING") + cmd("QUIT") + cmd("SET", "after", "quit"));
        assertEquals("+PONG\r\n+OK\r\n", received(ch));
        assertFalse(ch.isOpen());
        assertTrue(backend.proposeBatches.isEmpty(), "nothing after QUIT runs");
    }

    /** Bad input: the replies before it, then Redis's protocol error, then the connection closes. */
    @Test
    void malformedInputIsAProtocolErrorAfterTheRepliesBeforeIt() {
        record Case(String input, String error) {
        }
        for (Case c : List.of(
                new Case("*1\r\n:5\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"),
                new Case("*1\r\n*1\r\n$4\r\nPING\r\n", "-ERR Protocol error: expected '$', got '*'\r\n"),
                new Case("*2\r\n$3\r\nGET\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length (a null bulk string"
                        + " is not an argument)\r\n"),
                new Case("+PING\r\n", "-ERR Protocol error: expected '*', got '+'\r\n"),
                new Case("*1\r\n$x\r\n", null),
                new Case("*1\r\n$4\r\nPINGXX\r\n", null))) {
            EmbeddedChannel ch = channel();
            send(ch, cmd("PING") + c.input());
            String out = received(ch);
            assertTrue(out.startsWith("+PONG\r\n-ERR Protocol error: "), c.input() + " -> " + out);
            if (c.error() != null) {
                assertEquals("+PONG\r\n" + c.error(), out, c.input());
            }
            assertFalse(ch.isOpen(), c.input() + " closes the connection");
        }
    }

    @Test
    void limitsCloseTheConnectionBeforeAllocating() {
        EmbeddedChannel ch = channel();
        send(ch, "*1000000\r\n");
        assertEquals("-ERR Protocol error: invalid multibulk length (1000000 arguments; this server takes at most"
                + " 100000)\r\n", received(ch));
        assertFalse(ch.isOpen());

        ch = channel();
        send(ch, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n");
        assertEquals("-ERR Protocol error: invalid bulk length (1048577 bytes; this server takes at most 1048576)\r\n",
                received(ch));
        assertFalse(ch.isOpen());

        ch = channel(RespOptions.at("127.0.0.1:0").withProtocolLimits(1 << 20, 100, 10, Duration.ofSeconds(1)));
        send(ch, cmd("SET", "key", "12345678"));
        assertEquals("-ERR Protocol error: command larger than 10 bytes\r\n", received(ch));
        assertFalse(ch.isOpen());
        assertEquals(1.0, registry.get("kv.resp.protocol.errors").tag("reason", "command_too_large").counter().count());
    }

    @Test
    void aHalfCommandThatStallsIsClosedButAnIdleConnectionIsNot() {
        RespOptions options = RespOptions.at("127.0.0.1:0").withProtocolLimits(1 << 20, 100, 1 << 20,
                Duration.ofSeconds(2));
        EmbeddedChannel idle = channel(options);
        send(idle, cmd("PING"));
        assertEquals("+PONG\r\n", received(idle));
        idle.advanceTimeBy(10, TimeUnit.SECONDS);
        idle.runScheduledPendingTasks();
        assertTrue(idle.isOpen(), "between commands a connection may wait as long as it likes");

        for (String half : List.of("*3\r\n$3\r\nSET\r\n", "*3\r\n$3\r\nSE", "*3", "PIN")) {
            EmbeddedChannel ch = channel(options);
            send(ch, cmd("PING") + half);
            assertEquals("+PONG\r\n", received(ch));
            ch.advanceTimeBy(1, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
            assertTrue(ch.isOpen(), half);
            ch.advanceTimeBy(1500, TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
            assertEquals("-ERR Protocol error: incomplete command: no complete command within 2000 ms\r\n",
                    received(ch), half);
            assertFalse(ch.isOpen(), half);
        }
    }

    @Test
    void aCommandCompletedInPiecesIsFine() {
        EmbeddedChannel ch = channel();
        String full = cmd("SET", "k", "v");
        for (int i = 0; i < full.length(); i++) {
            send(ch, full.substring(i, i + 1));
        }
        assertEquals("+OK\r\n", received(ch));
        assertTrue(ch.isOpen());
    }

    @Test
    void backpressureStopsReadingUntilAnswersAreWritten() {
        RespOptions options = new RespOptions("127.0.0.1:0", 1 << 20, 100, 1 << 20, 1024, Duration.ofSeconds(30), 4,
                100, 100, false);
        EmbeddedChannel ch = channel(options);
        backend.hold();
        send(ch, cmd("SET", "a", "1").repeat(5));
        assertFalse(ch.config().isAutoRead(), "5 unanswered commands > 4");
        backend.release();
        ch.runPendingTasks();
        assertEquals("+OK\r\n".repeat(5), received(ch));
        assertTrue(ch.config().isAutoRead());
    }

    @Test
    void aLongPipelineReachesRaftAtMostTheBoundAtATime() {
        RespOptions options = new RespOptions("127.0.0.1:0", 1 << 20, 100, 1 << 20, 1024, Duration.ofSeconds(30), 4,
                100, 100, false);
        EmbeddedChannel ch = channel(options);
        backend.hold();
        send(ch, cmd("INCR", "n").repeat(10)); // one read, ten commands: already past the socket's backpressure
        assertEquals(List.of(4), backend.proposeBatches, "4 in Raft, the other 6 wait for answers");
        backend.release();
        ch.runPendingTasks();
        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= 10; i++) {
            expected.append(':').append(i).append("\r\n");
        }
        assertEquals(expected.toString(), received(ch), "in order, every one applied once");
        assertEquals(List.of(4, 4, 2), backend.proposeBatches);
    }

    @Test
    void aCommandWithoutAnswerTimesOutWithAnErrorThatSaysWhetherItMayHaveHappened() {
        EmbeddedChannel ch = channel();
        backend.hold();
        send(ch, cmd("SET", "a", "1"));
        ch.advanceTimeBy(7, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        String out = received(ch);
        assertTrue(out.startsWith("-OUTCOMEUNKNOWN timed out waiting for the write to be applied"), out);
        send(ch, cmd("GET", "a"));
        ch.advanceTimeBy(7, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        out = received(ch);
        assertTrue(out.startsWith("-TRYAGAIN timed out waiting for a read index"), out);
        assertEquals(1.0, registry.get("kv.resp.commands").tag("command", "set").tag("outcome", "outcomeunknown")
                .timer().count());
    }
}
