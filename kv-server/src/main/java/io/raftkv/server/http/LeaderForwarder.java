package io.raftkv.server.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.ChannelPool;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;

import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends a client's request on to the leader's HTTP API and hands back the leader's answer unchanged, so a client
 * may talk to any server and never hunts for the leader (docs/design.md §7).
 *
 * <p><b>How.</b> A Netty HTTP/1.1 client on the HTTP server's own event loops, with a bounded pool of keep-alive
 * connections per leader address and event loop. A request that arrived on loop L ({@link Request#loop()}) is
 * forwarded on one of L's connections: acquiring it, writing the request, reading the answer and writing that back
 * to the client all run on L without a single thread hand-off, which matters on a busy machine where every
 * hand-off is a wake-up that may wait for a core. One request at a time per connection; a
 * connection idle for longer than {@link #MAX_IDLE_MS} is not reused (the leader closes idle connections after a
 * minute, and a request written into a connection the peer is closing would end up as a needless 504).
 *
 * <p><b>Loops.</b> The forwarded request carries {@value #FORWARDED_HEADER}: a server that receives one never
 * forwards again, so two servers that each believe the other leads (possible for a moment around an election)
 * answer 503 instead of bouncing the request between them.
 *
 * <p><b>Errors.</b> If the request never left this server (no connection, connection refused, pool exhausted,
 * connection already closed when the request was to be written) nothing was applied: 503. If the connection broke
 * or the timeout fired once writing had started, a write may or may not have been applied: 504 for writes, 503
 * for reads (reads are always safe to retry).
 */
public final class LeaderForwarder implements AutoCloseable {
    /** Header marking a request one server forwarded to another; its value is the forwarding server's id. */
    public static final String FORWARDED_HEADER = "X-Raftkv-Forwarded";
    static final long MAX_IDLE_MS = 20_000;
    /** Per leader and event loop: the HTTP server runs two loops, so up to 256 connections to one leader. */
    private static final int MAX_CONNECTIONS_PER_LEADER = 128;
    private static final int MAX_PENDING_ACQUIRES = 4096;
    /** Answers hold at most a 1 MiB value, JSON-escaped (up to 6 bytes per byte), plus slack. */
    private static final int MAX_RESPONSE_BYTES = 8 << 20;
    private static final AttributeKey<Exchange> EXCHANGE = AttributeKey.valueOf("raftkv.forward.exchange");
    private static final AttributeKey<Long> RELEASED_AT = AttributeKey.valueOf("raftkv.forward.releasedAt");

    private final String selfId;
    private final Duration timeout;
    private final Bootstrap bootstrap;
    private final EventLoopGroup eventLoops;
    private final ConcurrentMap<PoolKey, ChannelPool> pools = new ConcurrentHashMap<>();
    private final Counter answered;
    private final Counter notSent;
    private final Counter failed;
    private volatile boolean closed;

    /**
     * @param timeout   how long to wait for the leader's answer; a little longer than the leader's own request
     *                  timeout, so that its 504 (rather than ours) reaches the client
     * @param eventLoops the HTTP server's event loops (not owned: closing the forwarder leaves them running)
     */
    public LeaderForwarder(String selfId, Duration timeout, MeterRegistry registry, EventLoopGroup eventLoops) {
        this.selfId = selfId;
        this.timeout = timeout;
        this.eventLoops = eventLoops;
        this.bootstrap = new Bootstrap().group(eventLoops).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 1000);
        // kv.http.forwarded{result}: requests this server passed on to the leader, by what came of them.
        this.answered = registry.counter("kv.http.forwarded", "result", "answered");
        this.notSent = registry.counter("kv.http.forwarded", "result", "not_sent");
        this.failed = registry.counter("kv.http.forwarded", "result", "failed");
    }

    /** Forwards {@code request} to the server at {@code leaderHttp} (host:port). Never completes exceptionally. */
    public CompletableFuture<Reply> forward(String leaderId, String leaderHttp, Request request, boolean isWrite) {
        CompletableFuture<Reply> result = new CompletableFuture<>();
        String where = "leader " + leaderId + " at " + leaderHttp;
        if (closed) {
            result.complete(Reply.error(503, "server is shutting down; not forwarded to " + where));
            return result;
        }
        ChannelPool pool;
        try {
            // A request without a loop of its own (not from a client connection) takes any loop's pool.
            EventLoop loop = request.loop() instanceof EventLoop own ? own : eventLoops.next();
            pool = pools.computeIfAbsent(new PoolKey(leaderHttp, loop), this::newPool);
        } catch (IllegalArgumentException e) {
            result.complete(Reply.error(503, "cannot forward to " + where + ": " + e.getMessage()));
            return result;
        }
        pool.acquire().addListener((Future<Channel> f) -> {
            if (!f.isSuccess()) {
                notSent.increment();
                result.complete(Reply.error(503, where + " unreachable: " + describe(f.cause())));
                return;
            }
            new Exchange(f.getNow(), pool, result, where, isWrite).send(request, leaderHttp);
        });
        return result;
    }

    /** One pool per leader address and event loop: its connections, and its acquire queue, live on that loop. */
    private record PoolKey(String hostPort, EventLoop loop) {
    }

    private ChannelPool newPool(PoolKey key) {
        InetSocketAddress addr = toAddress(key.hostPort());
        ChannelHealthChecker fresh = ch -> {
            Long releasedAt = ch.attr(RELEASED_AT).get();
            boolean ok = ch.isActive() && (releasedAt == null || System.currentTimeMillis() - releasedAt < MAX_IDLE_MS);
            return ch.eventLoop().newSucceededFuture(ok);
        };
        return new FixedChannelPool(bootstrap.clone(key.loop()).remoteAddress(addr), new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel ch) {
                ch.pipeline()
                        .addLast(new HttpClientCodec())
                        .addLast(new HttpObjectAggregator(MAX_RESPONSE_BYTES))
                        .addLast(new ResponseHandler());
            }

            @Override
            public void channelAcquired(Channel ch) {
                ch.attr(RELEASED_AT).set(System.currentTimeMillis()); // in use: not idle
            }

            @Override
            public void channelReleased(Channel ch) {
                ch.attr(RELEASED_AT).set(System.currentTimeMillis());
            }
        }, fresh, FixedChannelPool.AcquireTimeoutAction.FAIL, timeout.toMillis(), MAX_CONNECTIONS_PER_LEADER,
                MAX_PENDING_ACQUIRES, true, true);
    }

    private static InetSocketAddress toAddress(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("bad address " + hostPort);
        }
        try {
            return InetSocketAddress.createUnresolved(hostPort.substring(0, colon),
                    Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad address " + hostPort);
        }
    }

    private static String describe(Throwable t) {
        return t == null ? "unknown error" : t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    /**
     * One forwarded request on one pooled connection. Exactly one of answer / failure / timeout ends it: each first
     * takes the exchange off the channel's attribute, so the loser finds nothing to do.
     */
    private final class Exchange {
        private final Channel channel;
        private final ChannelPool pool;
        private final CompletableFuture<Reply> result;
        private final String where;
        private final boolean isWrite;
        private volatile boolean written;
        private volatile ScheduledFuture<?> timer;

        Exchange(Channel channel, ChannelPool pool, CompletableFuture<Reply> result, String where, boolean isWrite) {
            this.channel = channel;
            this.pool = pool;
            this.result = result;
            this.where = where;
            this.isWrite = isWrite;
        }

        void send(Request request, String hostPort) {
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(request.method()),
                    request.rawUri(), Unpooled.wrappedBuffer(request.body()));
            req.headers().set(HttpHeaderNames.HOST, hostPort);
            req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            req.headers().set(FORWARDED_HEADER, selfId);
            HttpUtil.setContentLength(req, request.body().length);
            channel.attr(EXCHANGE).set(this);
            timer = channel.eventLoop().schedule(() -> {
                if (channel.attr(EXCHANGE).compareAndSet(this, null)) {
                    fail(new TimeoutException("no answer within " + timeout.toMillis() + " ms"));
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            // Once we start writing on an open connection some bytes may reach the leader even if the write then
            // fails (the leader may have read the whole request before the connection broke): from here on a
            // failure leaves a write's outcome unknown. Only a connection already closed sends nothing.
            written = channel.isActive();
            channel.writeAndFlush(req).addListener((ChannelFutureListener) w -> {
                if (!w.isSuccess() && channel.attr(EXCHANGE).compareAndSet(this, null)) {
                    fail(w.cause());
                }
            });
        }

        void answer(FullHttpResponse response) {
            timer.cancel(false);
            answered.increment();
            String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
            Reply reply = new Reply(response.status().code(), type, ByteBufUtil.getBytes(response.content()));
            if (!HttpUtil.isKeepAlive(response)) {
                channel.close();
            }
            pool.release(channel);
            result.complete(reply);
        }

        void fail(Throwable cause) {
            if (timer != null) {
                timer.cancel(false);
            }
            channel.close(); // its state is unknown: never reuse it
            pool.release(channel);
            if (written && isWrite) {
                failed.increment();
                result.complete(Reply.error(504, "forwarding to " + where + " failed after the request was sent;"
                        + " the write may or may not have been applied: " + describe(cause)));
            } else if (written) {
                failed.increment();
                result.complete(Reply.error(503, "forwarding to " + where + " failed: " + describe(cause)));
            } else {
                notSent.increment();
                result.complete(Reply.error(503, "could not send to " + where + ": " + describe(cause)));
            }
        }
    }

    /** Hands the answer (or the loss of the connection) to the exchange in flight on this channel. */
    private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            Exchange ex = ctx.channel().attr(EXCHANGE).getAndSet(null);
            if (ex == null) {
                ctx.close(); // an answer nobody waits for (after a timeout): the connection is out of step
                return;
            }
            ex.answer(response);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            Exchange ex = ctx.channel().attr(EXCHANGE).getAndSet(null);
            if (ex != null) {
                ex.fail(new ClosedChannelException());
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Exchange ex = ctx.channel().attr(EXCHANGE).getAndSet(null);
            if (ex != null) {
                ex.fail(cause);
            }
            ctx.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (ChannelPool pool : pools.values()) {
            pool.close();
        }
        pools.clear();
    }
}
