package io.raftkv.server.ui;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import io.raftkv.core.trace.TraceJson;
import io.raftkv.core.trace.TraceRecord;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One {@code GET /ui/events} connection: a Server-Sent Events stream of one server's events, written by the
 * connection's own event loop — never by the raft thread. Every {@link UiService#DRAIN_INTERVAL_MS} it takes what
 * its {@link EventSubscriber} queued, shrinks a busy interval with the {@link EventCoalescer}, encodes it and writes
 * it as one chunk. While the client does not keep up (the socket's buffer is full) it writes nothing, the queue fills,
 * and once it is full the hub cuts the subscriber off: the stream ends with an {@code event: cutoff} and the browser
 * reconnects.
 *
 * <pre>
 * retry: 2000
 *
 * data: {"type":"meta","version":1,"source":"live","clock":"epoch-ms","node":"n1"}
 *
 * data: {"t":1767225600000,"type":"view","node":"n1","role":"leader",...}
 *
 * : ping                        (a comment every 15 s keeps idle proxies and our own idle timeout away)
 * </pre>
 */
final class EventStream {
    private static final long PING_INTERVAL_MS = 15_000;

    private final ChannelHandlerContext ctx;
    private final EventHub hub;
    private final EventSubscriber subscriber;
    private final EventCoalescer coalescer;
    private ScheduledFuture<?> drainer;
    private ScheduledFuture<?> pinger;
    private boolean closed;

    EventStream(ChannelHandlerContext ctx, EventHub hub, EventSubscriber subscriber, EventCoalescer coalescer) {
        this.ctx = ctx;
        this.hub = hub;
        this.subscriber = subscriber;
        this.coalescer = coalescer;
    }

    /** On the event loop: answers with the stream's head and starts draining. {@code cors} may be null. */
    void start(String cors, long drainIntervalMs) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        UiHandler.allowOrigin(head, cors);
        HttpUtil.setTransferEncodingChunked(head, true);
        ctx.write(head);
        String meta = TraceJson.meta("live", "epoch-ms", Map.of("node", hub.nodeId()));
        writeChunk("retry: 2000\n\ndata: " + meta + "\n\n");
        drainer = ctx.executor().scheduleWithFixedDelay(this::drain, drainIntervalMs, drainIntervalMs,
                TimeUnit.MILLISECONDS);
        pinger = ctx.executor().scheduleWithFixedDelay(() -> writeChunk(": ping\n\n"), PING_INTERVAL_MS,
                PING_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /** Event loop: writes what queued up since the last turn, unless the client is behind. */
    void drain() {
        if (closed) {
            return;
        }
        if (subscriber.overflowed()) {
            String notice = "event: cutoff\ndata: {\"reason\":\"this stream fell " + subscriber.capacity()
                    + " events behind the server; reconnect\"}\n\n";
            close();
            ctx.writeAndFlush(new DefaultHttpContent(ByteBufUtil.writeUtf8(ctx.alloc(), notice)))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (!ctx.channel().isWritable()) {
            return; // the client is slow: let the queue absorb it; if it fills, the hub cuts this stream off
        }
        List<TraceRecord> batch = subscriber.drain();
        if (batch.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder(batch.size() * 160);
        for (TraceRecord r : coalescer.coalesce(batch)) {
            sb.append("data: ").append(TraceJson.line(r)).append("\n\n");
        }
        writeChunk(sb.toString());
    }

    private void writeChunk(String text) {
        if (closed) {
            return;
        }
        ByteBuf buf = ByteBufUtil.writeUtf8(ctx.alloc(), text);
        ctx.writeAndFlush(new DefaultHttpContent(buf)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    /** The connection is gone (or going): stop draining and leave the hub. Idempotent. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        hub.remove(subscriber);
        if (drainer != null) {
            drainer.cancel(false);
        }
        if (pinger != null) {
            pinger.cancel(false);
        }
    }
}
