package io.raftkv.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
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
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One client of raftkv's HTTP API ({@code PUT /key/{k}}, {@code GET /key/{k}?level=...}) on one keep-alive
 * connection, pinned to one node as a real client would be (any node serves writes and reads). The connection is
 * opened on the first call and again after it broke. One request at a time; the answer completes the stage on the
 * connection's event loop.
 *
 * <p>With sessions ({@code kvbench --sessions}) the driver opens a client session ({@code POST /session}) before its
 * first put and sends every put with {@code Raftkv-Session}, {@code Raftkv-Seq} (1, 2, …) and {@code Raftkv-Acked}
 * (the same seq: with one request at a time, every earlier answer has arrived), as {@code KvClient} does — what an
 * exactly-once write costs. A failed put is not resent (the generator counts it as an error).
 */
final class RaftkvHttpDriver implements KvDriver {
    private static final int MAX_RESPONSE_BYTES = 8 << 20;

    private final Bootstrap bootstrap;
    private final InetSocketAddress address;
    private final String host;
    private final String readSuffix;
    private final long timeoutMillis;
    private final boolean sessions;
    /** The session's id once opened; then the next seq. Touched by one call at a time (the driver contract). */
    private String session;
    private long nextSeq = 1;
    private volatile Channel channel;
    /** The request in flight: touched on the connection's event loop only (and set before the write). */
    private Pending pending;

    private record Pending(CompletableFuture<FullHttpResponse> answer, ScheduledFuture<?> timer) {
    }

    RaftkvHttpDriver(Bootstrap bootstrap, String endpoint, String readLevel, Duration timeout, boolean sessions) {
        this.sessions = sessions;
        int colon = endpoint.lastIndexOf(':');
        this.host = endpoint;
        this.address = new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
        this.bootstrap = bootstrap.clone();
        this.readSuffix = "?level=" + readLevel;
        this.timeoutMillis = timeout.toMillis();
    }

    @Override
    public CompletionStage<Void> put(String key, byte[] value) {
        if (sessions && session == null) {
            return openSession().thenCompose(ignored -> put(key, value));
        }
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, path(key),
                Unpooled.wrappedBuffer(value));
        HttpUtil.setContentLength(req, value.length);
        if (session != null) {
            String seq = Long.toString(nextSeq++);
            req.headers().set("Raftkv-Session", session).set("Raftkv-Seq", seq).set("Raftkv-Acked", seq);
        }
        return exchange(req).thenCompose(r -> {
            int code = r.status().code();
            try {
                return code == 204 || code == 200 ? CompletableFuture.completedFuture(null)
                        : CompletableFuture.failedFuture(error(r));
            } finally {
                r.release();
            }
        });
    }

    @Override
    public CompletionStage<byte[]> get(String key) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path(key) + readSuffix,
                Unpooled.EMPTY_BUFFER);
        HttpUtil.setContentLength(req, 0);
        return exchange(req).thenCompose(r -> {
            int code = r.status().code();
            try {
                if (code == 404) {
                    return CompletableFuture.completedFuture(null);
                }
                return code == 200 ? CompletableFuture.completedFuture(ByteBufUtil.getBytes(r.content()))
                        : CompletableFuture.failedFuture(error(r));
            } finally {
                r.release();
            }
        });
    }

    /** {@code POST /session}; the id is kept for every later put. */
    private CompletionStage<Void> openSession() {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/session",
                Unpooled.EMPTY_BUFFER);
        HttpUtil.setContentLength(req, 0);
        return exchange(req).thenCompose(r -> {
            try {
                String body = r.content().toString(StandardCharsets.UTF_8);
                java.util.regex.Matcher m = SESSION_ID.matcher(body);
                if (r.status().code() != 200 || !m.find()) {
                    return CompletableFuture.failedFuture(error(r));
                }
                session = m.group(1);
                return CompletableFuture.completedFuture(null);
            } finally {
                r.release();
            }
        });
    }

    private static final java.util.regex.Pattern SESSION_ID = java.util.regex.Pattern.compile("\"session\":\"(\\d+)\"");

    private static KvError error(FullHttpResponse r) {
        return new KvError("http_" + r.status().code(), r.content().toString(StandardCharsets.UTF_8));
    }

    private static String path(String key) {
        return "/key/" + URLEncoder.encode(key, StandardCharsets.UTF_8);
    }

    private CompletableFuture<FullHttpResponse> exchange(FullHttpRequest req) {
        req.headers().set(HttpHeaderNames.HOST, host);
        req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        CompletableFuture<FullHttpResponse> answer = new CompletableFuture<>();
        Channel ch = channel;
        if (ch != null && ch.isActive()) {
            send(ch, req, answer);
            return answer;
        }
        ChannelFuture connect = bootstrap.handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
                c.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES),
                        new AnswerHandler());
            }
        }).connect(address);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                req.release();
                answer.completeExceptionally(new IOException("connect to " + address + ": " + f.cause(), f.cause()));
                return;
            }
            channel = connect.channel();
            send(connect.channel(), req, answer);
        });
        return answer;
    }

    private void send(Channel ch, FullHttpRequest req, CompletableFuture<FullHttpResponse> answer) {
        if (!ch.eventLoop().inEventLoop()) {
            ch.eventLoop().execute(() -> send(ch, req, answer));
            return;
        }
        ScheduledFuture<?> timer = ch.eventLoop().schedule(() -> {
            if (pending != null && pending.answer() == answer) {
                pending = null;
                ch.close(); // the answer may still come: this connection is out of step now
                answer.completeExceptionally(new TimeoutException("no answer within " + timeoutMillis + " ms"));
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        pending = new Pending(answer, timer);
        ch.writeAndFlush(req).addListener(w -> {
            if (!w.isSuccess()) {
                fail(new IOException("write to " + address + " failed: " + w.cause(), w.cause()));
                ch.close();
            }
        });
    }

    /** Event loop: completes the request in flight with an error. */
    private void fail(Throwable t) {
        Pending p = pending;
        pending = null;
        if (p != null) {
            p.timer().cancel(false);
            p.answer().completeExceptionally(t);
        }
    }

    private final class AnswerHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        AnswerHandler() {
            super(false); // the stage's continuation releases it
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            Pending p = pending;
            pending = null;
            if (p == null) {
                response.release(); // an answer nobody waits for (after a timeout)
                return;
            }
            p.timer().cancel(false);
            if (!HttpUtil.isKeepAlive(response)) {
                ctx.close();
            }
            p.answer().complete(response);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(new ClosedChannelException());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause instanceof IOException io ? io : new IOException(cause));
            ctx.close();
        }
    }

    @Override
    public void close() {
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }
}
