package io.raftkv.bench.load;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One client of the SQL plugin's rqlite-style API ({@code bin/raftkv serve --state-machine sql}) on one keep-alive
 * connection: a put is a <b>single-row insert</b>, {@code POST /db/execute} with
 * {@code [["INSERT INTO bench(k, v) VALUES(?, ?)", key, base64(value)]]} (one log entry, one SQLite statement; the
 * table only grows, like an append-only events table), and a get is {@code POST /db/query?level=…} with
 * {@code SELECT v FROM bench WHERE k = ? ORDER BY id DESC LIMIT 1} (an index lookup; null when the key was never
 * inserted). kvbench's read levels map onto the API's: {@code linearizable} → {@code linearizable},
 * {@code lease} → {@code weak}, {@code stale} → {@code none}. A statement's {@code error} result fails the call
 * with kind {@code sql_error}.
 */
final class SqlHttpDriver implements KvDriver {
    static final String SCHEMA = "[\"CREATE TABLE IF NOT EXISTS bench (id INTEGER PRIMARY KEY, k TEXT NOT NULL,"
            + " v TEXT NOT NULL)\", \"CREATE INDEX IF NOT EXISTS bench_k ON bench(k)\"]";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpConnection connection;
    private final String queryUri;

    SqlHttpDriver(Bootstrap bootstrap, String endpoint, String sqlLevel, Duration timeout) {
        this.connection = new HttpConnection(bootstrap, endpoint, timeout);
        this.queryUri = "/db/query?level=" + sqlLevel;
    }

    @Override
    public CompletionStage<Void> put(String key, byte[] value) {
        String body = "[[\"INSERT INTO bench(k, v) VALUES(?, ?)\", " + quote(key) + ", \""
                + Base64.getEncoder().encodeToString(value) + "\"]]";
        return call("/db/execute", body).thenApply(result -> null);
    }

    @Override
    public CompletionStage<byte[]> get(String key) {
        String body = "[[\"SELECT v FROM bench WHERE k = ? ORDER BY id DESC LIMIT 1\", " + quote(key) + "]]";
        return call(queryUri, body).thenApply(result -> {
            JsonNode v = result.path("values").path(0).path(0);
            return v.isTextual() ? Base64.getDecoder().decode(v.asText()) : null;
        });
    }

    /** Completes the schema once, before the load: {@code CREATE … IF NOT EXISTS}, so every run may send it. */
    CompletionStage<Void> createSchema() {
        return call("/db/execute", SCHEMA).thenApply(result -> null);
    }

    /** Posts {@code body} and completes with the first statement's result, or fails for an error result/status. */
    private CompletableFuture<JsonNode> call(String uri, String body) {
        return connection.exchange(HttpConnection.request(HttpMethod.POST, uri,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8))).thenCompose(r -> {
            try {
                if (r.status().code() != 200) {
                    return CompletableFuture.failedFuture(HttpConnection.error(r));
                }
                JsonNode result = results(r).path(0);
                return result.has("error")
                        ? CompletableFuture.failedFuture(new KvError("sql_error", result.get("error").asText()))
                        : CompletableFuture.completedFuture(result);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(new KvError("bad_answer", e.getMessage()));
            } finally {
                r.release();
            }
        });
    }

    private static JsonNode results(FullHttpResponse r) throws IOException {
        try (ByteBufInputStream in = new ByteBufInputStream(r.content().duplicate())) {
            return JSON.readTree(in).path("results");
        }
    }

    private static String quote(String s) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
    }

    @Override
    public void close() {
        connection.close();
    }
}
