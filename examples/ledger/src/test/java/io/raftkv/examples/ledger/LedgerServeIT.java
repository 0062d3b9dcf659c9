package io.raftkv.examples.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.embedded.TestPorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The ledger served by the server's own jar with this example's jar on the class path
 * ({@code java -cp raftkv.jar:example-ledger.jar io.raftkv.server.Main serve --state-machine ledger}), three
 * processes: commands through the generic API on any server, a transfer resent in a client session applied once,
 * the leader killed (-9) and the ledger going on, and the same {@code /digest} on every server at the end.
 */
class LedgerServeIT {
    private static final Duration WAIT = Duration.ofSeconds(60); // three JVMs starting on a shared 2-core box
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, String> raft = new LinkedHashMap<>();
    private final Map<String, String> web = new LinkedHashMap<>();
    private final Map<String, Process> processes = new LinkedHashMap<>();

    @Test
    @Timeout(240)
    void theLedgerPluginServesAThreeProcessCluster() throws Exception {
        for (int i = 1; i <= 3; i++) {
            raft.put("n" + i, "127.0.0.1:" + TestPorts.free());
            web.put("n" + i, "127.0.0.1:" + TestPorts.free());
        }
        try {
            for (String id : raft.keySet()) {
                start(id);
            }
            String leader = awaitLeader();
            assertEquals("ok", command("n1", "open alice", Map.of()));
            assertEquals("ok", command("n2", "open bob", Map.of()));
            assertEquals("ok 100", command("n3", "deposit alice 100", Map.of()));

            // A transfer in a client session, sent twice with the same number (as after a lost answer): once.
            String session = JSON.readTree(send("n1", "POST", "/session", "").body()).get("session").asText();
            Map<String, String> first = Map.of("Raftkv-Session", session, "Raftkv-Seq", "1");
            assertEquals("ok", command("n1", "transfer alice bob 30", first));
            assertEquals("ok", command("n2", "transfer alice bob 30", first));
            assertEquals("70", query("n3", "balance alice"));

            kill(leader);
            awaitLeader();
            String alive = raft.keySet().stream().filter(processes::containsKey).findFirst().orElseThrow();
            assertEquals("error: short funds", command(alive, "transfer alice bob 71", Map.of()));
            assertEquals("ok", command(alive, "transfer bob alice 5", Map.of()));
            start(leader);
            awaitConverged();
            for (String id : raft.keySet()) {
                assertEquals("75", query(id, "balance alice"), id);
            }
        } finally {
            processes.values().forEach(Process::destroyForcibly);
            for (Process p : processes.values()) {
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private void start(String id) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.stream(System.getProperty("chronicle.jvm.flags", "").trim().split("\\s+"))
                .filter(s -> !s.isEmpty()).toList());
        String classPath = jar("raftkv.jar") + java.io.File.pathSeparator + jar("ledger.jar");
        cmd.addAll(List.of("-Xmx192m", "-XX:+UseSerialGC", "-cp", classPath, "io.raftkv.server.Main", "serve",
                "--state-machine", "ledger", "--id", id, "--data", dir.resolve(id).toString(),
                "--raft", raft.get(id), "--http", web.get(id), "--cluster-id", "ledger-it",
                "--peers", String.join(",", raft.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()),
                "--http-peers", String.join(",", web.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()),
                "--parent-pid", Long.toString(ProcessHandle.current().pid())));
        processes.put(id, new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(id + ".log").toFile())).start());
    }

    private static String jar(String property) {
        String jar = System.getProperty(property);
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("system property " + property + " must name a built jar (run via mvn verify), got " + jar);
        }
        return jar;
    }

    private void kill(String id) throws InterruptedException {
        Process p = processes.remove(id);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** POST /command: the ledger's result; retried while no leader can take it (503), which applied nothing. */
    private String command(String id, String command, Map<String, String> headers) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + web.get(id) + "/command"))
                    .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.ofString(command));
            headers.forEach(b::header);
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                return r.body();
            }
            assertEquals(503, r.statusCode(), command + " on " + id + ": " + r.body());
            assertTrue(System.nanoTime() < deadline, command + " on " + id + " kept getting 503: " + r.body());
            Thread.sleep(100);
        }
    }

    private String query(String id, String query) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + web.get(id)
                        + "/query?level=linearizable")).timeout(Duration.ofSeconds(15))
                .POST(HttpRequest.BodyPublishers.ofString(query)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), query + " on " + id + ": " + r.body());
        return r.body();
    }

    private HttpResponse<String> send(String id, String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + web.get(id) + path)).timeout(Duration.ofSeconds(15))
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode getJson(String id, String path) {
        try {
            HttpResponse<String> r = send(id, "GET", path, "");
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (Exception e) {
            return null; // not up yet
        }
    }

    /** Every running server serves HTTP and names the same running leader. */
    private String awaitLeader() throws InterruptedException {
        String[] leader = new String[1];
        await("a leader all running servers agree on", () -> {
            String seen = null;
            for (String id : processes.keySet()) {
                assertTrue(processes.get(id).isAlive(), id + " died; see " + dir.resolve(id + ".log"));
                JsonNode s = getJson(id, "/status");
                String l = s == null ? null : s.path("leader").asText(null);
                if (l == null || !processes.containsKey(l) || (seen != null && !seen.equals(l))) {
                    return false;
                }
                seen = l;
            }
            leader[0] = seen;
            return true;
        });
        return leader[0];
    }

    private void awaitConverged() throws InterruptedException {
        await("the same digest at the same index everywhere", () -> {
            JsonNode first = null;
            for (String id : processes.keySet()) {
                JsonNode d = getJson(id, "/digest");
                if (d == null || (first != null && !(first.get("digest").equals(d.get("digest"))
                        && first.get("appliedIndex").equals(d.get("appliedIndex"))))) {
                    return false;
                }
                first = first == null ? d : first;
            }
            return true;
        });
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
