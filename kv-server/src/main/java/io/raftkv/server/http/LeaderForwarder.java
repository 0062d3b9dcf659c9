package io.raftkv.server.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends a client's request on to the leader's HTTP API and hands back the leader's answer unchanged, so a client
 * may talk to any server and never hunts for the leader (DESIGN.md §7).
 *
 * <p>The forwarded request carries {@value #FORWARDED_HEADER}: a server that receives one never forwards again,
 * so two servers that each believe the other leads (possible for a moment around an election) answer 503
 * instead of bouncing the request between them.
 *
 * <p>Errors: if the leader cannot be reached at all (connection refused or connect timeout) nothing was sent, so
 * the answer is 503 ("not applied", safe to retry). If the connection breaks or times out after the request was
 * sent, a write may or may not have been applied: 504 for writes, 503 for reads (reads are always safe to retry).
 */
public final class LeaderForwarder implements AutoCloseable {
    /** Header marking a request one server forwarded to another; its value is the forwarding server's id. */
    public static final String FORWARDED_HEADER = "X-Raftkv-Forwarded";

    private final String selfId;
    private final Duration timeout;
    private final ExecutorService executor;
    private final HttpClient client;
    private final Counter answered;
    private final Counter unreachable;
    private final Counter failed;

    /**
     * @param timeout how long to wait for the leader's answer; a little longer than the leader's own request
     *                timeout, so that its 504 (rather than ours) reaches the client
     */
    public LeaderForwarder(String selfId, Duration timeout, MeterRegistry registry) {
        this.selfId = selfId;
        // kv.http.forwarded{result}: requests this server passed on to the leader, by what came of them.
        this.answered = registry.counter("kv.http.forwarded", "result", "answered");
        this.unreachable = registry.counter("kv.http.forwarded", "result", "unreachable");
        this.failed = registry.counter("kv.http.forwarded", "result", "failed");
        this.timeout = timeout;
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "kv-forward-" + selfId + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1))
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .build();
    }

    /** Forwards {@code request} to the server at {@code leaderHttp} (host:port). Never completes exceptionally. */
    public CompletableFuture<Reply> forward(String leaderId, String leaderHttp, Request request, boolean isWrite) {
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(URI.create("http://" + leaderHttp + request.rawUri()))
                    .timeout(timeout)
                    .header(FORWARDED_HEADER, selfId)
                    .method(request.method(), request.body().length == 0
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(request.body()));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Reply.error(503, "cannot forward to leader " + leaderId
                    + " at " + leaderHttp + ": " + e.getMessage()));
        }
        return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray())
                .handle((response, error) -> {
                    if (error == null) {
                        answered.increment();
                        String type = response.headers().firstValue("content-type").orElse(null);
                        return new Reply(response.statusCode(), type, response.body());
                    }
                    return failure(leaderId, leaderHttp, unwrap(error), isWrite);
                });
    }

    private Reply failure(String leaderId, String leaderHttp, Throwable e, boolean isWrite) {
        String where = "leader " + leaderId + " at " + leaderHttp;
        if (e instanceof ConnectException || e instanceof HttpConnectTimeoutException) {
            unreachable.increment();
            return Reply.error(503, where + " unreachable: " + e);
        }
        failed.increment();
        if (e instanceof IOException && isWrite) {
            return Reply.error(504, "forwarding to " + where + " failed after the request was sent; the write"
                    + " may or may not have been applied: " + e);
        }
        return Reply.error(503, "forwarding to " + where + " failed: " + e);
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
