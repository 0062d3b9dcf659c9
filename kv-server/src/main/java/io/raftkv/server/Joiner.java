package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.core.cluster.Member;
import io.raftkv.plugin.http.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Asks a running cluster to add this server ({@code serve --join URL}): POSTs {@code /join} to any member (it is
 * forwarded to the leader) and retries with exponential backoff while the answer is transient (no leader, another
 * change pending, connection refused, timeout). Joining is idempotent on the server side, so a retry after a lost
 * answer is safe.
 */
public final class Joiner {
    private static final Logger LOG = LoggerFactory.getLogger(Joiner.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    private Joiner() {
    }

    /** The configuration in the join answer (see {@code MembershipApi.join}). */
    static List<Member> members(String answer) throws IOException {
        List<Member> out = new ArrayList<>();
        JsonNode root = Json.MAPPER.readTree(answer);
        for (JsonNode m : root.path("members")) {
            String id = m.path("id").asText(null);
            String addr = m.path("addr").asText(null);
            if (id != null && addr != null) {
                out.add(m.path("voter").asBoolean() ? Member.voter(id, addr) : Member.learner(id, addr));
            }
        }
        return out;
    }

    /**
     * Joins or throws.
     *
     * @param memberUrl base URL of any member's HTTP API, e.g. {@code http://127.0.0.1:8001}
     * @param timeout   total time to keep trying
     * @throws IOException if the cluster refused the join (4xx) or did not accept it within {@code timeout}
     */
    public static List<Member> join(String memberUrl, ServerConfig self, Duration timeout)
            throws IOException, InterruptedException {
        URI uri = URI.create(memberUrl.endsWith("/") ? memberUrl + "join" : memberUrl + "/join");
        Map<String, String> body = new LinkedHashMap<>();
        body.put("id", self.id());
        body.put("addr", self.raftAddress());
        body.put("http", self.httpAddress());
        byte[] json = Json.MAPPER.writeValueAsBytes(body);
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration backoff = FIRST_BACKOFF;
        String last = "no attempt";
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        {
            while (true) {
                HttpRequest req = HttpRequest.newBuilder(uri).timeout(self.requestTimeout().plusSeconds(2))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
                HttpResponse<String> r = null;
                try {
                    r = client.send(req, HttpResponse.BodyHandlers.ofString());
                } catch (IOException e) {
                    last = e.toString(); // refused, reset, timed out: the member may be starting or restarting
                }
                if (r != null) {
                    if (r.statusCode() == 200) {
                        LOG.info("{}: joined via {}: {}", self.id(), uri, r.body());
                        return members(r.body());
                    }
                    last = r.statusCode() + " " + r.body();
                    if (r.statusCode() >= 400 && r.statusCode() < 500) {
                        throw new IOException("join refused by " + uri + ": " + last); // retrying cannot help
                    }
                }
                if (System.nanoTime() + backoff.toNanos() - deadline > 0) {
                    throw new IOException("could not join via " + uri + " within " + timeout.toMillis()
                            + " ms; last answer: " + last);
                }
                LOG.info("{}: join via {} not accepted yet ({}); retrying in {} ms", self.id(), uri, last,
                        backoff.toMillis());
                Thread.sleep(backoff.toMillis());
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }
}
