package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.kv.client.KvClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * N {@link ServerNode}s in this JVM over the real Chronicle log and the real Netty transport on loopback, with a
 * client that knows every node. Close it to stop every node.
 */
final class TestCluster implements AutoCloseable {
    final Map<String, ServerConfig> configs = new LinkedHashMap<>();
    final Map<String, ServerNode> nodes = new LinkedHashMap<>();
    final KvClient client;

    TestCluster(Path dir, int n, Duration requestTimeout, int maxBodyBytes) throws IOException {
        this(dir, n, requestTimeout, maxBodyBytes, ServerConfig.DEFAULT_SNAPSHOT_THRESHOLD,
                ServerConfig.DEFAULT_SNAPSHOT_TRAILING);
    }

    TestCluster(Path dir, int n, Duration requestTimeout, int maxBodyBytes, long snapshotThreshold,
                long snapshotTrailing) throws IOException {
        this(dir, n, requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailing,
                ServerConfig.DEFAULT_STATE_MACHINE);
    }

    /** {@code n} servers running the state machine plugin named {@code stateMachine}. */
    TestCluster(Path dir, int n, String stateMachine) throws IOException {
        this(dir, n, ServerConfig.DEFAULT_REQUEST_TIMEOUT, ServerConfig.DEFAULT_MAX_BODY_BYTES,
                ServerConfig.DEFAULT_SNAPSHOT_THRESHOLD, ServerConfig.DEFAULT_SNAPSHOT_TRAILING, stateMachine);
    }

    TestCluster(Path dir, int n, Duration requestTimeout, int maxBodyBytes, long snapshotThreshold,
                long snapshotTrailing, String stateMachine) throws IOException {
        Map<String, String> peers = new LinkedHashMap<>();
        Map<String, String> https = new LinkedHashMap<>();
        for (int i = 1; i <= n; i++) {
            peers.put("n" + i, "127.0.0.1:" + Ports.free());
            https.put("n" + i, "127.0.0.1:" + Ports.free());
        }
        for (String id : peers.keySet()) {
            configs.put(id, new ServerConfig(id, "test", dir.resolve(id), peers.get(id), https.get(id), peers, https,
                    Duration.ofMillis(50), 10, requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailing)
                    .withStateMachine(stateMachine));
        }
        try {
            for (String id : peers.keySet()) {
                start(id);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        client = new KvClient(new ArrayList<>(https.values()), Duration.ofSeconds(10), 6 * n);
    }

    ServerNode start(String id) throws IOException {
        ServerNode node = ServerNode.start(configs.get(id));
        nodes.put(id, node);
        return node;
    }

    void stop(String id) {
        ServerNode node = nodes.remove(id);
        if (node != null) {
            node.close();
        }
    }

    String http(String id) {
        return configs.get(id).httpAddress();
    }

    /** Waits until some running node is leader and every running node agrees on it. */
    String awaitLeader(Duration timeout) {
        String[] leader = new String[1];
        await(timeout, "a leader all running nodes agree on", () -> {
            String seen = null;
            for (ServerNode node : nodes.values()) {
                String l = node.raft().status().leaderId();
                if (l == null || (seen != null && !seen.equals(l)) || !nodes.containsKey(l)) {
                    return false;
                }
                seen = l;
            }
            leader[0] = seen;
            return seen != null && nodes.get(seen).raft().status().isLeader();
        });
        return leader[0];
    }

    /** Waits until every running node reports the same digest at the same applied index. */
    JsonNode awaitConverged(Duration timeout) {
        JsonNode[] last = new JsonNode[1];
        await(timeout, "all nodes at the same digest and applied index", () -> {
            JsonNode first = null;
            for (String id : nodes.keySet()) {
                JsonNode d = client.digest(http(id));
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

    static void await(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
        for (String id : List.copyOf(nodes.keySet())) {
            try {
                stop(id);
            } catch (RuntimeException e) {
                throw new UncheckedIOException(new IOException("closing " + id, e));
            }
        }
    }
}
