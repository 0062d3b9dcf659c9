package io.raftkv.server;

import io.raftkv.plugin.http.Json;
import io.raftkv.verify.CheckResult;
import io.raftkv.verify.History;
import io.raftkv.verify.HistoryJson;
import io.raftkv.verify.HistoryRecorder;
import io.raftkv.verify.LinearizabilityChecker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jepsen-style check of the whole stack: concurrent clients on every node do linearizable reads, writes and
 * compare-and-sets on a few keys while the leader is killed with {@code kill -9} and restarted; the recorded
 * history (raft-verify's HistoryRecorder) must be linearizable (raft-verify's WGL checker). Each request is sent
 * once, without client retries, so every answer is recorded as what it was: 2xx/404/409 = ok, 503 = failed
 * (not applied), anything else (504, timeout, reset) = unknown.
 */
class LinearizabilityIT {
    private static final long SEED = Long.getLong("lin.seed", 20261124L);

    @TempDir
    Path dir;

    @Test
    @Timeout(300)
    void historiesAcrossALeaderKillAreLinearizable() throws Exception {
        Duration run = Duration.ofSeconds(Boolean.getBoolean("soak") ? 60 : 12);
        HistoryRecorder recorder = new HistoryRecorder();
        java.util.concurrent.atomic.AtomicReference<String> killed = new java.util.concurrent.atomic.AtomicReference<>();
        try (ProcessCluster c = new ProcessCluster(dir, 3)) {
            c.startAll();
            c.awaitLeader(Duration.ofSeconds(60));
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(1)).build();
            List<String> ids = List.copyOf(c.http.keySet());
            int clients = 6;
            long end = System.nanoTime() + run.toNanos();
            ExecutorService pool = Executors.newFixedThreadPool(clients + 1);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int p = 0; p < clients; p++) {
                    int process = p;
                    String node = ids.get(p % ids.size());
                    done.add(pool.submit(() -> {
                        runClient(http, recorder.client(process, node), c.http.get(node),
                                new SplittableRandom(SEED + process), end);
                        return null;
                    }));
                }
                // Nemesis: kill -9 the leader a third of the way in, restart it at two thirds.
                done.add(pool.submit(() -> {
                    Thread.sleep(run.toMillis() / 3);
                    String leader = c.awaitLeader(Duration.ofSeconds(30));
                    c.kill(leader);
                    killed.set(leader);
                    Thread.sleep(run.toMillis() / 3);
                    c.start(leader);
                    return null;
                }));
                for (Future<?> f : done) {
                    f.get(run.toSeconds() + 120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            History history = recorder.history();
            CheckResult result = new LinearizabilityChecker().check(history);
            Path saved = dir.resolve("history.jsonl");
            HistoryJson.write(history, saved);
            Map<io.raftkv.verify.Outcome, Long> outcomes = history.operations().stream().collect(
                    java.util.stream.Collectors.groupingBy(io.raftkv.verify.Operation::outcome,
                            java.util.stream.Collectors.counting()));
            System.out.println("seed " + SEED + ": " + history.operations().size() + " operations " + outcomes
                    + ", leader killed: " + killed.get() + ", verdict " + result.verdict() + ", " + result.steps()
                    + " search steps");
            assertTrue(killed.get() != null, "the nemesis killed the leader");
            if (!result.isLinearizable()) {
                Path keep = Path.of("target", "failed-history-" + SEED + ".jsonl");
                Files.createDirectories(keep.getParent());
                Files.copy(saved, keep, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            assertTrue(result.violations().isEmpty(), "seed " + SEED + " (history in target/): " + result.report());
            assertTrue(result.isLinearizable(), "seed " + SEED + ": checker could not decide: " + result.report());
        }
    }

    /**
     * One client: linearizable reads, writes and compare-and-sets on four keys against {@code endpoint} until
     * {@code endNanos}, each sent once and recorded as what its answer proves (see the class comment).
     */
    static void runClient(HttpClient http, HistoryRecorder.Client client, String endpoint,
                          SplittableRandom random, long endNanos) throws IOException {
        int n = 0;
        while (System.nanoTime() < endNanos && !Thread.currentThread().isInterrupted()) {
            String key = "k" + random.nextInt(4);
            int op = random.nextInt(10);
            String value = "v" + client.process() + "-" + (n++);
            HistoryRecorder.Call call;
            HttpRequest.Builder request;
            if (op < 4) {
                call = client.read(key);
                request = HttpRequest.newBuilder(uri(endpoint, "/key/" + key + "?level=linearizable")).GET();
            } else if (op < 7) {
                call = client.write(key, value);
                request = HttpRequest.newBuilder(uri(endpoint, "/key/" + key)).PUT(HttpRequest.BodyPublishers.ofString(value));
            } else {
                // Expect either "absent" or a value some client may have written: both matches and misses occur.
                String expected = random.nextBoolean() ? null : "v" + random.nextInt(6) + "-" + random.nextInt(Math.max(1, n));
                call = client.cas(key, expected, value);
                Map<String, String> body = new HashMap<>();
                body.put("expect", expected);
                body.put("value", value);
                request = HttpRequest.newBuilder(uri(endpoint, "/cas/" + key))
                        .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(body)));
            }
            HttpResponse<String> r;
            try {
                r = http.send(request.timeout(Duration.ofSeconds(8)).build(), HttpResponse.BodyHandlers.ofString());
            } catch (ConnectException e) {
                call.fail(); // never reached the node: not applied
                sleepQuietly(50); // the node is down: do not spin
                continue;
            } catch (IOException e) {
                call.unknown(); // timeout or reset after sending: may or may not take effect
                sleepQuietly(50);
                continue;
            } catch (InterruptedException e) {
                call.unknown();
                Thread.currentThread().interrupt();
                return;
            }
            int status = r.statusCode();
            if (op < 4) {
                switch (status) {
                    case 200 -> call.okRead(Json.MAPPER.readTree(r.body()).get(key).asText());
                    case 404 -> call.okRead(null);
                    case 503 -> call.fail();
                    default -> call.unknown();
                }
            } else if (op < 7) {
                switch (status) {
                    case 204 -> call.ok();
                    case 503 -> call.fail();
                    default -> call.unknown();
                }
            } else {
                switch (status) {
                    case 200 -> call.okCas(true);
                    case 409 -> call.okCas(false);
                    case 503 -> call.fail();
                    default -> call.unknown();
                }
            }
        }
    }
    private static URI uri(String endpoint, String pathAndQuery) {
        return URI.create("http://" + endpoint + pathAndQuery);
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
