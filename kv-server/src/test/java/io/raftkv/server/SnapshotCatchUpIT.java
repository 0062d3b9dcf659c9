package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.kv.client.KvClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The end-to-end snapshot test, on three {@code serve} processes (real Chronicle log, FileSnapshotStore,
 * Netty transport): a follower is stopped (kill -9) while 200,000 keys are written and the leader snapshots and
 * compacts its log; restarted, the follower cannot catch up from the leader's log (the entries it needs are gone)
 * and must take InstallSnapshot; then every server reports the same digest at the same applied index.
 *
 * <p>Proof that InstallSnapshot, not log replay, brought it back: its {@code /status} names a snapshot with
 * {@code origin = installed} past everything it had applied before, and its {@code /metrics} counts the bytes
 * received. Snapshots are triggered by bytes here (every 4 MiB of applied commands), the count trigger is set out
 * of reach, and a {@code POST /snapshot} on the leader covers the last writes.
 */
class SnapshotCatchUpIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final int KEYS = 200_000;
    private static final int BATCH = 100;
    private static final int CLIENTS = 8;
    private static final String VALUE_PAD = "x".repeat(90);

    @TempDir
    Path dir;

    private static String value(int i) {
        return String.format("%010d", i) + VALUE_PAD; // 100 bytes, unique per key
    }

    @Test
    @Timeout(180)
    void aFollowerStoppedDuring200kWrites_catchesUpThroughInstallSnapshot_andServesIdenticalData() throws Exception {
        try (ProcessCluster c = new ProcessCluster(dir, 3)) {
            // Compaction drops whole log segments: 4 MiB ones, so that the ~22 MB written leave several behind.
            c.jvmOptions.add("-Draftkv.log.segmentBytes=" + (4 << 20));
            c.serveOptions.addAll(List.of("--snapshot-threshold", "1000000", "--snapshot-bytes", "4194304",
                    "--snapshot-trailing", "100"));
            long t0 = System.nanoTime();
            c.startAll();
            String leader = c.awaitLeader(START);
            String follower = c.http.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            c.client.put("before", "stop");
            TestCluster.await(START, follower + " applied the first write", () ->
                    c.client.status(c.http.get(follower)).path("appliedIndex").asLong()
                            >= c.client.status(c.http.get(leader)).path("commitIndex").asLong());
            long followerApplied = c.client.status(c.http.get(follower)).path("appliedIndex").asLong();
            c.kill(follower);

            long w0 = System.nanoTime();
            writeConcurrently(c, leader);
            long writeMs = (System.nanoTime() - w0) / 1_000_000;

            // A snapshot right at the end, on demand: the leader's log then starts far past the follower's.
            JsonNode taken = postSnapshot(c.client, c.http.get(leader));
            JsonNode leaderStatus = c.client.status(c.http.get(leader));
            long compactedTo = leaderStatus.path("snapshot").path("lastIncludedIndex").asLong();
            assertTrue(compactedTo - 100 > followerApplied + 1, "the leader's log no longer holds what " + follower
                    + " needs: compacted to " + compactedTo + ", follower at " + followerApplied + "; " + leaderStatus);
            assertTrue(metric(c.http.get(leader), "raft_snapshot_size_bytes_count") >= 2,
                    "the byte trigger took snapshots during the writes");

            long r0 = System.nanoTime();
            c.start(follower);
            JsonNode converged = c.awaitConverged(START);
            long catchUpMs = (System.nanoTime() - r0) / 1_000_000;
            assertEquals(KEYS + 1, converged.path("keys").asInt(), converged.toString());

            JsonNode snap = c.client.status(c.http.get(follower)).path("snapshot");
            String snapshotLines = linesAbout(c.dir.resolve(follower + ".log"), "snapshot");
            assertEquals("installed", snap.path("origin").asText(), "status of " + follower + ": " + snap
                    + "\n" + snapshotLines);
            assertTrue(snap.path("index").asLong() > followerApplied, snap.toString());
            double received = metric(c.http.get(follower),
                    "raft_install_snapshot_bytes_total\\{[^}]*direction=\"received\"[^}]*\\}");
            assertTrue(received >= snap.path("bytes").asLong() && received > KEYS * 100L,
                    "InstallSnapshot bytes received " + received + " vs snapshot " + snap);
            assertTrue(snapshotLines.contains("received snapshot at index " + snap.path("index").asLong()),
                    snapshotLines);
            try (KvClient one = KvClient.of(c.http.get(follower))) {
                for (int i : new int[]{0, 1, KEYS / 2, KEYS - 1}) {
                    assertEquals(Optional.of(value(i)), one.get(key(i), "stale"), key(i));
                }
                assertEquals(Optional.of("stop"), one.get("before", "stale"));
            }
            System.out.printf("SnapshotCatchUpIT: %d keys written in %d ms; on-demand snapshot %s; follower caught up"
                            + " through InstallSnapshot (%s) in %d ms; total %d ms%n", KEYS, writeMs, taken, snap,
                    catchUpMs, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    private static String linesAbout(Path log, String word) throws java.io.IOException {
        StringBuilder out = new StringBuilder();
        for (String line : java.nio.file.Files.readAllLines(log)) {
            if (line.toLowerCase(java.util.Locale.ROOT).contains(word)) {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    private static String key(int i) {
        return String.format("k%07d", i);
    }

    private static void writeConcurrently(ProcessCluster c, String leader) throws Exception {
        AtomicInteger nextBatch = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < CLIENTS; t++) {
                done.add(pool.submit(() -> {
                    try (KvClient kv = new KvClient(List.of(c.http.get(leader)), Duration.ofSeconds(10), 20)) {
                        for (int b; (b = nextBatch.getAndIncrement()) < KEYS / BATCH; ) {
                            Map<String, String> batch = new LinkedHashMap<>();
                            for (int i = b * BATCH; i < (b + 1) * BATCH; i++) {
                                batch.put(key(i), value(i));
                            }
                            kv.batch(batch);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * POST /snapshot, retrying while one is being written (409 "being written"). If the byte trigger's last snapshot
     * already covers everything applied (409 "nothing applied since", a race with the end of the writes that load
     * makes likely), that snapshot is the one at the end: its entry in /status is returned.
     */
    private static JsonNode postSnapshot(KvClient kv, String http) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        for (int attempt = 0; attempt < 100; attempt++) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://" + http + "/snapshot"))
                    .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                return io.raftkv.plugin.http.Json.MAPPER.readTree(r.body());
            }
            if (r.statusCode() == 409 && r.body().contains("nothing applied since")) {
                return kv.status(http).path("snapshot");
            }
            assertTrue(r.statusCode() == 409 && r.body().contains("being written"), r.statusCode() + " " + r.body());
            Thread.sleep(100);
        }
        throw new AssertionError("POST /snapshot kept answering 'in progress'");
    }

    /** Sum of the Prometheus samples whose name and labels match {@code series} (a regex). */
    private static double metric(String http, String series) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        String text = client.send(HttpRequest.newBuilder(URI.create("http://" + http + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^" + series + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(text);
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
            found = true;
        }
        assertTrue(found, "no " + series + " in /metrics of " + http);
        return sum;
    }
}
