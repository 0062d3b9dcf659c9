package io.raftkv.kv.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.plugin.http.Json;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A small blocking Java client for the KV HTTP API with leader-aware retries.
 *
 * <p>Any server accepts any request (followers forward to the leader), so the client only has to survive
 * servers that are down or have no leader: on a 503 ("not applied": no leader yet, overloaded) or a refused
 * connection it moves on to the next endpoint, with a short backoff, up to {@code maxAttempts} tries in all. It
 * sticks to the endpoint that answered last. {@link #preferLeader()} points it at the leader (from
 * {@code /status}), which saves the forwarding hop.
 *
 * <p>Retries never repeat a write whose outcome is unknown: a 504, or a connection that broke after the request
 * was sent, is reported as {@link KvClientException#outcomeUnknown()} — except for idempotent writes (put, delete,
 * batch), which {@code retryIdempotent} lets the client resend. A compare-and-set is never resent blindly.
 *
 * <pre>{@code
 * try (KvClient kv = KvClient.of("127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003")) {
 *     kv.put("hello", "world");
 *     Optional<String> v = kv.get("hello", "linearizable");
 *     boolean swapped = kv.cas("hello", "world", "there").swapped();
 * }
 * }</pre>
 */
public final class KvClient implements AutoCloseable {
    private final List<String> endpoints;
    private final Duration timeout;
    private final int maxAttempts;
    private final ExecutorService executor;
    private final HttpClient http;
    private volatile int preferred;

    /** The result of {@link #cas}: swapped, or not with the key's current value (null if absent). */
    public record CasResult(boolean swapped, String current) {
    }

