package io.raftkv.server.ui;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.raftkv.plugin.http.Reply;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster view on one HTTP connection, in the pipeline just before the KV API's handler:
 * <pre>
 * GET /ui/            the page (and its files /ui/app.js, ...)        404 for any other name, 405 for other methods
 * GET /ui/events      Server-Sent Events of this server (see {@link EventStream})
 *                     ?messages=false leaves out message events; 400 for any other parameter or value,
 *                     403 for a foreign Origin, 503 once {@code maxSubscribers} streams are open
 * </pre>
 * Everything else goes on to the KV API untouched, except that an answer to a page of a cluster member
 * ({@link MemberOrigins}) gets {@code Access-Control-Allow-Origin}, so that the page served by one member can read
 * {@code /status} and the streams of the others. Nothing here changes any state: the stream needs no more rights
 * than {@code GET /status}.
 *
 * <p>Answers leave in request order even if a client pipelines: a {@code /ui} request that arrives while the KV
 * API still owes an answer waits (with everything after it) until that answer is written.
 */
final class UiHandler extends ChannelDuplexHandler {
    private final UiService ui;
    /** For each request handed to the KV API and not answered yet: the origin to allow, or "" for none. */
    private final ArrayDeque<String> owed = new ArrayDeque<>();
    /** Requests waiting for the KV API's owed answers, in arrival order. */
    private final ArrayDeque<FullHttpRequest> held = new ArrayDeque<>();
    /** Set once this connection carries an event stream: it then carries nothing else. */
    private EventStream stream;

    UiHandler(UiService ui) {
        this.ui = ui;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (stream != null) {
            ReferenceCountUtil.release(msg); // a stream's connection takes no further requests
            return;
        }
        if (!(msg instanceof FullHttpRequest req)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!held.isEmpty() || (isUi(req) && !owed.isEmpty())) {
            held.add(req);
            return;
        }
        dispatch(ctx, req);
    }

    private void dispatch(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!isUi(req)) {
            String origin = req.headers().get(HttpHeaderNames.ORIGIN);
            owed.add(ui.origins().allows(origin) ? origin : "");
            ctx.fireChannelRead(req);
            return;
        }
        try {
            answer(ctx, req);
        } finally {
            req.release();
        }
    }

    private static boolean isUi(FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            return false; // the KV API answers malformed requests
        }
        String uri = req.uri();
        return uri.equals("/ui") || uri.startsWith("/ui/") || uri.startsWith("/ui?");
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (stream == null && msg instanceof HttpResponse resp && !owed.isEmpty()) {
            allowOrigin(resp, owed.poll());
            ctx.write(msg, promise);
            while (owed.isEmpty() && !held.isEmpty() && stream == null) {
                dispatch(ctx, held.poll());
            }
            return;
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cleanUp();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cleanUp();
    }

    private void cleanUp() {
        if (stream != null) {
            stream.close();
        }
        while (!held.isEmpty()) {
            held.poll().release();
        }
    }

    // ------------------------------------------------------------------------------------------------ /ui

    private void answer(ChannelHandlerContext ctx, FullHttpRequest req) {
        QueryStringDecoder q;
        String path;
        try {
            q = new QueryStringDecoder(req.uri());
            path = q.path();
            q.parameters(); // decodes now: a bad escape is a 400 here, not an exception later
        } catch (IllegalArgumentException e) {
            send(ctx, req, Reply.error(400, "malformed URI: " + e.getMessage()), null);
            return;
        }
        boolean get = req.method().name().equals("GET");
        if (path.equals("/ui")) {
            FullHttpResponse moved = response(HttpResponseStatus.MOVED_PERMANENTLY, null, new byte[0]);
            String query = q.rawQuery();
            moved.headers().set(HttpHeaderNames.LOCATION, "/ui/" + (query.isEmpty() ? "" : "?" + query));
            write(ctx, req, moved);
            return;
        }
        if (!get) {
            FullHttpResponse r = toResponse(Reply.error(405, "method not allowed; use GET"));
            r.headers().set(HttpHeaderNames.ALLOW, "GET");
            write(ctx, req, r);
            return;
        }
        String name = path.substring("/ui/".length());
        if (name.equals("events")) {
            events(ctx, req, q.parameters());
            return;
        }
        Optional<UiAssets.Asset> asset = ui.assets().get(name);
        if (asset.isEmpty()) {
            send(ctx, req, Reply.error(404, "no such file in the cluster view: " + abbreviate(name)), null);
            return;
        }
        FullHttpResponse r = response(HttpResponseStatus.OK, asset.get().contentType(), asset.get().body());
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        r.headers().set("X-Content-Type-Options", "nosniff");
        write(ctx, req, r);
    }

    private void events(ChannelHandlerContext ctx, FullHttpRequest req, Map<String, List<String>> params) {
        boolean messages = true;
        for (Map.Entry<String, List<String>> p : params.entrySet()) {
            if (!p.getKey().equals("messages")) {
                send(ctx, req, Reply.error(400, "unknown parameter '" + abbreviate(p.getKey())
                        + "'; the only one is messages=true|false"), null);
                return;
            }
            String v = p.getValue().isEmpty() ? "" : p.getValue().get(p.getValue().size() - 1);
            if (!v.equals("true") && !v.equals("false")) {
                send(ctx, req, Reply.error(400, "messages must be true or false, got '" + abbreviate(v) + "'"), null);
                return;
            }
            messages = v.equals("true");
        }
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        String cors = ui.origins().allows(origin) ? origin : null;
        if (origin != null && cors == null && !sameOrigin(req, origin)) {
            send(ctx, req, Reply.error(403, "origin " + abbreviate(origin) + " is not a page of this cluster"), null);
            return;
        }
        EventSubscriber subscriber = new EventSubscriber(ui.queueCapacity(), messages);
        if (!ui.hub().add(subscriber)) {
            send(ctx, req, Reply.error(503, "too many event streams open on this server; close one and retry"), cors);
            return;
        }
        stream = new EventStream(ctx, ui.hub(), subscriber, ui.coalescer());
        stream.start(cors, ui.drainIntervalMs());
    }

    private static boolean sameOrigin(FullHttpRequest req, String origin) {
        String host = req.headers().get(HttpHeaderNames.HOST);
        return host != null && origin.equalsIgnoreCase("http://" + host);
    }

    // ------------------------------------------------------------------------------------------------ writing

    /** Sets the CORS header for a member's page; no header for null or "". */
    static void allowOrigin(HttpResponse r, String origin) {
        if (origin != null && !origin.isEmpty()) {
            r.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            r.headers().add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest req, Reply reply, String cors) {
        FullHttpResponse r = toResponse(reply);
        allowOrigin(r, cors);
        write(ctx, req, r);
    }

    private static FullHttpResponse toResponse(Reply reply) {
        return response(HttpResponseStatus.valueOf(reply.status()), reply.contentType(), reply.body());
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, byte[] body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        if (contentType != null) {
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        HttpUtil.setContentLength(r, body.length);
        return r;
    }

    private static void write(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse r) {
        if (HttpUtil.isKeepAlive(req)) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        } else {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
