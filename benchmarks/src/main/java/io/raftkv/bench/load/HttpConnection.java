package io.raftkv.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
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
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One keep-alive HTTP/1.1 connection of a load-generator client, pinned to one server: opened on the first request
 * and again after it broke, one request at a time (the {@link KvDriver} contract), each answered or failed within
 * the timeout. The answer completes the future on the connection's event loop, so the client's next request is
 * written from there without a thread hand-off.
 */
final class HttpConnection implements AutoCloseable {
    private static final int MAX_RESPONSE_BYTES = 8 << 20;

    private final Bootstrap bootstrap;
    private final InetSocketAddress address;
    private final String host;
    private final long timeoutMillis;
    private volatile Channel channel;
    /** The request in flight: touched on the connection's event loop only (and set before the write). */
    private Pending pending;

    private record Pending(CompletableFuture<FullHttpResponse> answer, ScheduledFuture<?> timer) {
    }

    /** @param endpoint {@code host:port} */
    HttpConnection(Bootstrap bootstrap, String endpoint, Duration timeout) {
        int colon = endpoint.lastIndexOf(':');
        this.host = endpoint;
        this.address = new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
        this.bootstrap = bootstrap.clone();
        this.timeoutMillis = timeout.toMillis();
    }

    /** A request with {@code body} (may be empty) and its Content-Length, ready for {@link #exchange}. */
    static FullHttpRequest request(HttpMethod method, String uri, ByteBuf body) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, body);
        HttpUtil.setContentLength(req, body.readableBytes());
        return req;
    }

    static FullHttpRequest request(HttpMethod method, String uri) {
        return request(method, uri, Unpooled.EMPTY_BUFFER);
    }

    /** A failure for an answer the server gave: its kind is {@code http_<status>}, its message the body. */
    static KvDriver.KvError error(FullHttpResponse r) {
        return new KvDriver.KvError("http_" + r.status().code(), r.content().toString(StandardCharsets.UTF_8));
    }

    /**
     * Sends {@code req} and completes with the server's answer, which the caller must release; fails with a
     * {@link TimeoutException} or an {@link IOException}.
     */
    CompletableFuture<FullHttpResponse> exchange(FullHttpRequest req) {
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
