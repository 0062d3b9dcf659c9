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
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small blocking Java client for the KV HTTP API with leader-aware retries and exactly-once writes.
 *
 * <p>Any server accepts any request (followers forward to the leader), so the client only has to survive
 * servers that are down or have no leader: on a 503 ("not applied": no leader yet, overloaded), a 507 (that
 * server's disk is full) or a refused connection it moves on to the next endpoint, with a short backoff, up to
 * {@code maxAttempts} tries in all. It sticks to the endpoint that answered last. {@link #preferLeader()} points
 * it at the leader (from {@code /status}), which saves the forwarding hop.
 *
 * <p><b>The guarantee (with sessions, the default).</b> The client opens a session ({@code POST /session}) on its
 * first write and numbers its writes. A write whose outcome is unknown — a 504, a connection that broke after the
 * request was sent, a response timeout — is sent again with the <em>same</em> session and sequence number, to the
 * next endpoint, until some server answers it; the servers apply it at most once and every server gives the answer
 * of its one apply (thesis §6.3). So each successful call of {@link #put}, {@link #delete}, {@link #batch} and
 * {@link #cas} took effect <b>exactly once</b>, and its result is the result of that one apply (a retried CAS that
 * had swapped reports {@code swapped}, not the 409 a blind resend would get). A call that throws took effect at
 * most once: {@link KvClientException#outcomeUnknown()} says whether it may have, which happens only when the
 * retries ran out ({@code retryWindow}, default 30 s), or the session expired or was evicted on the servers
 * while the write's outcome was unknown (410; then the client opens a new session for later writes). A 410 on a
 * write's first try (the session expired while the client was idle) is handled by opening a new session and
 * sending the write in it: nothing of the old session could have been applied. Writes from several threads share
 * the session; keep fewer than the servers' {@code --max-session-answers} (256) in flight at once.
 * {@link #close()} ends the session.
 *
 * <p><b>Without sessions</b> ({@code sessions = false}) retries never repeat a write whose outcome is unknown: a
 * 504, or a connection that broke after the request was sent, is reported as
 * {@link KvClientException#outcomeUnknown()} — except for idempotent writes (put, delete, batch), which the client
 * resends. A compare-and-set is never resent blindly.
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
    private final boolean sessions;
    private final Duration retryWindow;
    private final ExecutorService executor;
    private final HttpClient http;
    private volatile int preferred;
    /** The session writes go in; null until the first write (or after it was found gone). */
    private volatile ClientSession session;
    private final Object sessionLock = new Object();

    /** The result of {@link #cas}: swapped, or not with the key's current value (null if absent). */
    public record CasResult(boolean swapped, String current) {
    }

    /** A client with sessions (exactly-once writes) and a 30 s retry window for writes of unknown outcome. */
    public KvClient(List<String> endpoints, Duration timeout, int maxAttempts) {
        this(endpoints, timeout, maxAttempts, true, DEFAULT_RETRY_WINDOW);
    }

    /**
     * @param sessions    writes in a session, retried with the same sequence number until answered (see above);
     *                    false: no session, a write of unknown outcome is not resent (except idempotent ones)
     * @param retryWindow how long a session write of unknown outcome keeps being retried before the client gives
     *                    up with {@link KvClientException#outcomeUnknown()}
     */
    public KvClient(List<String> endpoints, Duration timeout, int maxAttempts, boolean sessions, Duration retryWindow) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("need at least one endpoint");
        }
        this.endpoints = List.copyOf(endpoints);
        this.timeout = Objects.requireNonNull(timeout);
        this.maxAttempts = Math.max(1, maxAttempts);
        this.sessions = sessions;
        this.retryWindow = Objects.requireNonNull(retryWindow);
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "kv-client");
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).executor(executor).build();
    }

    /** Default of {@code retryWindow}. */
    public static final Duration DEFAULT_RETRY_WINDOW = Duration.ofSeconds(30);

    /** A client with a 10 s request timeout, up to 4 tries per endpoint, and sessions. */
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
        expect(write("PUT", keyPath(key), value, true), 204);
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
        expect(write("DELETE", keyPath(key), null, true), 204);
    }

    /** Atomically puts every entry (hraftd's {@code POST /key}). */
    public void batch(Map<String, String> entries) {
        expect(write("POST", "/key", jsonBytes(entries), true), 204);
    }

    /** Compare-and-set; {@code expect == null} means "must be absent", {@code value == null} means "delete". */
    public CasResult cas(String key, String expect, String value) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("expect", expect);
        body.put("value", value);
        Response r = write("POST", "/cas/" + encode(key), jsonBytes(body), false);
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

    /**
     * Keeps this client's session alive on the servers ({@code POST /session/{id}/keepalive}) when it writes less
     * often than the session timeout (1 hour by default). A no-op without a session.
     *
     * @return false if the servers no longer know the session (the next write opens a new one)
     */
    public boolean keepAlive() {
        ClientSession s = session;
        if (s == null) {
            return true;
        }
        Response r = send("POST", "/session/" + s.id + "/keepalive", null, true,
                Map.of(HEADER_ACKED, Long.toString(s.ackedBelow())));
        if (r.status == 410) {
            forget(s);
            return false;
        }
        expect(r, 204);
        return true;
    }

    /** This client's session id, if it has opened one. */
    public Optional<String> sessionId() {
        ClientSession s = session;
        return s == null ? Optional.empty() : Optional.of(s.id);
    }

    // ------------------------------------------------------------------------------------------- sessions

    static final String HEADER_SESSION = "Raftkv-Session";
    static final String HEADER_SEQ = "Raftkv-Seq";
    static final String HEADER_ACKED = "Raftkv-Acked";

    /** A session on the servers: its id, the next sequence number, and the writes still waiting for an answer. */
    private static final class ClientSession {
        final String id;
        final AtomicLong nextSeq = new AtomicLong(1);
        final ConcurrentSkipListSet<Long> outstanding = new ConcurrentSkipListSet<>();

        ClientSession(String id) {
            this.id = id;
        }

        long begin() {
            // Under the set's own ordering: a seq is in the set before any later seq is drawn, so ackedBelow never
            // passes a write still in flight.
            synchronized (outstanding) {
                long seq = nextSeq.getAndIncrement();
                outstanding.add(seq);
                return seq;
            }
        }

        void end(long seq) {
            outstanding.remove(seq);
        }

        /** Thesis §6.3: the client has the answer of every seq below this one; the servers may forget them. */
        long ackedBelow() {
            synchronized (outstanding) {
                return outstanding.isEmpty() ? nextSeq.get() : outstanding.first();
            }
        }
    }

    private ClientSession currentSession() {
        ClientSession s = session;
        if (s != null) {
            return s;
        }
        synchronized (sessionLock) {
            if (session == null) {
                // A lost answer to this POST leaves a session nobody uses; it expires on its own.
                Response r = send("POST", "/session", null, true, Map.of());
                expect(r, 200);
                JsonNode id = json(r).get("session");
                if (id == null || !id.isTextual()) {
                    throw new KvClientException(r.status, r.endpoint + ": no session id in " + errorText(r), false, null);
                }
                session = new ClientSession(id.asText());
            }
            return session;
        }
    }

    private void forget(ClientSession gone) {
        synchronized (sessionLock) {
            if (session == gone) {
                session = null;
            }
        }
    }

    /** A write: in the session (exactly once, see the class comment), or as {@link #send} without sessions. */
    private Response write(String method, String path, byte[] body, boolean idempotent) {
        if (!sessions) {
            return send(method, path, body, idempotent);
        }
        for (int opened = 0; ; opened++) {
            ClientSession s = currentSession();
            long seq = s.begin();
            try {
                SessionAttempt a = sendInSession(s, seq, method, path, body);
                if (a.sessionGone() && !a.maybeApplied() && opened == 0) {
                    forget(s); // expired while we were idle: nothing of it can apply any more; start afresh
                    continue;
                }
                if (a.sessionGone()) {
                    forget(s);
                    throw new KvClientException(410, a.response().endpoint + ": the session expired while the"
                            + " outcome of " + method + " " + path + " was unknown: " + errorText(a.response()),
                            a.maybeApplied(), null);
                }
                return a.response();
            } finally {
                s.end(seq);
            }
        }
    }

    /** How a session write ended: the answer, whether an earlier try may have been applied, whether the session is gone. */
    private record SessionAttempt(Response response, boolean maybeApplied, boolean sessionGone) {
    }

    private SessionAttempt sendInSession(ClientSession s, long seq, String method, String path, byte[] body) {
        long deadline = System.nanoTime() + retryWindow.toNanos();
        boolean maybeApplied = false;
        KvClientException last = null;
        int start = preferred;
        int definiteFailures = 0;
        for (int attempt = 0; ; attempt++) {
            if (attempt > 0 && (System.nanoTime() - deadline >= 0 || !maybeApplied && definiteFailures >= maxAttempts)) {
                throw last;
            }
            int i = Math.floorMod(start + attempt, endpoints.size());
            String endpoint = endpoints.get(i);
            Map<String, String> headers = Map.of(HEADER_SESSION, s.id, HEADER_SEQ, Long.toString(seq),
                    HEADER_ACKED, Long.toString(s.ackedBelow()));
            Response r;
            try {
                r = exchange(endpoint, method, path, body, headers);
            } catch (ConnectException | HttpConnectTimeoutException e) {
                last = new KvClientException(0, endpoint + " unreachable: " + e, maybeApplied, e);
                definiteFailures++;
                backoff(attempt);
                continue; // never sent
            } catch (IOException e) {
                // Sent, and no answer: it may be applied. Thesis §6.3: resend with the same (session, seq).
                maybeApplied = true;
                last = new KvClientException(0, "connection to " + endpoint + " failed: " + e, true, e);
                backoff(attempt);
                continue;
            }
            if (r.status == 503 || r.status == 507) {
                // Not applied by this try (507: that node's disk is full and it took nothing): resend anywhere.
                last = new KvClientException(r.status, endpoint + ": " + errorText(r), maybeApplied, null);
                definiteFailures++;
                backoff(attempt);
                continue;
            }
            if (r.status == 504) {
                maybeApplied = true;
                last = new KvClientException(504, endpoint + ": " + errorText(r), true, null);
                backoff(attempt);
                continue;
            }
            preferred = i;
            if (r.status == 410) {
                return new SessionAttempt(r, maybeApplied, true);
            }
            if (r.status == 400 && maybeApplied && isSessionRefusal(r)) {
                // The answer of an earlier try was acknowledged or evicted: it may have been applied, and no
                // server can tell any more.
                throw new KvClientException(400, endpoint + ": " + errorText(r), true, null);
            }
            return new SessionAttempt(r, maybeApplied, false);
        }
    }

    private static boolean isSessionRefusal(Response r) {
        try {
            JsonNode n = Json.MAPPER.readTree(r.body);
            return n != null && n.has("reason") && n.has("floor");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------------------------------- transport

    private record Response(int status, byte[] body, String endpoint) {
    }

    private Response send(String method, String path, byte[] body, boolean resendIfUnknown) {
        return send(method, path, body, resendIfUnknown, Map.of());
    }

    private Response send(String method, String path, byte[] body, boolean resendIfUnknown,
                          Map<String, String> headers) {
        KvClientException last = null;
        int start = preferred;
        for (int attempt = 0; attempt < maxAttempts; attempt++) {
            int i = Math.floorMod(start + attempt, endpoints.size());
            String endpoint = endpoints.get(i);
            Response r;
            try {
                r = exchange(endpoint, method, path, body, headers);
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
            if (r.status == 503 || r.status == 507) {
                last = new KvClientException(r.status, endpoint + ": " + errorText(r), false, null);
                backoff(attempt);
                continue; // not applied (507: that node's disk is full): safe to retry anywhere
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
            return exchange(endpoint, method, path, body, Map.of());
        } catch (IOException e) {
            throw new KvClientException(0, endpoint + ": " + e, false, e);
        }
    }

    private Response exchange(String endpoint, String method, String path, byte[] body, Map<String, String> headers)
            throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + endpoint + path))
                .timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        HttpRequest req = b.build();
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

    /** Ends the session on the servers (best effort: it would expire anyway), then stops the client. */
    @Override
    public void close() {
        ClientSession s = session;
        if (s != null) {
            try {
                once(endpoints.get(preferred), "DELETE", "/session/" + s.id, null);
            } catch (KvClientException e) {
                // the session expires on its own
            }
            session = null;
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
