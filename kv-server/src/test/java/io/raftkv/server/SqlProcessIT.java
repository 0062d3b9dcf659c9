package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.plugin.http.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SQL plugin ({@code serve --state-machine sql}) on three real processes: rqlite's API on each, a bank ledger
 * moved about by concurrent transfers (each two UPDATEs in one {@code ?transaction}) while linearizable reads of the
 * total go to every node in turn, a follower killed (-9) during the transfers and brought back by InstallSnapshot
 * (the leader's log was compacted past it), then the leader killed (-9) and restarted. The total never changes in
 * any read (no torn transfer is ever visible), and at the end every server holds the same database: the SHA-256 of
 * its canonical dump ({@code GET /digest}) at the same applied index.
 */
class SqlProcessIT {
    private static final Duration START = Duration.ofSeconds(60); // three JVMs starting on a shared 2-core box
    private static final int ACCOUNTS = 20;
    private static final long OPENING_BALANCE = 1_000;
    private static final long TOTAL = ACCOUNTS * OPENING_BALANCE;
    private static final int WRITERS = 4;
    private static final long SEED = 20_260_712L;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    @Timeout(300)
    void transfersKeepTheTotal_throughAFollowerRebuiltBySnapshotAndALeaderKill_andEveryDatabaseIsTheSame()
            throws Exception {
        try (ProcessCluster c = new ProcessCluster(dir, 3)) {
            // Small log segments and frequent snapshots: the log is compacted within a few hundred transfers.
            c.respFrontDoor = false; // RESP speaks the KV store's commands only
            c.jvmOptions.add("-Draftkv.log.segmentBytes=" + (32 << 10));
            c.serveOptions.addAll(List.of("--state-machine", "sql", "--snapshot-threshold", "200",
                    "--snapshot-trailing", "10"));
            c.startAll();
            String leader = c.awaitLeader(START);

            JsonNode created = execute(c.http.get("n1"), true, "[\"CREATE TABLE accounts (id INTEGER PRIMARY KEY,"
                    + " balance INTEGER NOT NULL CHECK (balance >= 0))\"," + openingInserts() + "]");
            assertEquals(200, created.path("status").asInt(), created.toString());
            JsonNode opened = query(c.http.get("n3"), "SELECT COUNT(*), SUM(balance) FROM accounts", "strong");
            assertEquals("[[" + ACCOUNTS + "," + TOTAL + "]]", opened.path("results").get(0).path("values").toString(),
                    opened.toString());

            // A follower misses a stretch of transfers long enough for the leader to compact its log past it.
            String follower = c.http.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            long followerApplied = c.client.status(c.http.get(follower)).path("appliedIndex").asLong();
            c.kill(follower);
            Bank first = transfer(c, 600, new SplittableRandom(SEED));
            first.assertNoTornRead();
            c.start(follower);
            c.awaitConverged(START);
            JsonNode snap = c.client.status(c.http.get(follower)).path("snapshot");
            assertEquals("installed", snap.path("origin").asText(), follower + " caught up from a snapshot: " + snap);
            assertTrue(snap.path("index").asLong() > followerApplied, snap.toString());

            // The leader dies in the middle of the next transfers; the others elect and go on; it comes back.
            String oldLeader = c.awaitLeader(START);
            Bank second = new Bank(c, new SplittableRandom(SEED + 1));
            second.start(200);
            second.awaitTransfers(20);
            c.kill(oldLeader);
            second.finish();
            second.assertNoTornRead();
            c.start(oldLeader);
            c.awaitLeader(START);

            JsonNode converged = c.awaitConverged(START);
            for (String id : c.http.keySet()) {
                JsonNode total = query(c.http.get(id), "SELECT COUNT(*), SUM(balance) FROM accounts", "none");
                assertEquals("[[" + ACCOUNTS + "," + TOTAL + "]]", total.path("results").get(0).path("values")
                        .toString(), id + ": " + total);
            }
            assertTrue(first.succeeded.get() > 0 && second.succeeded.get() > 0, "transfers went through");
            System.out.printf("SqlProcessIT: %d + %d transfers succeeded (%d + %d refused for short funds), %d + %d"
                            + " linearizable totals read, databases identical at %s%n", first.succeeded.get(),
                    second.succeeded.get(), first.shortFunds.get(), second.shortFunds.get(), first.reads.get(),
                    second.reads.get(), converged);
        }
    }

    private static String openingInserts() {
        List<String> rows = new ArrayList<>();
        for (int i = 1; i <= ACCOUNTS; i++) {
            rows.add("[\"INSERT INTO accounts(id, balance) VALUES(?, ?)\"," + i + "," + OPENING_BALANCE + "]");
        }
        return String.join(",", rows);
    }

    private Bank transfer(ProcessCluster c, int transfers, SplittableRandom random) throws Exception {
        Bank bank = new Bank(c, random);
        bank.start(transfers);
        bank.finish();
        return bank;
    }

    /**
     * {@link #WRITERS} threads doing transfers through the running servers (any of them: followers hand writes to the
     * leader), and one thread reading the total at level {@code linearizable} from each running server in turn.
     */
    private final class Bank {
        private final List<String> nodes;
        private final SplittableRandom random;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger succeeded = new AtomicInteger();
        private final AtomicInteger shortFunds = new AtomicInteger();
        private final AtomicInteger reads = new AtomicInteger();
        private final AtomicBoolean writing = new AtomicBoolean(true);
        private final ConcurrentLinkedQueue<String> tornReads = new ConcurrentLinkedQueue<>();
        private final ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
        private final List<Future<?>> work = new ArrayList<>();

        Bank(ProcessCluster cluster, SplittableRandom random) {
            this.nodes = List.copyOf(cluster.http.values());
            this.random = random;
        }

        void start(int transfers) {
            for (int w = 0; w < WRITERS; w++) {
                SplittableRandom mine = random.split();
                work.add(pool.submit(() -> {
                    for (int t; (t = next.getAndIncrement()) < transfers; ) {
                        transferOnce(mine, t);
                    }
                    return null;
                }));
            }
            work.add(pool.submit(() -> {
                for (int turn = 0; writing.get(); turn++) {
                    readTotal(turn);
                }
                return null;
            }));
        }

        private void transferOnce(SplittableRandom r, int t) throws Exception {
            int from = 1 + r.nextInt(ACCOUNTS);
            int to = 1 + (from + r.nextInt(ACCOUNTS - 1)) % ACCOUNTS; // never the same account
            int amount = 1 + r.nextInt(300);
            String body = "[[\"UPDATE accounts SET balance = balance - ? WHERE id = ?\"," + amount + "," + from + "],"
                    + "[\"UPDATE accounts SET balance = balance + ? WHERE id = ?\"," + amount + "," + to + "]]";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
                List<String> up = running();
                String node = up.get((t + attempt) % up.size());
                JsonNode answer;
                try {
                    answer = execute(node, true, body);
                } catch (IOException e) {
                    continue; // the server went away before answering; the transaction is all or nothing either way
                }
                int status = answer.path("status").asInt();
                if (status == 200) {
                    String error = answer.path("results").findValuesAsText("error").stream().findFirst().orElse(null);
                    if (error != null) {
                        // The CHECK constraint refused the debit: the whole transaction rolled back, on every server.
                        assertTrue(answer.toString().contains("CHECK"), answer.toString());
                        shortFunds.incrementAndGet();
                    } else {
                        succeeded.incrementAndGet();
                    }
                    return;
                }
                // 503 (certainly not applied) or an unknown outcome: a transfer moves money, it never creates any,
                // so trying again keeps the invariant this test checks even if the first one did apply.
                Thread.sleep(Math.min(200, 10L << Math.min(attempt, 4)));
            }
            throw new AssertionError("transfer " + t + " found no server to take it within 60 s");
        }

        private void readTotal(int turn) throws InterruptedException {
            List<String> up = running();
            String node = up.get(turn % up.size());
            try {
                JsonNode r = query(node, "SELECT SUM(balance) FROM accounts", "linearizable");
                if (r.path("status").asInt() != 200) {
                    Thread.sleep(20); // no leader known there right now: nothing was read
                    return;
                }
                long total = r.path("results").get(0).path("values").get(0).get(0).asLong();
                reads.incrementAndGet();
                if (total != TOTAL) {
                    tornReads.add(node + " read a total of " + total);
                }
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }

        /** Every server, killed ones too: a refused connection just moves the request on to the next one. */
        private List<String> running() {
            return nodes;
        }

        void awaitTransfers(int n) {
            TestCluster.await(START, n + " transfers", () -> succeeded.get() + shortFunds.get() >= n);
        }

        void finish() throws Exception {
            try {
                for (int i = 0; i < WRITERS; i++) {
                    work.get(i).get(180, TimeUnit.SECONDS);
                }
                writing.set(false);
                work.get(WRITERS).get(30, TimeUnit.SECONDS);
            } finally {
                writing.set(false);
                pool.shutdownNow();
            }
        }

        void assertNoTornRead() {
            assertTrue(tornReads.isEmpty(), "reads saw a transfer half done: " + tornReads);
            assertTrue(reads.get() > 0, "linearizable reads were served during the transfers");
        }
    }

    /** POST /db/execute; the answer's JSON with the HTTP status added as {@code status}. */
    private JsonNode execute(String node, boolean transaction, String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + node + "/db/execute"
                        + (transaction ? "?transaction" : ""))).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return withStatus(http.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    /** GET /db/query?q=…&level=…; the answer's JSON with the HTTP status added as {@code status}. */
    private JsonNode query(String node, String sql, String level) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + node + "/db/query?q="
                        + URLEncoder.encode(sql, StandardCharsets.UTF_8) + "&level=" + level))
                .timeout(Duration.ofSeconds(15)).GET().build();
        return withStatus(http.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    private static JsonNode withStatus(HttpResponse<String> r) throws IOException {
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(r.body());
        } catch (IOException notJson) {
            body = Json.MAPPER.createObjectNode().put("body", r.body());
        }
        com.fasterxml.jackson.databind.node.ObjectNode out = body.isObject()
                ? (com.fasterxml.jackson.databind.node.ObjectNode) body
                : Json.MAPPER.createObjectNode().set("body", body);
        return out.put("status", r.statusCode());
    }
}
