package io.raftkv.bench.failover;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Failover as a client sees it: a 3-node cluster of {@code bin/raftkv serve} processes; in each trial the leader is
 * killed with {@code kill -9} (SIGKILL) and a client at once writes through a surviving follower, repeating on any
 * error, until the write is acknowledged. Prints the time from the kill to that acknowledgement per trial and the
 * median; then restarts the killed node and waits for the cluster to settle before the next trial.
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar io.raftkv.bench.failover.FailoverBench [trials=10] [dataDir] [basePort=17400]
 * </pre>
 * Run it from the repository root (it starts {@code bin/raftkv}; {@code RAFTKV_JAR} picks another jar).
 */
public final class FailoverBench {
    private static final Pattern LEADER = Pattern.compile("\"leader\":\"([^\"]+)\"");
    private static final Pattern COMMIT = Pattern.compile("\"commitIndex\":(\\d+)");

    private final Path dir;
    private final int base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(500)).build();
    private final Map<Integer, Process> nodes = new HashMap<>();

    private FailoverBench(Path dir, int base) {
        this.dir = dir;
        this.base = base;
    }

    public static void main(String[] args) throws Exception {
        int trials = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("failover");
        int base = args.length > 2 ? Integer.parseInt(args[2]) : 17400;
        FailoverBench bench = new FailoverBench(dir, base);
        try {
            bench.run(trials);
        } finally {
            bench.nodes.values().forEach(Process::destroyForcibly);
        }
    }

    private void run(int trials) throws Exception {
        for (int i = 1; i <= 3; i++) {
            start(i);
        }
        settle();
        for (int w = 0; w < 200; w++) {
            put(1 + w % 3, "warm" + w, Duration.ofSeconds(5));
        }
        List<Long> millis = new ArrayList<>();
        for (int t = 0; t < trials; t++) {
            int leader = settle();
            int follower = 1 + leader % 3;
            Thread.sleep(1000); // heartbeats, leases and connections in their steady state
            Process victim = nodes.get(leader);
            long t0 = System.nanoTime();
            victim.destroyForcibly(); // SIGKILL on Linux
            victim.waitFor();
            int attempts = 0;
            List<Integer> codes = new ArrayList<>();
            while (true) {
                attempts++;
                int code = put(follower, "failover" + t, Duration.ofSeconds(5));
                codes.add(code);
                if (code == 204 || System.nanoTime() - t0 > 30_000_000_000L) {
                    break;
                }
                Thread.sleep(20); // a quick refusal (connection refused, 503): a real client backs off a little
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            millis.add(ms);
            System.out.printf(Locale.ROOT, "trial %d: killed n%d, wrote through n%d: %d ms (%d attempt%s, answers %s)%n",
                    t, leader, follower, ms, attempts, attempts == 1 ? "" : "s", codes);
            start(leader);
        }
        Collections.sort(millis);
        System.out.printf(Locale.ROOT, "kill -9 of the leader -> first acknowledged write through a follower: p50 %d ms,"
                        + " p90 %d ms, max %d ms over %d trials%n", millis.get(millis.size() / 2),
                millis.get((int) Math.ceil(0.9 * millis.size()) - 1), millis.get(millis.size() - 1), millis.size());
    }

    private void start(int i) throws IOException {
        String peers = "n1=127.0.0.1:" + raft(1) + ",n2=127.0.0.1:" + raft(2) + ",n3=127.0.0.1:" + raft(3);
        ProcessBuilder pb = new ProcessBuilder("bin/raftkv", "serve", "--id", "n" + i, "--data",
                dir.resolve("n" + i).toString(), "--raft", "127.0.0.1:" + raft(i), "--http", "127.0.0.1:" + http(i),
                "--peers", peers);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("n" + i + ".log").toFile()));
        nodes.put(i, pb.start());
    }

    private int raft(int i) {
        return base + i;
    }

    private int http(int i) {
        return base + 10 + i;
    }

    /** Waits until all three nodes name one leader at one commit index; returns the leader's number. */
    private int settle() throws InterruptedException {
        long until = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < until) {
            String leader = null;
            String commit = null;
            boolean agreed = true;
            for (int i = 1; i <= 3 && agreed; i++) {
                String s = status(i);
                Matcher l = s == null ? null : LEADER.matcher(s);
                Matcher c = s == null ? null : COMMIT.matcher(s);
                if (l == null || !l.find() || !c.find()) {
                    agreed = false;
                } else if (leader == null) {
                    leader = l.group(1);
                    commit = c.group(1);
                } else {
                    agreed = leader.equals(l.group(1)) && commit.equals(c.group(1));
                }
            }
            if (agreed && leader != null) {
                return Integer.parseInt(leader.substring(1));
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the cluster did not settle within 60 s; see " + dir);
    }

    private String status(int i) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http(i) + "/status"))
                    .timeout(Duration.ofMillis(500)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** PUT through node {@code i}: the status code, or 0 if the connection failed. */
    private int put(int i, String key, Duration timeout) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http(i) + "/key/" + key))
                    .timeout(timeout).PUT(HttpRequest.BodyPublishers.ofString("v")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
