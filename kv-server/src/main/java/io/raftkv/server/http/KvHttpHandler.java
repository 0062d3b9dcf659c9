package io.raftkv.server.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;
import io.raftkv.plugin.http.Routed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Turns a {@link FullHttpRequest} into a {@link Request}, routes it, and writes the {@link Reply} back.
 *
 * <p>One request at a time per connection, answered in order, even when a client pipelines (answers complete on
 * other threads); reading pauses while a request is being answered. Every failure of the request itself becomes a 4xx/5xx JSON
 * answer; nothing here can stop the node.
 */
final class KvHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(KvHttpHandler.class);
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH");

    private final Routes routes;
    private final HttpMetrics metrics;
    /** The answer to the previous request on this connection (event-loop thread only; one handler per channel). */
    private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);

    KvHttpHandler(Routes routes, HttpMetrics metrics) {
        this.routes = routes;
        this.metrics = metrics;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        long start = System.nanoTime();
        boolean keepAlive = HttpUtil.isKeepAlive(msg);
        String method = msg.method().name();
        String metricMethod = KNOWN_METHODS.contains(method) ? method : "OTHER";
        if (msg.decoderResult().isFailure()) {
            // Garbage on the socket or a line/header over the limits: answer once and drop the connection,
            // since the decoder cannot find the next request boundary in a broken stream.
            Reply r = Reply.error(400, "malformed HTTP request: " + msg.decoderResult().cause().getMessage());
            metrics.record("malformed", "OTHER", r.status(), start);
            previous = previous.thenRun(() -> ctx.executor().execute(() -> write(ctx, r, false)));
            return;
        }
        Request request;
        try {
            // Copies what it needs: msg is released when this method returns.
            request = toRequest(msg, ctx.channel().eventLoop());
        } catch (IllegalArgumentException e) {
            // Bad percent-encoding in the path or query.
            Reply r = Reply.error(400, "malformed URI: " + e.getMessage());
            metrics.record("malformed", metricMethod, r.status(), start);
            previous = previous.thenRun(() -> ctx.executor().execute(() -> write(ctx, r, keepAlive)));
            return;
        }
        // Pipelined requests are handled one after the other and answered in arrival order (RFC 9112 §9.3.2: only
        // safe methods may be processed in parallel): each waits for the previous answer to be written. An answer
        // is written on this channel's loop, directly or through its task queue, so they also leave in that order.
        previous = previous.thenCompose(ignored -> dispatch(ctx, request, metricMethod, start, keepAlive));
        if (!previous.isDone()) {
            ctx.channel().config().setAutoRead(false); // backpressure: read no more until this one is answered
        }
    }

    private CompletableFuture<Void> dispatch(ChannelHandlerContext ctx, Request request, String metricMethod,
                                             long start, boolean keepAlive) {
        Routed routed;
        try {
            routed = routes.route(request);
        } catch (RuntimeException e) {
            LOG.error("request {} {} failed unexpectedly", request.method(), request.rawUri(), e);
            routed = new Routed("error", CompletableFuture.completedFuture(
                    Reply.error(500, "internal error: " + e)));
        }
        String route = routed.route();
        return routed.reply().handle((r, error) -> {
            Reply answer = r;
            if (error != null) {
                LOG.error("request {} {} failed unexpectedly", request.method(), request.rawUri(), error);
                answer = Reply.error(500, "internal error: " + error);
            }
            metrics.record(route, metricMethod, answer.status(), start);
            Reply out = answer;
            if (ctx.executor().inEventLoop()) {
                write(ctx, out, keepAlive); // the usual case: NodeHost completes on this connection's loop
            } else {
                ctx.executor().execute(() -> write(ctx, out, keepAlive));
            }
            return null;
        });
    }

    private static Request toRequest(FullHttpRequest msg, EventLoop loop) {
        QueryStringDecoder q = new QueryStringDecoder(msg.uri());
        byte[] body = ByteBufUtil.getBytes(msg.content());
        String forwarded = msg.headers().get(LeaderForwarder.FORWARDED_HEADER);
        java.util.Map<String, String> raftkvHeaders = null;
        for (java.util.Map.Entry<String, String> h : msg.headers()) {
            String name = h.getKey().toLowerCase(java.util.Locale.ROOT);
            if (name.startsWith(Request.HEADER_PREFIX)) {
                if (raftkvHeaders == null) {
                    raftkvHeaders = new java.util.HashMap<>();
                }
                raftkvHeaders.putIfAbsent(name, h.getValue());
            }
        }
        return new Request(msg.method().name(), msg.uri(), q.path(), q.parameters(), raftkvHeaders, body, forwarded,
                loop);
    }

    static void write(ChannelHandlerContext ctx, Reply r, boolean keepAlive) {
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                Unpooled.wrappedBuffer(r.body()));
        if (r.contentType() != null) {
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        }
        HttpUtil.setContentLength(resp, r.body().length);
        if (keepAlive) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(resp).addListener((ChannelFutureListener) f -> {
                f.channel().config().setAutoRead(true);
                if (!f.isSuccess()) {
                    f.channel().close();
                }
            });
        } else {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A client resetting its connection is normal; anything else is logged once and the connection dropped.
        LOG.debug("HTTP connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
