package io.raftkv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.server.DiskOptions;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftServerOptions;
import io.raftkv.core.storage.ForwardingLogStore;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemorySnapshotStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.core.transport.LocalNetwork;
import io.raftkv.core.session.SessionOptions;
import io.raftkv.core.session.SessionStateMachine;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.plugin.KvRoutes;
import io.raftkv.plugin.http.Json;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What HTTP clients and monitors see of disk trouble, on one real {@link RaftServer} (in-memory stores under a
 * log that can fail or hang, free space from a probe the test sets) behind the real {@link NodeApi} and the KV plugin's routes: 507 with the
 * directory and free space below the reserve, 503 naming the error once the server stopped, 503 and
 * {@code role: stalled} while a sync hangs, and the alarms in {@code /status} and {@code /metrics}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiskTroubleHttpTest {
    private static final long RESERVE = 64L << 20;
    private static final Path LOG_DIR = Path.of("/data", "n1", "log");

    private final AtomicLong free = new AtomicLong(1L << 40);
    private final TroubledLog log = new TroubledLog();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final KvStateMachine sm = new KvStateMachine();
    private final SessionStateMachine sessions = new SessionStateMachine(sm, SessionOptions.defaults());
    private RaftServer raft;
    private KvHttpServer http;
    private LeaderForwarder forwarder;
    private NodeApi api;
    private KvRoutes kv;

    @BeforeEach
    void start() throws Exception {
        raft = RaftServer.builder("n1")
                .serverOptions(RaftServerOptions.defaults().withTickInterval(Duration.ofMillis(10)))
                .logStore(log).stableStore(new InMemoryStableStore()).snapshotStore(new InMemorySnapshotStore())
                .stateMachine(sessions).transport(new LocalNetwork().transport("n1"))
                .bootstrap(Configuration.ofVoterIds("n1")).meterRegistry(registry)
                .disk(DiskOptions.watching(Map.of(DiskOptions.LOG, LOG_DIR)).withReserveBytes(RESERVE)
                        .withPollInterval(Duration.ofMillis(10)).withStallTimeout(Duration.ofMillis(300))
                        .withProbe(dir -> free.get()))
                .build();
        raft.start();
        http = KvHttpServer.create("n1", 1);
        forwarder = new LeaderForwarder("n1", Duration.ofSeconds(5), registry, http.eventLoops());
        api = new NodeApi(raft, "kv", () -> sessions, forwarder, id -> Optional.empty(), Duration.ofSeconds(3),
                registry::scrape, http.executor(), (id, addr) -> { }, Duration.ofSeconds(1), 100, sessions);
        kv = new KvRoutes(api.host(), sm);
        await(() -> raft.status().isLeader(), "n1 leads");
    }

    @AfterEach
    void stop() {
        log.release();
        forwarder.close();
        http.close();
        raft.close();
        registry.close();
    }

    private Reply put(String key, String value) throws Exception {
        return kv.route(new Request("PUT", "/key/" + key, "/key/" + key, Map.of(),
                value.getBytes(StandardCharsets.UTF_8), null)).reply().get(10, TimeUnit.SECONDS);
    }

    private Reply get(String key, String level) throws Exception {
        return kv.route(new Request("GET", "/key/" + key, "/key/" + key, Map.of("level", List.of(level)),
                new byte[0], null)).reply().get(10, TimeUnit.SECONDS);
    }

    private static JsonNode json(Reply r) throws IOException {
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    void belowTheReserve_writesGet507NamingTheDirectoryAndFreeSpace_readsGoOn_statusAndMetricsRaiseTheAlarm()
            throws Exception {
        assertEquals(204, put("k", "v1").status());
        free.set(10L << 20);
        await(() -> !raft.diskAlarms().isEmpty(), "alarm");

        Reply refused = put("k", "v2");
        assertEquals(507, refused.status());
        JsonNode body = json(refused);
        assertTrue(body.get("error").asText().contains("n1 refuses writes") && body.get("error").asText()
                .contains(LOG_DIR.toString()) && body.get("error").asText().contains("10.0 MiB"), body.toString());
        assertEquals("nospace", body.get("alarm").get("alarm").asText());
        assertEquals(LOG_DIR.toString(), body.get("alarm").get("directory").asText());
        assertEquals(10L << 20, body.get("alarm").get("freeBytes").asLong());
        assertEquals(RESERVE, body.get("alarm").get("reserveBytes").asLong());

        assertEquals(200, get("k", "linearizable").status(), "reads go on");
        Reply status = api.status();
        assertEquals(200, status.status());
        JsonNode s = json(status);
        assertEquals("leader", s.get("role").asText(), "a sole voter has nobody to hand leadership to");
        assertEquals("nospace", s.get("alarms").get(0).get("alarm").asText());
        String metrics = registry.scrape();
        assertTrue(metrics.contains("raft_disk_alarm{alarm=\"nospace\",node=\"n1\"} 1.0"), metrics);
        assertTrue(metrics.contains("raft_disk_free_bytes{node=\"n1\",store=\"log\"} 1.048576E7"), metrics);

        free.set(1L << 40);
        await(() -> raft.diskAlarms().isEmpty(), "alarm cleared");
        assertEquals(204, put("k", "v3").status());
        assertEquals(0, json(api.status()).get("alarms").size());
    }

    @Test
    void afterAFailedFsync_theServerSaysStoppedAndWhy_everyRequestGets503WithTheReason_andMetricsKeepIt()
            throws Exception {
        assertEquals(204, put("k", "v1").status());
        log.failSyncsWith(new IOException("fdatasync of /data/n1/log/19700102F.cq4 failed: Input/output error"));
        Reply lost = put("k", "v2");
        assertEquals(504, lost.status(), "proposed, then the server stopped: outcome unknown");
        await(() -> !raft.isRunning() && !raft.status().running(), "stopped");

        Reply status = api.status();
        assertEquals(503, status.status());
        JsonNode s = json(status);
        assertEquals("stopped", s.get("role").asText(), s.toString());
        assertTrue(s.get("error").asText().contains("Input/output error"), s.toString());
        assertEquals(false, s.get("running").asBoolean());

        for (Reply r : List.of(put("k", "v3"), get("k", "stale"), get("k", "linearizable"))) {
            assertEquals(503, r.status());
            assertTrue(json(r).get("error").asText().contains("stopped after a fatal error")
                    && json(r).get("error").asText().contains("Input/output error"), json(r).toString());
        }
        String metrics = registry.scrape();
        assertTrue(metrics.contains("raft_server_stopped{node=\"n1\",reason=\"fdatasync of /data/n1/log/19700102F.cq4"
                + " failed: Input/output error\"} 1.0"), metrics);
    }

    @Test
    void whileTheLogSyncHangs_statusSaysStalledWith503_andRequestsGet503_untilItReturns() throws Exception {
        assertEquals(204, put("k", "v1").status());
        log.stallSyncs();
        var inFlight = kv.route(new Request("PUT", "/key/k", "/key/k", Map.of(),
                "v2".getBytes(StandardCharsets.UTF_8), null)).reply();
        await(() -> raft.diskAlarms().stream().anyMatch(a -> a.kind().equals("stalled")), "stall alarm");

        Reply status = api.status();
        assertEquals(503, status.status());
        JsonNode s = json(status);
        assertEquals("stalled", s.get("role").asText(), s.toString());
        assertEquals("leader", s.get("lastRole").asText());
        assertEquals("stalled", s.get("alarms").get(0).get("alarm").asText());
        assertTrue(s.get("alarms").get(0).get("stalledMillis").asLong() >= 300, s.toString());
        assertTrue(s.get("error").asText().contains("log append and sync in " + LOG_DIR), s.toString());

        Reply refused = put("k", "v3");
        assertEquals(503, refused.status());
        assertEquals("stalled", json(refused).get("alarm").get("alarm").asText());
        assertTrue(registry.scrape().contains("raft_disk_alarm{alarm=\"stalled\",node=\"n1\"} 1.0"));

        log.release();
        assertEquals(204, inFlight.get(10, TimeUnit.SECONDS).status());
        await(() -> raft.diskAlarms().isEmpty(), "stall over");
        assertEquals(200, api.status().status());
        assertEquals(204, put("k", "v4").status());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    /** An in-memory log whose syncs can fail (EIO) or hang until released. */
    private static final class TroubledLog extends ForwardingLogStore {
        private volatile IOException syncFailure;
        private volatile CountDownLatch stall;

        TroubledLog() {
            super(new InMemoryLogStore());
        }

        void failSyncsWith(IOException e) {
            syncFailure = e;
        }

        void stallSyncs() {
            stall = new CountDownLatch(1);
        }

        void release() {
            CountDownLatch s = stall;
            stall = null;
            if (s != null) {
                s.countDown();
            }
        }

        @Override
        public void sync() throws IOException {
            IOException failure = syncFailure;
            if (failure != null) {
                throw failure;
            }
            CountDownLatch s = stall;
            if (s != null) {
                try {
                    s.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            super.sync();
        }
    }
}
