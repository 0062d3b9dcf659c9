package io.raftkv.server.resp;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.CodecException;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.plugin.resp.RespAction;
import io.raftkv.plugin.resp.RespReply;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One RESP connection, on its event loop: runs the commands Netty's aggregators hand it, in order, and writes their
 * replies in order.
 *
 * <p><b>Pipelining.</b> The commands of one read (everything the socket had, up to Netty's per-read limit) form a
 * <em>batch</em>. Consecutive proposals of a batch go to Raft together ({@code RaftServer.proposeAll}: one append and
 * fsync on the leader, one forwarded message from a follower), consecutive queries at one read level together
 * ({@code readAll}: one read index); such a run is a <em>segment</em>. Segments of one kind run concurrently, but a
 * segment of the other kind waits until those before it completed: a GET pipelined after a SET sees the SET, and a
 * SET pipelined after a GET does not affect it, as on a single Redis. A batch's replies are written once all of them
 * are known, in order, with one flush; a QUIT or a protocol error closes the connection after the replies before it.
 *
 * <p><b>Bounds.</b> Each segment has the request timeout (then {@code OUTCOMEUNKNOWN} for writes, {@code TRYAGAIN}
 * for reads); the connection stops reading while {@code maxPendingReplies} commands wait for answers, and submits
 * at most that many to Raft at a time (the rest of a long pipeline already read waits its turn); a command
 * begun and not finished within {@code incompleteTimeout} closes the connection ({@link RespFraming}).
 */
final class RespConnection extends ChannelInboundHandlerAdapter {

    /** Segments of one kind can run together; of different kinds, one after the other. */
    private enum Kind {
        WRITE, READ_LINEARIZABLE, READ_LEASE, READ_STALE;

        static Kind read(ReadLevel level) {
            return switch (level) {
                case LINEARIZABLE -> READ_LINEARIZABLE;
                case LEASE -> READ_LEASE;
                case STALE -> READ_STALE;
            };
        }

        ReadLevel level() {
            return switch (this) {
                case READ_LINEARIZABLE -> ReadLevel.LINEARIZABLE;
                case READ_LEASE -> ReadLevel.LEASE;
                case READ_STALE -> ReadLevel.STALE;
                case WRITE -> throw new IllegalStateException("a write has no read level");
            };
        }
    }

    /** One command's place in the reply order. */
    private static final class Slot {
        final String command;
        final long startNanos;
        final Batch batch;
        byte[] payload;
        Function<byte[], RespReply> onResult;
        RespReply reply;
        boolean close;
        // Set by the raft or apply thread; read on the event loop after the hand-over (execute) that follows.
        volatile byte[] result;
        volatile Throwable error;

        Slot(String command, long startNanos, Batch batch) {
            this.command = command;
            this.startNanos = startNanos;
            this.batch = batch;
        }
    }

    /** The commands of one read. */
    private static final class Batch {
        final List<Slot> slots = new ArrayList<>();
        int unanswered;
    }

    /** Consecutive proposals, or consecutive queries at one level, submitted to Raft together. */
    private static final class Segment {
        final Kind kind;
        final List<Slot> slots = new ArrayList<>();
        final AtomicInteger outstanding = new AtomicInteger();
        ScheduledFuture<?> timer;

        Segment(Kind kind) {
            this.kind = kind;
        }
    }

    /**
     * UNSAFE, the same deliberate bug as {@code http.KvApi}'s, for raft-fault's mutation test only (never a
     * feature): with {@code -Draftkv.unsafe.localLinearizableReads=true} a linearizable read is served from the
     * local state without ReadIndex, so the RESP clients' histories must show violations too. KvApi logs the
     * warning when it is set.
     */
    private static final boolean UNSAFE_LOCAL_LINEARIZABLE_READS =
            Boolean.getBoolean("raftkv.unsafe.localLinearizableReads");

    private final RespServer.Context context;
    private final RespMetrics metrics;
    private final RespFraming framing;
    private RespSession session;
    private ChannelHandlerContext ctx;
    private EventLoop loop;

    private final ArrayDeque<Batch> batches = new ArrayDeque<>();
    private Batch current;
    private final ArrayDeque<Segment> waiting = new ArrayDeque<>();
    private Segment open;
    private int inFlight;
    private Kind inFlightKind;
    /** Commands of this connection submitted to Raft and not yet answered (at most {@code maxPendingReplies}). */
    private int inRaft;
    private int pendingReplies;
    private boolean closing;
    private ScheduledFuture<?> incompleteTimer;
    private long completedAtTimerStart;

    RespConnection(RespServer.Context context, RespMetrics metrics, RespFraming framing) {
        this.context = context;
        this.metrics = metrics;
        this.framing = framing;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.loop = ctx.channel().eventLoop();
        this.session = new RespSession(context, context.nextClientId(), String.valueOf(ctx.channel().remoteAddress()),
                String.valueOf(ctx.channel().localAddress()));
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (closing) {
                return;
            }
            List<byte[]> args = arguments((RedisMessage) msg);
            if (args != null) {
                run(args);
            }
        } catch (RespProtocolException e) {
            fail(e.reason(), e.getMessage());
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** The command's arguments, or null for input that holds no command ({@code *0}, an empty inline line). */
    private static List<byte[]> arguments(RedisMessage msg) {
        if (msg instanceof ArrayRedisMessage array) {
            if (array.isNull() || array.children().isEmpty()) {
                return null;
            }
            List<byte[]> args = new ArrayList<>(array.children().size());
            for (RedisMessage child : array.children()) {
                args.add(ByteBufUtil.getBytes(((FullBulkStringRedisMessage) child).content()));
            }
            return args;
        }
        if (msg instanceof InlineCommandRedisMessage inline) {
            List<byte[]> args = new ArrayList<>();
            for (String word : inline.content().trim().split("[ \\t]+")) {
                if (!word.isEmpty()) {
                    args.add(word.getBytes(StandardCharsets.UTF_8));
                }
            }
            return args.isEmpty() ? null : args;
        }
        throw new RespProtocolException("malformed", "unexpected " + msg.getClass().getSimpleName());
    }

    private void run(List<byte[]> args) {
        if (current == null) {
            current = new Batch();
            batches.add(current);
        }
        RespSession.Dispatch d = session.handle(args);
        Slot slot = new Slot(d.command(), System.nanoTime(), current);
        current.slots.add(slot);
        current.unanswered++;
        if (++pendingReplies >= context.options().maxPendingReplies()) {
            ctx.channel().config().setAutoRead(false); // backpressure: read more once answers are written
        }
        RespAction action = d.action();
        if (action instanceof RespAction.Now n) {
            slot.close = n.close();
            answer(slot, n.reply());
            if (n.close()) {
                closing = true; // QUIT: nothing after it is run
                ctx.channel().config().setAutoRead(false);
            }
        } else if (action instanceof RespAction.Propose p) {
            slot.payload = p.command();
            slot.onResult = p.onResult();
            addToSegment(Kind.WRITE, slot);
        } else if (action instanceof RespAction.Query q) {
            slot.payload = q.query();
            slot.onResult = q.onResult();
            ReadLevel level = session.readLevel();
            addToSegment(Kind.read(UNSAFE_LOCAL_LINEARIZABLE_READS && level == ReadLevel.LINEARIZABLE
                    ? ReadLevel.STALE : level), slot);
        }
    }

    private void addToSegment(Kind kind, Slot slot) {
        // A segment is cut at the connection's bound too: one read can hold thousands of commands (redis-cli --pipe),
        // and they must reach Raft no faster than its bound allows (see submitReady).
        if (open != null && (open.kind != kind || open.slots.size() >= context.options().maxPendingReplies())) {
            waiting.add(open);
            open = null;
        }
        if (open == null) {
            open = new Segment(kind);
        }
        open.slots.add(slot);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        endOfRead();
        watchIncomplete();
        ctx.fireChannelReadComplete();
    }

    /** The batch of this read is complete: submit its segments and write what is answered. */
    private void endOfRead() {
        current = null;
        if (open != null) {
            waiting.add(open);
            open = null;
        }
        submitReady();
        drain();
    }

    private void submitReady() {
        while (!waiting.isEmpty()) {
            Segment s = waiting.peek();
            if (inFlight > 0 && inFlightKind != s.kind) {
                return; // a segment of the other kind runs: wait for it (pipeline order, see the class comment)
            }
            if (inFlight > 0 && inRaft + s.slots.size() > context.options().maxPendingReplies()) {
                // One connection must not fill the node's bound on pending proposals (shared by every client) and
                // turn its own pipeline into TRYAGAIN errors: the rest waits for answers, as the socket does.
                return;
            }
            waiting.poll();
            inFlight++;
            inRaft += s.slots.size();
            inFlightKind = s.kind;
            submit(s);
        }
    }

    private void submit(Segment s) {
        List<byte[]> payloads = new ArrayList<>(s.slots.size());
        for (Slot slot : s.slots) {
            payloads.add(slot.payload);
        }
        List<CompletableFuture<byte[]>> futures = s.kind == Kind.WRITE
                ? context.raft().proposeAll(payloads)
                : context.raft().readAll(payloads, s.kind.level());
        s.outstanding.set(futures.size());
        // Reads get a second more: RaftServer fails a read whose read index never comes (no leader) after its own read
        // timeout (5 s, the default request timeout too), and that verdict (CLUSTERDOWN) says more than ours.
        long timeoutMs = context.requestTimeout().toMillis() + (s.kind == Kind.WRITE ? 0 : 1000);
        // Completing the futures frees their places in RaftServer's pending bounds at once.
        s.timer = loop.schedule(() -> futures.forEach(f -> f.completeExceptionally(
                new TimeoutException("no answer within " + timeoutMs + " ms"))), timeoutMs, TimeUnit.MILLISECONDS);
        for (int i = 0; i < futures.size(); i++) {
            Slot slot = s.slots.get(i);
            futures.get(i).whenComplete((bytes, error) -> {
                slot.result = bytes;
                slot.error = error;
                if (s.outstanding.decrementAndGet() == 0) {
                    // One hand-over to the event loop per segment, not per command.
                    if (loop.inEventLoop()) {
                        segmentDone(s);
                    } else {
                        loop.execute(() -> segmentDone(s));
                    }
                }
            });
        }
    }

    private void segmentDone(Segment s) {
        s.timer.cancel(false);
        boolean isWrite = s.kind == Kind.WRITE;
        for (Slot slot : s.slots) {
            RespReply reply;
            if (slot.error != null) {
                reply = RespErrors.of(slot.error, isWrite, context.raft().status());
            } else {
                try {
                    reply = slot.onResult.apply(slot.result);
                } catch (RuntimeException e) {
                    reply = RespReply.err("internal error: undecodable result: " + e.getMessage());
                }
            }
            answer(slot, reply);
        }
        inFlight--;
        inRaft -= s.slots.size();
        submitReady();
        drain();
    }

    private void answer(Slot slot, RespReply reply) {
        slot.reply = reply;
        slot.batch.unanswered--;
        metrics.command(slot.command, reply, slot.startNanos);
    }

    /** Writes every batch at the head whose replies are all known, in order, then flushes once. */
    private void drain() {
        boolean wrote = false;
        while (!batches.isEmpty() && batches.peek() != current && batches.peek().unanswered == 0) {
            Batch b = batches.poll();
            for (Slot slot : b.slots) {
                ctx.write(toMessage(slot.reply));
                pendingReplies--;
                if (slot.close) {
                    batches.clear();
                    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
            }
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
        if (!closing && !ctx.channel().config().isAutoRead()
                && pendingReplies < context.options().maxPendingReplies() / 2) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Starts, restarts or stops the incomplete-command timer after a read. */
    private void watchIncomplete() {
        if (closing || !framing.incomplete()) {
            cancelIncompleteTimer();
            return;
        }
        if (incompleteTimer != null && framing.completed() == completedAtTimerStart) {
            return; // the same command is still incomplete: its deadline stands (a byte now and then buys nothing)
        }
        cancelIncompleteTimer();
        completedAtTimerStart = framing.completed();
        long ms = context.options().incompleteTimeout().toMillis();
        incompleteTimer = loop.schedule(() -> {
            incompleteTimer = null;
            if (framing.incomplete() && framing.completed() == completedAtTimerStart) {
                fail("incomplete", "incomplete command: no complete command within " + ms + " ms");
            }
        }, ms, TimeUnit.MILLISECONDS);
    }

    private void cancelIncompleteTimer() {
        if (incompleteTimer != null) {
            incompleteTimer.cancel(false);
            incompleteTimer = null;
        }
    }

    /** Bad input: answer what came before, then {@code -ERR Protocol error: ...} and close. */
    private void fail(String reason, String message) {
        if (closing) {
            return;
        }
        metrics.protocolError(reason);
        if (current == null) {
            current = new Batch();
            batches.add(current);
        }
        Slot slot = new Slot("protocol", System.nanoTime(), current);
        slot.close = true;
        current.slots.add(slot);
        current.unanswered++;
        pendingReplies++;
        slot.reply = RespReply.err("Protocol error: " + message);
        current.unanswered--;
        closing = true;
        ctx.channel().config().setAutoRead(false);
        cancelIncompleteTimer();
        endOfRead();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause;
        while (c.getCause() != null && !(c instanceof RespProtocolException)) {
            c = c.getCause();
        }
        if (c instanceof RespProtocolException p) {
            fail(p.reason(), p.getMessage());
        } else if (cause instanceof CodecException) {
            // Netty's decoder or aggregators refused the bytes (bad type byte, bad length, line too long, ...).
            fail("malformed", c.getMessage() == null ? c.toString() : c.getMessage());
        } else if (cause instanceof IOException) {
            ctx.close(); // reset by the peer and the like: nothing to answer
        } else {
            fail("malformed", String.valueOf(c.getMessage()));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        cancelIncompleteTimer();
        ctx.fireChannelInactive();
    }

    private static RedisMessage toMessage(RespReply reply) {
        if (reply instanceof RespReply.Simple s) {
            return new SimpleStringRedisMessage(s.text());
        }
        if (reply instanceof RespReply.Error e) {
            return new ErrorRedisMessage(e.text());
        }
        if (reply instanceof RespReply.Int i) {
            return new IntegerRedisMessage(i.value());
        }
        if (reply instanceof RespReply.Bulk b) {
            return b.bytes() == null ? FullBulkStringRedisMessage.NULL_INSTANCE
                    : new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(b.bytes()));
        }
        RespReply.Array a = (RespReply.Array) reply;
        if (a.elements() == null) {
            return ArrayRedisMessage.NULL_INSTANCE;
        }
        if (a.elements().isEmpty()) {
            return ArrayRedisMessage.EMPTY_INSTANCE;
        }
        List<RedisMessage> children = new ArrayList<>(a.elements().size());
        for (RespReply r : a.elements()) {
            children.add(toMessage(r));
        }
        return new ArrayRedisMessage(children);
    }
}
