package io.raftkv.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    private final HttpConnection connection;
    private final String readSuffix;
    private final boolean sessions;
    /** The session's id once opened; then the next seq. Touched by one call at a time (the driver contract). */
    private String session;
    private long nextSeq = 1;

    RaftkvHttpDriver(Bootstrap bootstrap, String endpoint, String readLevel, Duration timeout, boolean sessions) {
        this.connection = new HttpConnection(bootstrap, endpoint, timeout);
        this.sessions = sessions;
        this.readSuffix = "?level=" + readLevel;
    }

    @Override
    public CompletionStage<Void> put(String key, byte[] value) {
        if (sessions && session == null) {
            return openSession().thenCompose(ignored -> put(key, value));
        }
        FullHttpRequest req = HttpConnection.request(HttpMethod.PUT, path(key), Unpooled.wrappedBuffer(value));
        if (session != null) {
            String seq = Long.toString(nextSeq++);
            req.headers().set("Raftkv-Session", session).set("Raftkv-Seq", seq).set("Raftkv-Acked", seq);
        }
        return connection.exchange(req).thenCompose(r -> {
            int code = r.status().code();
            try {
                return code == 204 || code == 200 ? CompletableFuture.completedFuture(null)
                        : CompletableFuture.failedFuture(HttpConnection.error(r));
            } finally {
                r.release();
            }
        });
    }

    @Override
    public CompletionStage<byte[]> get(String key) {
        return connection.exchange(HttpConnection.request(HttpMethod.GET, path(key) + readSuffix)).thenCompose(r -> {
            int code = r.status().code();
            try {
                if (code == 404) {
                    return CompletableFuture.completedFuture(null);
                }
                return code == 200 ? CompletableFuture.completedFuture(ByteBufUtil.getBytes(r.content()))
                        : CompletableFuture.failedFuture(HttpConnection.error(r));
            } finally {
                r.release();
            }
        });
    }

    /** {@code POST /session}; the id is kept for every later put. */
    private CompletionStage<Void> openSession() {
        return connection.exchange(HttpConnection.request(HttpMethod.POST, "/session")).thenCompose(r -> {
            try {
                String body = r.content().toString(StandardCharsets.UTF_8);
                Matcher m = SESSION_ID.matcher(body);
                if (r.status().code() != 200 || !m.find()) {
                    return CompletableFuture.failedFuture(HttpConnection.error(r));
                }
                session = m.group(1);
                return CompletableFuture.completedFuture(null);
            } finally {
                r.release();
            }
        });
    }

    private static final Pattern SESSION_ID = Pattern.compile("\"session\":\"(\\d+)\"");

    private static String path(String key) {
        return "/key/" + URLEncoder.encode(key, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        connection.close();
    }
}
