package io.raftkv.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The harness's own view of the cluster over {@code GET /status} and {@code GET /digest}, with short timeouts:
 * a paused or partitioned node simply has no answer. Never recorded in the history.
 */
public final class ClusterProbe {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServerProcesses servers;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(500)).build();

    public ClusterProbe(ServerProcesses servers) {
        this.servers = servers;
    }

    /** {@code /status} of one node, or empty if it does not answer 200 within a second. */
    public Optional<JsonNode> status(String id) {
        return get(id, "/status", false);
    }

    /**
     * The {@code /status} body of one node also when it answers 503 (stopped after a fatal error, or stalled on
     * its disk, with {@code role} saying which); empty only if it does not answer within a second.
     */
    public Optional<JsonNode> statusBody(String id) {
        return get(id, "/status", true);
    }

    /** The node that says it leads with the highest term among those that answer (the others may not know yet). */
    public Optional<String> leader() {
        String leader = null;
        long term = -1;
        for (String id : servers.responsive()) {
            Optional<JsonNode> s = status(id);
            if (s.isPresent() && "leader".equals(s.get().path("role").asText()) && s.get().path("term").asLong() > term) {
                leader = id;
                term = s.get().path("term").asLong();
            }
        }
        return Optional.ofNullable(leader);
    }

    /**
     * The leader, if every running node answers and names it, and it says it leads: the state the harness
     * waits for after healing.
     */
    public Optional<String> agreedLeader() {
        String seen = null;
        for (String id : servers.ids()) {
            if (!servers.isRunning(id) || servers.isPaused(id)) {
                return Optional.empty();
            }
            Optional<JsonNode> s = status(id);
            if (s.isEmpty() || s.get().path("leader").isNull() || s.get().path("leader").isMissingNode()) {
                return Optional.empty();
            }
            String l = s.get().path("leader").asText();
            if (seen != null && !seen.equals(l)) {
                return Optional.empty();
            }
            seen = l;
        }
        if (seen == null || !servers.isRunning(seen)) {
            return Optional.empty();
        }
        String candidate = seen;
        return status(candidate).filter(s -> "leader".equals(s.path("role").asText())).map(s -> candidate);
    }

    /** Each running node's {@code digest@appliedIndex}; a node that does not answer maps to "no answer". */
    public Map<String, String> digests() {
        Map<String, String> d = new LinkedHashMap<>();
        for (String id : servers.ids()) {
            d.put(id, get(id, "/digest", false).map(j -> j.path("digest").asText() + "@" + j.path("appliedIndex").asLong())
                    .orElse("no answer"));
        }
        return d;
    }

    private Optional<JsonNode> get(String id, String path, boolean anyStatus) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + servers.node(id).http() + path))
                .timeout(Duration.ofSeconds(1)).GET().build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 || anyStatus ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
