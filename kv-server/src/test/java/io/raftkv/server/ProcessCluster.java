package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.KvClientException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Three {@code raftkv serve} processes started from the shaded jar (system property {@code raftkv.jar}) with the
 * Chronicle JVM flags (system property {@code chronicle.jvm.flags}). Output goes to {@code DIR/nX.log}. Close it to
 * kill every process it started.
 */
final class ProcessCluster implements AutoCloseable {
    final Path dir;
    final Map<String, String> raft = new LinkedHashMap<>();
    final Map<String, String> http = new LinkedHashMap<>();
    /** Each server's RESP (Redis protocol) address: every server started here speaks it. */
    final Map<String, String> resp = new LinkedHashMap<>();
    /** Whether processes started from now on serve RESP too (only the kv plugin does: off for another one). */
    boolean respFrontDoor = true;
    final Map<String, Process> processes = new LinkedHashMap<>();
    /** Extra JVM options every process started from now on gets (e.g. {@code -Draftkv.log.segmentBytes}). */
    final List<String> jvmOptions = new ArrayList<>();
    /** Extra {@code serve} options every process started from now on gets (e.g. snapshot thresholds). */
    final List<String> serveOptions = new ArrayList<>();
    final KvClient client;

    ProcessCluster(Path dir, int n) {
        this.dir = dir;
        for (int i = 1; i <= n; i++) {
            raft.put("n" + i, "127.0.0.1:" + Ports.free());
            http.put("n" + i, "127.0.0.1:" + Ports.free());
            resp.put("n" + i, "127.0.0.1:" + Ports.free());
        }
        client = new KvClient(new ArrayList<>(http.values()), Duration.ofSeconds(10), 8 * n);
    }

    static Path jar() {
        String jar = System.getProperty("raftkv.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("system property raftkv.jar must name the shaded jar (run via mvn verify), got " + jar);
        }
        return Path.of(jar);
    }

    void start(String id) throws IOException {
        startWithPeers(id, raft.keySet());
    }

    /** Starts {@code id} with {@code --peers} naming only {@code peerIds} (the initial voters). */
    void startWithPeers(String id, java.util.Collection<String> peerIds) throws IOException {
        start(id, List.of("--peers", String.join(",", peerIds.stream().map(p -> p + "=" + raft.get(p)).toList())));
    }

    /** Starts a one-server cluster of {@code id} alone. */
    void startAlone(String id) throws IOException {
        start(id, List.of("--peers", id + "=" + raft.get(id)));
    }

    /** Starts {@code id} with {@code --join http://<via's HTTP>}. */
    void startJoining(String id, String via) throws IOException {
        start(id, List.of("--join", "http://" + http.get(via)));
    }

    /** SIGTERM: the graceful shutdown path (a leader hands leadership over first). */
    void terminate(String id) throws InterruptedException {
        Process p = processes.remove(id);
        if (p != null) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(id + " did not stop within 30 s of SIGTERM");
            }
        }
    }

    private void start(String id, List<String> membership) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String flags = System.getProperty("chronicle.jvm.flags", "");
        cmd.addAll(Arrays.stream(flags.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-Draftkv.node=" + id, "-jar", jar().toString(), "serve",
                "--id", id, "--data", dir.resolve(id).toString(), "--raft", raft.get(id), "--http", http.get(id),
                "--cluster-id", "it"));
        if (respFrontDoor) {
            cmd.addAll(List.of("--resp", resp.get(id)));
        }
        cmd.addAll(membership);
        cmd.addAll(serveOptions);
        cmd.addAll(List.of("--http-peers", String.join(",", http.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue()).toList()),
                // If this test JVM dies, the servers follow it.
                "--parent-pid", Long.toString(ProcessHandle.current().pid())));
        Path log = dir.resolve(id + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        processes.put(id, p);
    }

    void startAll() throws IOException {
        for (String id : raft.keySet()) {
            start(id);
        }
    }

    /** kill -9. */
    void kill(String id) throws InterruptedException {
        Process p = processes.remove(id);
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Waits for every running process to serve HTTP and agree on a leader; returns the leader's id. */
    String awaitLeader(Duration timeout) {
        String[] leader = new String[1];
        TestCluster.await(timeout, "a leader all running servers agree on", () -> {
            String seen = null;
            for (String id : processes.keySet()) {
                if (!processes.get(id).isAlive()) {
                    throw new AssertionError(id + " died; see " + dir.resolve(id + ".log"));
                }
                JsonNode s;
                try {
                    s = client.status(http.get(id));
                } catch (KvClientException e) {
                    return false;
                }
                String l = s.path("leader").asText(null);
                if (l == null || !processes.containsKey(l) || (seen != null && !seen.equals(l))) {
                    return false;
                }
                seen = l;
            }
            leader[0] = seen;
            return seen != null;
        });
        return leader[0];
    }

    JsonNode awaitConverged(Duration timeout) {
        JsonNode[] last = new JsonNode[1];
        TestCluster.await(timeout, "all servers at the same digest and applied index", () -> {
            JsonNode first = null;
            for (String id : processes.keySet()) {
                JsonNode d;
                try {
                    d = client.digest(http.get(id));
                } catch (KvClientException e) {
                    return false;
                }
                if (first == null) {
                    first = d;
                } else if (!first.get("digest").equals(d.get("digest"))
                        || !first.get("appliedIndex").equals(d.get("appliedIndex"))) {
                    return false;
                }
            }
            last[0] = first;
            return true;
        });
        return last[0];
    }

    @Override
    public void close() {
        client.close();
        for (Process p : processes.values()) {
            p.destroyForcibly();
        }
        for (Process p : processes.values()) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }
}
