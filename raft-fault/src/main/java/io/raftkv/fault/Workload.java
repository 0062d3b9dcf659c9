package io.raftkv.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.verify.HistoryRecorder;
import io.raftkv.verify.OpKind;
import io.raftkv.verify.Outcome;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The clients of a run: each is one thread pinned to one node, speaking HTTP or RESP (see {@link ClientProtocol};
 * the RESP side is {@link RespOps}), issuing one request at a time — a random
 * linearizable, lease or stale read, write, delete or compare-and-set on a small key set — and recording it in a
 * {@link HistoryRecorder}. Each request is sent exactly once (no client retries), so every answer is recorded
 * as what it was:
 * <ul>
 *   <li>2xx, 404 (absent), 409 (CAS did not match): {@code OK} with the result;</li>
 *   <li>503 ("not applied", "no leader"), a refused or timed-out <em>connect</em>: {@code FAIL} — the request
 *       never took effect;</li>
 *   <li>anything after the request may have left (504, 500, a response timeout, a reset): {@code UNKNOWN} — it
 *       may take effect at any later time, and the checker allows that.</li>
 * </ul>
 * Lease reads are recorded as linearizable reads ({@link OpKind#READ}); their ids are kept in
 * {@link #leaseReads()} so that a violation can be attributed to them.
 */
public final class Workload {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HistoryRecorder recorder;
    private final ServerProcesses servers;
    private final HttpClient http;
    private final Duration timeout;
    private final int keys;
    private final Set<Long> leaseReads = ConcurrentHashMap.newKeySet();
    private final ClientProtocol protocol;
    private final RespOps resp;
    private volatile boolean stopped;

    /** Which protocol the clients speak: one for all, or HTTP for even process numbers and RESP for odd ones. */
    public enum ClientProtocol {
        HTTP, RESP, MIXED
    }

    public Workload(HistoryRecorder recorder, ServerProcesses servers, int keys, Duration timeout) {
        this(recorder, servers, keys, timeout, ClientProtocol.HTTP);
    }

    public Workload(HistoryRecorder recorder, ServerProcesses servers, int keys, Duration timeout,
                    ClientProtocol protocol) {
        this.recorder = recorder;
        this.servers = servers;
        this.keys = keys;
        this.timeout = timeout;
        this.protocol = protocol;
        this.resp = new RespOps(servers, timeout);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).build();
    }

    public Set<Long> leaseReads() {
        return leaseReads;
    }

    public String key(int i) {
        return "k" + i;
    }

    public int keys() {
        return keys;
    }

    /** Makes every client loop return after its current request. */
    public void stop() {
        stopped = true;
    }

    /** Closes the RESP clients' connections (after the last operation). */
    public void closeConnections() {
        resp.close();
    }

    /** True if client {@code process} speaks RESP (see {@link ClientProtocol}). */
    public boolean speaksResp(int process) {
        return protocol == ClientProtocol.RESP || (protocol == ClientProtocol.MIXED && process % 2 == 1);
    }

    /** The body of client thread {@code process}, talking only to {@code node}. Returns when stopped. */
    public void runClient(int process, String node, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int n = 0;
        while (!stopped && !Thread.currentThread().isInterrupted()) {
            String key = key(random.nextInt(keys));
            String value = "p" + process + "-" + n++;
            int dice = random.nextInt(100);
            Outcome outcome;
            if (dice < 25) {
                outcome = read(process, node, key, "linearizable");
            } else if (dice < 35) {
                outcome = read(process, node, key, "lease");
            } else if (dice < 45) {
                outcome = read(process, node, key, "stale");
            } else if (dice < 70) {
                outcome = write(process, node, key, value);
            } else if (dice < 75) {
                outcome = write(process, node, key, null);
            } else {
                // Expect absent, or a value this or another client may have written recently: both outcomes occur.
                String expected = random.nextInt(4) == 0 ? null
                        : "p" + random.nextInt(Math.max(1, process + 1)) + "-" + random.nextInt(Math.max(1, n));
                outcome = cas(process, node, key, expected, value);
            }
            if (outcome != Outcome.OK) {
                sleep(50); // the node is down, paused, cut off or without a leader: do not spin on it
            }
        }
    }

    /**
     * One read at {@code level}, recorded; returns how it ended. A linearizable read that ends OK is also how the
     * harness takes its final reads.
     */
    public Outcome read(int process, String node, String key, String level) {
        OpKind kind = level.equals("stale") ? OpKind.STALE_READ : OpKind.READ;
        // Sessions of StaleReadChecker's monotonic-reads rule are (process, node label, key). A stale read comes
        // from this node's own state machine; linearizable and lease reads are forwarded to the leader and come
        // from its state, which may be ahead: mixing both in one session would make a lagging node look like it
        // went back in time. So each level gets sessions of its own.
        String session = kind == OpKind.STALE_READ ? servers.label(node) : servers.label(node) + "/" + level;
        HistoryRecorder.Call call = recorder.invoke(process, session, key, kind, null, null);
        if (level.equals("lease")) {
            leaseReads.add(call.id());
        }
        if (speaksResp(process)) {
            return resp.read(call, process, node, key, level);
        }
        HttpRequest request = request(node, "/key/" + key + "?level=" + level).GET().build();
        return send(request, call, r -> {
            switch (r.statusCode()) {
                case 200 -> call.okRead(JSON.readTree(r.body()).get(key).asText());
                case 404 -> call.okRead(null);
                case 503 -> {
                    call.fail();
                    return Outcome.FAIL;
                }
                default -> {
                    call.unknown();
                    return Outcome.UNKNOWN;
                }
            }
            return Outcome.OK;
        });
    }

    /** {@code value == null}: DELETE. */
    public Outcome write(int process, String node, String key, String value) {
        HistoryRecorder.Call call = recorder.invoke(process, servers.label(node), key, OpKind.WRITE, null, value);
        if (speaksResp(process)) {
            return resp.write(call, process, node, key, value);
        }
        HttpRequest.Builder b = request(node, "/key/" + key);
        HttpRequest request = (value == null ? b.DELETE() : b.PUT(HttpRequest.BodyPublishers.ofString(value))).build();
        return send(request, call, r -> {
            switch (r.statusCode()) {
                case 204 -> call.ok();
                case 503 -> {
                    call.fail();
                    return Outcome.FAIL;
                }
                default -> {
                    call.unknown();
                    return Outcome.UNKNOWN;
                }
            }
            return Outcome.OK;
        });
    }

    /**
     * Over RESP only "expect absent" exists (SET NX); a RESP client that draws another expectation writes instead.
     */
    public Outcome cas(int process, String node, String key, String expected, String value) {
        if (speaksResp(process) && expected != null) {
            return write(process, node, key, value);
        }
        HistoryRecorder.Call call = recorder.invoke(process, servers.label(node), key, OpKind.CAS, expected, value);
        if (speaksResp(process)) {
            return resp.setIfAbsent(call, process, node, key, value);
        }
        Map<String, String> body = new LinkedHashMap<>();
        body.put("expect", expected);
        body.put("value", value);
        String json;
        try {
            json = JSON.writeValueAsString(body);
        } catch (IOException e) {
            call.fail();
            throw new IllegalStateException(e);
        }
        HttpRequest request = request(node, "/cas/" + key).POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return send(request, call, r -> {
            switch (r.statusCode()) {
                case 200 -> call.okCas(true);
                case 409 -> call.okCas(false);
                case 503 -> {
                    call.fail();
                    return Outcome.FAIL;
                }
                default -> {
                    call.unknown();
                    return Outcome.UNKNOWN;
                }
            }
            return Outcome.OK;
        });
    }

    private HttpRequest.Builder request(String node, String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://" + servers.node(node).http() + pathAndQuery))
                .timeout(timeout);
    }

    /** Completes the call from the response; returns the outcome it recorded. */
    private interface Answer {
        Outcome record(HttpResponse<String> response) throws IOException;
    }

    private Outcome send(HttpRequest request, HistoryRecorder.Call call, Answer answer) {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            call.fail(); // never reached the node: cannot take effect
            return Outcome.FAIL;
        } catch (IOException e) {
            call.unknown(); // response timeout, reset, EOF: the request may have been applied
            return Outcome.UNKNOWN;
        } catch (InterruptedException e) {
            call.unknown();
            Thread.currentThread().interrupt();
            return Outcome.UNKNOWN;
        }
        try {
            return answer.record(response);
        } catch (IOException | RuntimeException e) {
            call.unknown(); // an unreadable 200: we cannot tell what it said
            return Outcome.UNKNOWN;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
