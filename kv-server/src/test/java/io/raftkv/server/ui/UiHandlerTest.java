package io.raftkv.server.ui;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.raftkv.core.trace.TraceEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The /ui front door on one connection (Netty's EmbeddedChannel, virtual time): files, the stream, bad requests. */
class UiHandlerTest {
    private static final String SELF = "127.0.0.1:8001";
    private static final String PEER = "127.0.0.1:8002";

    private final EventHub hub = new EventHub("n1", Clock.systemUTC(), 2);

    /** The KV API stand-in: answers every request it gets with 200 "kv". */
    private static final class KvStandIn extends ChannelInboundHandlerAdapter {
        final List<String> seen = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            FullHttpRequest req = (FullHttpRequest) msg;
            seen.add(req.uri());
            req.release();
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    io.netty.buffer.Unpooled.copiedBuffer("kv", StandardCharsets.UTF_8));
            ctx.writeAndFlush(r);
        }
    }

    private EmbeddedChannel channel(int queueCapacity) {
        UiService ui = new UiService(hub, () -> List.of(SELF, PEER), queueCapacity, 100);
        return new EmbeddedChannel(ui.newHandler(), new KvStandIn());
    }

    private static FullHttpRequest get(String uri, String origin) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        r.headers().set(HttpHeaderNames.HOST, SELF);
        if (origin != null) {
            r.headers().set(HttpHeaderNames.ORIGIN, origin);
        }
        return r;
    }

    private static FullHttpResponse response(EmbeddedChannel ch) {
        Object o = ch.readOutbound();
        assertTrue(o instanceof FullHttpResponse, "expected a full response, got " + o);
        return (FullHttpResponse) o;
    }

    private static String body(FullHttpResponse r) {
        try {
            return r.content().toString(StandardCharsets.UTF_8);
        } finally {
            r.release();
        }
    }

    @Test
    void servesThePageAndItsFiles() {
        EmbeddedChannel ch = channel(100);
        ch.writeInbound(get("/ui/", null));
        FullHttpResponse page = response(ch);
        assertEquals(200, page.status().code());
        assertTrue(page.headers().get(HttpHeaderNames.CONTENT_TYPE).startsWith("text/html"));
        assertTrue(body(page).contains("data-mode"));
        for (String f : UiAssets.FILES.keySet()) {
            ch.writeInbound(get("/ui/" + f, null));
            FullHttpResponse r = response(ch);
            assertEquals(200, r.status().code(), f);
            assertEquals(UiAssets.FILES.get(f), r.headers().get(HttpHeaderNames.CONTENT_TYPE));
            r.release();
        }
        ch.writeInbound(get("/ui?trace=x.ndjson", null));
        FullHttpResponse moved = response(ch);
        assertEquals(301, moved.status().code());
        assertEquals("/ui/?trace=x.ndjson", moved.headers().get(HttpHeaderNames.LOCATION));
        moved.release();
        ch.finishAndReleaseAll();
    }

    @ParameterizedTest
    @CsvSource({
            "GET, /ui/nope.js, 404",
            "GET, /ui/../../pom.xml, 404",
            "GET, /ui/%2e%2e/app.js, 404",
            "GET, /ui/events?messages=maybe, 400",
            "GET, /ui/events?since=3, 400",
            "GET, /ui/%zz, 400",
            "POST, /ui/events, 405",
            "DELETE, /ui/, 405",
    })
    void badRequestsAre4xx(String method, String uri, int status) {
        EmbeddedChannel ch = channel(100);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), uri);
        ch.writeInbound(req);
        FullHttpResponse r = response(ch);
        assertEquals(status, r.status().code(), uri);
        assertTrue(body(r).startsWith("{\"error\":"), "the same JSON error body as every other error");
        assertEquals(0, hub.subscriberCount());
        ch.finishAndReleaseAll();
    }

    @Test
    void aForeignPageMayNotSubscribeNorReadTheKvAnswers() {
        EmbeddedChannel ch = channel(100);
        ch.writeInbound(get("/ui/events", "http://evil.example:8001"));
        FullHttpResponse r = response(ch);
        assertEquals(403, r.status().code());
        r.release();
        ch.writeInbound(get("/status", "http://evil.example:8001"));
        FullHttpResponse kv = response(ch);
        assertNull(kv.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN));
        kv.release();
        ch.writeInbound(get("/status", "http://" + PEER));
        FullHttpResponse member = response(ch);
        assertEquals("http://" + PEER, member.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN),
                "a member's page reads /status across origins");
        member.release();
        ch.writeInbound(get("/status", "http://localhost:8002"));
        FullHttpResponse alias = response(ch);
        assertEquals("http://localhost:8002", alias.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN));
        alias.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void streamsEventsAsServerSentEventsAndLeavesTheHubWhenClosed() {
        EmbeddedChannel ch = channel(100);
        ch.writeInbound(get("/ui/events", "http://" + PEER));
        HttpResponse head = ch.readOutbound();
        assertEquals(200, head.status().code());
        assertTrue(head.headers().get(HttpHeaderNames.CONTENT_TYPE).startsWith("text/event-stream"));
        assertEquals("http://" + PEER, head.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN));
        assertTrue(text(ch).contains("\"type\":\"meta\""));
        assertTrue(hub.enabled());
        assertTrue(hub.viewWanted());
        hub.emit(new TraceEvent.Commit(7));
        ch.advanceTimeBy(150, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        String chunk = text(ch);
        assertTrue(chunk.startsWith("data: {\"t\":") && chunk.contains("\"type\":\"commit\"") && chunk.endsWith("\n\n"),
                chunk);
        ch.close();
        assertFalse(hub.enabled(), "a closed stream costs the server nothing");
        ch.finishAndReleaseAll();
    }

    @Test
    void aStreamThatFallsAQueueBehindIsCutOff() {
        EmbeddedChannel ch = channel(50);
        ch.writeInbound(get("/ui/events", null));
        ReferenceCountUtil.release(ch.readOutbound());
        text(ch);
        for (int i = 0; i < 51; i++) {
            hub.emit(new TraceEvent.Commit(i)); // no drain in between: the client is "slow"
        }
        assertEquals(0, hub.subscriberCount(), "cut off at once, at the 51st event");
        ch.advanceTimeBy(150, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(text(ch).startsWith("event: cutoff"));
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "the stream ends; the browser reconnects and starts from a fresh view");
        ch.finishAndReleaseAll();
    }

    @Test
    void atMostMaxSubscribersStreams() {
        List<EmbeddedChannel> open = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            EmbeddedChannel ch = channel(100);
            ch.writeInbound(get("/ui/events", null));
            open.add(ch);
        }
        EmbeddedChannel third = channel(100);
        third.writeInbound(get("/ui/events", null));
        assertEquals(503, response(third).status().code());
        for (EmbeddedChannel ch : open) {
            ch.finishAndReleaseAll();
        }
        third.finishAndReleaseAll();
    }

    /** A pipelining client gets its answers in request order even when a /ui request follows a KV one. */
    @Test
    void answersLeaveInRequestOrder() {
        UiService ui = new UiService(hub, () -> List.of(SELF), 100, 100);
        List<ChannelHandlerContext> kvCtx = new ArrayList<>();
        ChannelInboundHandlerAdapter slowKv = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                kvCtx.add(ctx); // answers later
            }
        };
        EmbeddedChannel ch = new EmbeddedChannel(ui.newHandler(), slowKv);
        ch.writeInbound(get("/status", null), get("/ui/app.css", null));
        assertNull(ch.readOutbound(), "the /ui answer waits for the KV answer owed before it");
        kvCtx.get(0).writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                io.netty.buffer.Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8)));
        assertEquals("{}", body(response(ch)));
        FullHttpResponse css = response(ch);
        assertTrue(css.headers().get(HttpHeaderNames.CONTENT_TYPE).startsWith("text/css"));
        css.release();
        ch.finishAndReleaseAll();
    }

    private static String text(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = o instanceof HttpContent c ? c.content() : (ByteBuf) o;
            sb.append(b.toString(StandardCharsets.UTF_8));
            ReferenceCountUtil.release(o);
        }
        return sb.toString();
    }
}
