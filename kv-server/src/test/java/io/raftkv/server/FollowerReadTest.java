package io.raftkv.server;

import io.raftkv.server.client.KvClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Linearizable reads are served by the follower that receives them (ReadIndex from the leader over the Raft
 * transport, thesis §6.4), not forwarded over HTTP; lease reads still go to the leader.
 */
class FollowerReadTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    @Timeout(90)
    void linearizableReadsAtAFollowerSeeEveryAcknowledgedWriteWithoutForwarding() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            String leader = c.awaitLeader(WAIT);
            String follower = c.configs.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            try (KvClient atLeader = KvClient.of(c.http(leader)); KvClient atFollower = KvClient.of(c.http(follower))) {
                atFollower.get("warm-up", "linearizable"); // the follower knows the leader and its first ReadIndex is done
                double before = forwarded(c.http(follower));
                for (int i = 0; i < 20; i++) {
                    // Acknowledged by the leader: the follower may not have applied it yet, but a linearizable read
                    // there must wait until it has (its read index is the leader's commit index, at least this write).
                    atLeader.put("k" + i, "v" + i);
                    assertEquals(Optional.of("v" + i), atFollower.get("k" + i, "linearizable"), "read " + i);
                }
                assertEquals(before, forwarded(c.http(follower)), "no linearizable read was forwarded over HTTP");
                assertEquals(Optional.of("v3"), atFollower.get("k3", "lease"));
                assertEquals(before + 1, forwarded(c.http(follower)), "a lease read is the leader's: forwarded");
            }
        }
    }

    /** kv.http.forwarded, all results, as the follower's /metrics reports it. */
    private static double forwarded(String http) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://" + http + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return r.body().lines().filter(l -> l.startsWith("kv_http_forwarded_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