    public KvClient(List<String> endpoints, Duration timeout, int maxAttempts) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("need at least one endpoint");
        }
        this.endpoints = List.copyOf(endpoints);
        this.timeout = Objects.requireNonNull(timeout);
        this.maxAttempts = Math.max(1, maxAttempts);
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "kv-client");
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).executor(executor).build();
    }

    /** A client with a 10 s request timeout and up to 4 tries per endpoint. */
    public static KvClient of(String... endpoints) {
        return new KvClient(List.of(endpoints), Duration.ofSeconds(10), 4 * endpoints.length);
    }

    public List<String> endpoints() {
        return endpoints;
    }

    // ------------------------------------------------------------------------------------------- API

    public void put(String key, String value) {
        put(key, value.getBytes(StandardCharsets.UTF_8));
    }

    public void put(String key, byte[] value) {
        expect(send("PUT", keyPath(key), value, true), 204);
    }

    /** The value at {@code level} ("linearizable", "lease" or "stale"), or empty if the key is absent. */
    public Optional<String> get(String key, String level) {
        String path = keyPath(key) + (level == null ? "" : "?level=" + encode(level));
        Response r = send("GET", path, null, true);
        if (r.status == 404) {
            return Optional.empty();
        }
        expect(r, 200);
        JsonNode v = json(r).get(key);
        return Optional.ofNullable(v == null || v.isNull() ? null : v.asText());
    }

    public Optional<String> get(String key) {
        return get(key, null);
    }

    public void delete(String key) {
        expect(send("DELETE", keyPath(key), null, true), 204);
    }

    /** Atomically puts every entry (hraftd's {@code POST /key}). */
    public void batch(Map<String, String> entries) {
        expect(send("POST", "/key", jsonBytes(entries), true), 204);
    }

    /** Compare-and-set; {@code expect == null} means "must be absent", {@code value == null} means "delete". */
    public CasResult cas(String key, String expect, String value) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("expect", expect);
        body.put("value", value);
        Response r = send("POST", "/cas/" + encode(key), jsonBytes(body), false);
        if (r.status == 409) {
            JsonNode cur = json(r).get("current");
            return new CasResult(false, cur == null || cur.isNull() ? null : cur.asText());
        }
        expect(r, 200);
        return new CasResult(true, value);
    }

    /** {@code GET /status} of the endpoint that answers first. */
    public JsonNode status() {
        Response r = send("GET", "/status", null, true);
        expect(r, 200);
        return json(r);
    }

    /** {@code GET /status} of one specific endpoint, without retries. */
    public JsonNode status(String endpoint) {
        Response r = once(endpoint, "GET", "/status", null);
        expect(r, 200);
        return json(r);
    }

    /** {@code GET /digest} of one specific endpoint (its own state), without retries. */
    public JsonNode digest(String endpoint) {
        Response r = once(endpoint, "GET", "/digest", null);
        expect(r, 200);
        return json(r);
    }

    /**
     * Asks the endpoints for the leader and, if it is one of them, sends later requests there first.
     *
     * @return true if a leader was found among the endpoints
     */
    public boolean preferLeader() {
        for (int i = 0; i < endpoints.size(); i++) {
            try {
                JsonNode s = status(endpoints.get(i));
                String leaderHttp = s.path("leaderHttp").asText(null);
                int idx = leaderHttp == null ? -1 : endpoints.indexOf(leaderHttp);
                if (idx >= 0) {
                    preferred = idx;
                    return true;
                }
            } catch (KvClientException e) {
                // that endpoint is down; ask the next one
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------- transport

    private record Response(int status, byte[] body, String endpoint) {
    }

    private Response send(String method, String path, byte[] body, boolean resendIfUnknown) {
        KvClientException last = null;
        int start = preferred;
        for (int attempt = 0; attempt < maxAttempts; attempt++) {
            int i = Math.floorMod(start + attempt, endpoints.size());
            String endpoint = endpoints.get(i);
            Response r;
            try {
                r = exchange(endpoint, method, path, body);
            } catch (ConnectException | HttpConnectTimeoutException e) {
                last = new KvClientException(0, endpoint + " unreachable: " + e, false, e);
                backoff(attempt);
                continue; // nothing was sent: safe for every request
            } catch (IOException e) {
                last = new KvClientException(0, "connection to " + endpoint + " failed: " + e, true, e);
                if (!resendIfUnknown) {
                    throw last;
                }
                backoff(attempt);
                continue;
            }
            if (r.status == 503) {
                last = new KvClientException(503, endpoint + ": " + errorText(r), false, null);
                backoff(attempt);
                continue; // not applied: safe to retry anywhere
            }
            if (r.status == 504 && resendIfUnknown) {
                last = new KvClientException(504, endpoint + ": " + errorText(r), true, null);
                backoff(attempt);
                continue;
            }
            preferred = i;
            return r;
        }
        throw last;
    }

    private Response once(String endpoint, String method, String path, byte[] body) {
        try {
            return exchange(endpoint, method, path, body);
        } catch (IOException e) {
            throw new KvClientException(0, endpoint + ": " + e, false, e);
        }
    }

    private Response exchange(String endpoint, String method, String path, byte[] body) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + endpoint + path))
                .timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
            return new Response(resp.statusCode(), resp.body(), endpoint);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void backoff(int attempt) {
        try {
            Thread.sleep(Math.min(500, 25L << Math.min(attempt, 5)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvClientException(0, "interrupted", false, e);
        }
    }

    private static void expect(Response r, int status) {
        if (r.status != status) {
            throw new KvClientException(r.status, r.endpoint + " answered " + r.status + ": " + errorText(r),
                    r.status == 504, null);
        }
    }

    private static String errorText(Response r) {
        try {
            JsonNode n = Json.MAPPER.readTree(r.body);
            if (n != null && n.has("error")) {
                return n.get("error").asText();
            }
        } catch (IOException | RuntimeException ignored) {
            // not JSON: fall through to the raw text
        }
        return new String(r.body, StandardCharsets.UTF_8);
    }

    private static JsonNode json(Response r) {
        try {
            return Json.MAPPER.readTree(r.body);
        } catch (IOException e) {
            throw new KvClientException(r.status, "malformed JSON from " + r.endpoint + ": " + e.getMessage(), false, e);
        }
    }

    private static byte[] jsonBytes(Object value) {
        try {
            return Json.MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static String keyPath(String key) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty");
        }
        return "/key/" + encode(key);
    }

    /** Percent-encodes for a path segment or query value (URLEncoder's '+' for space is wrong in paths). */
    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
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
